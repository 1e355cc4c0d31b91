"""Line-oriented CSV input shared by the CUCM and 3CX parsers, without per-line Python loops.

`split_lines` cuts the bytes into lines (numpy), `match_lines` checks each line against a
regular expression (RE2 over Arrow, in parallel threads on large inputs), `csv_line_pattern`
is the expression of a line of exactly N well-quoted fields, `describe_bad_line` says why a
line failed it, and `read_csv_columns` reads validated lines through polars' CSV reader.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

# Lines per thread below which matching in one call beats starting threads.
_PARALLEL_MIN_LINES = 20_000


# Input bytes one string-view buffer starts after the previous one: a view's offset into its
# buffer is an int32, so inputs over 2 GiB are seen through overlapping windows.
_WINDOW = 1 << 30
# Bytes scanned for line ends at a time (the comparison's temporary stays in cache).
_BLOCK = 1 << 22
_INLINE = 12  # a string view holds a value of up to 12 bytes itself


@dataclass(frozen=True, slots=True)
class Lines:
    """The lines of one input: text, 1-based line number, and whether the bytes were UTF-8."""

    frame: pl.DataFrame  # line_number: Int64, line: String, utf8: Boolean
    raw: pa.Array  # the same lines as an Arrow string array (row i = line i + 1), for `raw`
    starts: np.ndarray | None = None  # byte offset of each line in the input (UTF-8 input only)
    stops: np.ndarray | None = None  # byte offset of each line's end (its LF or CRLF), likewise
    maybe_blank: np.ndarray | None = None  # empty, or starting with a byte whitespace can start

    def blank(self) -> pl.Series:
        """Whether each line is empty or only whitespace (as polars' `strip_chars` sees it)."""
        lines = self.frame["line"]
        if self.maybe_blank is None:
            return lines.str.strip_chars() == ""
        blank = np.zeros(len(lines), dtype=bool)
        candidates = np.flatnonzero(self.maybe_blank)
        if len(candidates):
            stripped = lines.gather(candidates).str.strip_chars()
            blank[candidates] = (stripped == "").to_numpy()
        return pl.Series("blank", blank)


def split_lines(data: bytes) -> Lines:
    """Cut bytes into lines (LF or CRLF) without a per-line Python loop when they are UTF-8.

    The polars `line` column is a string view over the input bytes themselves (no copy); `raw`
    is one contiguous copy of all lines, for Arrow output and RE2.

    Args:
        data: The input bytes, without a BOM.

    Returns:
        Every line, including blank ones, with its number; a line that is not valid UTF-8 is
        kept decoded with backslash escapes and flagged `utf8 = False`.
    """
    size = len(data) - 1 if data.endswith(b"\n") else len(data)  # no copy of the input
    if not _is_utf8(data, size):
        return _split_lines_slowly(data[:size])
    buffer = np.frombuffer(data, dtype=np.uint8, count=size)
    ends = _line_ends(buffer)
    starts = np.empty(len(ends) + 1, dtype=np.int64)
    starts[0], starts[1:] = 0, ends + 1
    stops = np.empty(len(ends) + 1, dtype=np.int64)
    stops[:-1], stops[-1] = ends, size
    # A CR right before the line end belongs to the line end (CRLF files).
    crlf = stops > starts
    crlf[crlf] = buffer[stops[crlf] - 1] == 0x0D
    stops[crlf] -= 1
    lengths = stops - starts
    if len(lengths) and lengths.max() >= 2**31 - _WINDOW:
        return _split_lines_slowly(data[:size])  # a line over 1 GiB: too long for a view
    views = _string_views(data, buffer, starts, lengths)
    # Whitespace is ASCII 9-13 and 32, or a character of two or more bytes (U+0085, U+00A0...).
    first = np.zeros(len(starts), dtype=np.uint8)
    first[lengths > 0] = buffer[starts[lengths > 0]]
    maybe_blank = (lengths == 0) | ((first >= 9) & (first <= 13)) | (first == 32) | (first > 127)
    n = len(starts)
    frame = pl.DataFrame(
        {
            "line_number": pl.int_range(1, n + 1, eager=True, dtype=pl.Int64),
            "line": pl.Series("line", views),
            "utf8": pl.repeat(True, n, eager=True),
        }
    )
    # One contiguous copy of the lines, written on every core (Arrow's cast from the views
    # took 1.1 s for 539 MB, single-threaded). Imported here: numba costs 60 MB and 0.3 s to
    # load, which the row parsers (the sidecar's) never need.
    from ._csvscan import copy_lines

    raw = copy_lines(data, starts, stops)
    return Lines(frame, raw, starts, stops, maybe_blank)


def _is_utf8(data: bytes, size: int) -> bool:
    """Whether data[:size] is valid UTF-8 (then so is every line: LF and CR are ASCII)."""
    offsets = np.array([0, size], dtype=np.int64)
    text = pa.LargeStringArray.from_buffers(1, pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        text.validate(full=True)  # SIMD check, without decoding into a Python str
    except pa.ArrowInvalid:
        return False
    return True


def _line_ends(buffer: np.ndarray) -> np.ndarray:
    """Offsets of the LF bytes, found block by block (no boolean array the input's size)."""
    parts = [
        np.flatnonzero(buffer[start : start + _BLOCK] == 0x0A) + start
        for start in range(0, len(buffer), _BLOCK)
    ]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _string_views(
    data: bytes, buffer: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> pa.Array:
    """An Arrow string-view array of the lines, pointing into `data` (Arrow's view layout:
    int32 length, then the value itself if <= 12 bytes, else its first 4 bytes, the buffer
    index and the offset in that buffer)."""
    n = len(starts)
    views = np.zeros((n, 16), dtype=np.uint8)
    fields = views.view(np.int32)  # (n, 4): length, prefix, buffer index, offset
    fields[:, 0] = lengths
    long = np.flatnonzero(lengths > _INLINE)
    long_starts = starts[long]
    views[long, 4:8] = buffer[long_starts[:, None] + np.arange(4)]
    fields[long, 2] = long_starts // _WINDOW
    fields[long, 3] = long_starts % _WINDOW
    short = np.flatnonzero(lengths <= _INLINE)
    inside = np.arange(_INLINE) < lengths[short, None]
    inline = np.zeros((len(short), _INLINE), dtype=np.uint8)
    inline[inside] = buffer[(starts[short, None] + np.arange(_INLINE))[inside]]
    views[short, 4:] = inline
    whole = pa.py_buffer(data)
    windows = [
        whole.slice(start, min(len(data) - start, 2**31 - 1))
        for start in range(0, max(len(data), 1), _WINDOW)
    ]
    return pa.Array.from_buffers(pa.string_view(), n, [None, pa.py_buffer(views), *windows])


def _split_lines_slowly(data: bytes) -> Lines:
    text, valid = [], []
    for raw in data.split(b"\n"):
        raw = raw.removesuffix(b"\r")
        try:
            text.append(raw.decode("utf-8"))
            valid.append(True)
        except UnicodeDecodeError:
            text.append(raw.decode("utf-8", "backslashreplace"))
            valid.append(False)
    frame = pl.DataFrame(
        {
            "line_number": pl.int_range(1, len(text) + 1, eager=True, dtype=pl.Int64),
            "line": pl.Series(text, dtype=pl.String),
            "utf8": pl.Series(valid, dtype=pl.Boolean),
        }
    )
    return Lines(frame, pa.array(text, pa.string()))


def csv_line_pattern(fields: int) -> str:
    """A regular expression matching one RFC 4180 line of exactly `fields` fields."""
    # A CR or LF inside a line (even quoted) would end a record for the CSV reader: not allowed.
    field = r'(?:"(?:[^"\r\n]|"")*"|[^",\r\n]*)'
    return f"^{field}(?:,{field}){{{fields - 1}}}$"


def describe_bad_line(line: str, expected: int) -> str:
    """Why a line failed the field-count pattern: its field count and/or its quoting."""
    if "\r" in line:
        return "carriage return inside the line (malformed line)"
    try:
        fields = next(csv.reader([line]), [])
    except csv.Error as error:
        return f"malformed line ({error})"
    try:
        next(csv.reader([line], strict=True), None)
        quoting = None
    except csv.Error as error:
        quoting = str(error)
    problems = []
    if len(fields) != expected:
        problems.append(f"{len(fields)} fields where the header has {expected}")
    if quoting is not None:
        problems.append(f"malformed quoting ({quoting})")
    if not problems:
        return "malformed quoting: a quote inside an unquoted field"
    return ", ".join(problems) + " (truncated or malformed line)"


def field_positions(header: Sequence[str]) -> dict[str, int]:
    """Each column name's 0-based position in the header; a repeated name is its first."""
    return {name: i for i, name in reversed(list(enumerate(header)))}


def read_csv_columns(
    lines: pl.Series | bytes, header: Sequence[str], wanted: Sequence[str], skip_lines: int = 0
) -> pl.DataFrame:
    """Read validated CSV lines (each exactly len(header) fields) into string columns.

    Args:
        lines: Lines that matched `csv_line_pattern(len(header))`, or the bytes of a run of such
            lines, which saves joining them again (blank lines read as extra rows: the caller
            checks the row count).
        header: The column names, in file order.
        wanted: The columns to return (a subset of `header`).
        skip_lines: Lines of `lines` (bytes) to skip first, e.g. a header.

    Returns:
        One row per line, one String column per wanted name ("" for empty fields).
    """
    if isinstance(lines, bytes):
        text = lines
    elif lines.is_empty():
        return pl.DataFrame({name: pl.Series([], dtype=pl.String) for name in wanted})
    else:
        text = lines.str.join("\n").item().encode()
    index = field_positions(header)
    include = sorted({index[name] for name in wanted})
    frame = pl.read_csv(
        text,
        has_header=False,
        columns=include,
        infer_schema=False,
        quote_char='"',
        skip_lines=skip_lines if isinstance(lines, bytes) else 0,
    )
    if len(frame.columns) != len(include):
        raise ValueError(f"CSV reader returned {len(frame.columns)} of {len(include)} columns")
    frame.columns = [f"c{i}" for i in include]  # the reader keeps the order it is given
    # An unquoted empty field reads as null, a quoted one as "": both are "" here.
    return frame.select(pl.col(f"c{index[name]}").fill_null("").alias(name) for name in wanted)


def match_lines(lines: pa.Array, pattern: str) -> pa.BooleanArray:
    """Whether each line matches `pattern` (use ^...$ for a whole-line match).

    RE2 (Arrow compute) runs it, over slices of the lines in parallel threads when there are
    many: it releases the GIL, and it is faster than polars' regex on these long alternations.
    A pattern RE2 refuses (e.g. a repetition count over 1000, i.e. a header of over 1000
    fields) is run by polars' regex engine instead.

    Args:
        lines: The lines, a string array without nulls.
        pattern: A regular expression in the syntax RE2 and Rust's regex crate share.

    Returns:
        One boolean per line.
    """
    workers = min(os.cpu_count() or 1, len(lines) // _PARALLEL_MIN_LINES)
    try:
        if workers < 2:
            return pc.match_substring_regex(lines, pattern)
        step = -(-len(lines) // workers)
        slices = [lines.slice(start, step) for start in range(0, len(lines), step)]
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda part: pc.match_substring_regex(part, pattern), slices))
        return pa.concat_arrays(parts)
    except pa.ArrowInvalid:  # RE2 could not compile the pattern
        matched = pl.Series("line", lines, dtype=pl.String).str.contains(pattern)
        return matched.to_arrow().cast(pa.bool_())


def as_string_chunks(array: pa.Array) -> pa.ChunkedArray | None:
    """A string-view array as Arrow `string` chunks over the same bytes (no copy), if it can be.

    Polars writes long values (over 12 bytes) one after another into its data buffers, so the
    values of each buffer are already laid out as a plain string array's: this gives one chunk
    per buffer, offsets taken from the views. None when the layout is anything else (inline or
    null values, gaps, a buffer over 2 GiB): cast instead, which copies.
    """
    if not pa.types.is_string_view(array.type) or array.null_count or not len(array):
        return None
    views = np.frombuffer(array.buffers()[1], dtype=np.int32).reshape(-1, 4)
    views = views[array.offset : array.offset + len(array)]
    lengths, indices, offsets = views[:, 0], views[:, 2], views[:, 3]
    if lengths.min() <= _INLINE:
        return None
    new_buffer = np.flatnonzero(np.diff(indices)) + 1
    runs = np.split(np.arange(len(array)), new_buffer)
    buffers = array.buffers()[2:]
    chunks = []
    for run in runs:
        start, stop = int(offsets[run[0]]), int(offsets[run[-1]]) + int(lengths[run[-1]])
        if stop >= 2**31 or not np.array_equal(offsets[run[1:]], (offsets + lengths)[run[:-1]]):
            return None
        chunk_offsets = np.empty(len(run) + 1, dtype=np.int32)
        chunk_offsets[:-1], chunk_offsets[-1] = offsets[run] - start, stop - start
        data = buffers[int(indices[run[0]])].slice(start, stop - start)
        chunks.append(pa.StringArray.from_buffers(len(run), pa.py_buffer(chunk_offsets), data))
    return pa.chunked_array(chunks, pa.string())
