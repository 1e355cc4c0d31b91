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


@dataclass(frozen=True, slots=True)
class Lines:
    """The lines of one input: text, 1-based line number, and whether the bytes were UTF-8."""

    frame: pl.DataFrame  # line_number: Int64, line: String, utf8: Boolean
    raw: pa.Array  # the same lines as an Arrow string array (row i = line i + 1), for `raw`
    starts: np.ndarray | None = None  # byte offset of each line in the input (UTF-8 input only)


def split_lines(data: bytes) -> Lines:
    """Cut bytes into lines (LF or CRLF) without a per-line Python loop when they are UTF-8.

    The line ends are squeezed out of one copy of the bytes, which then backs an Arrow string
    array of all lines directly (no copy per line).

    Args:
        data: The input bytes, without a BOM.

    Returns:
        Every line, including blank ones, with its number; a line that is not valid UTF-8 is
        kept decoded with backslash escapes and flagged `utf8 = False`.
    """
    size = len(data) - 1 if data.endswith(b"\n") else len(data)  # no copy of the input
    buffer = np.frombuffer(data, dtype=np.uint8, count=size)
    ends = np.flatnonzero(buffer == 0x0A)
    starts = np.empty(len(ends) + 1, dtype=np.int64)
    starts[0], starts[1:] = 0, ends + 1
    stops = np.empty(len(ends) + 1, dtype=np.int64)
    stops[:-1], stops[-1] = ends, size
    # A CR right before the line end belongs to the line end (CRLF files).
    crlf = stops > starts
    crlf[crlf] = buffer[stops[crlf] - 1] == 0x0D
    stops[crlf] -= 1
    keep = np.ones(len(buffer), dtype=bool)
    keep[ends] = False
    keep[stops[crlf]] = False
    text = buffer[keep]
    offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(stops - starts, out=offsets[1:])
    if len(text) < 2**31:
        raw = pa.StringArray.from_buffers(
            len(starts), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(text)
        )
    else:
        raw = pa.LargeStringArray.from_buffers(
            len(starts), pa.py_buffer(offsets), pa.py_buffer(text)
        )
    try:
        raw.validate(full=True)  # UTF-8 check, without decoding into a Python str
    except pa.ArrowInvalid:
        return _split_lines_slowly(data[:size])
    n = len(starts)
    frame = pl.DataFrame(
        {
            "line_number": pl.int_range(1, n + 1, eager=True, dtype=pl.Int64),
            "line": pl.Series("line", raw),
            "utf8": pl.repeat(True, n, eager=True),
        }
    )
    return Lines(frame, raw, starts)


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
    index = {name: i for i, name in reversed(list(enumerate(header)))}  # first wins on dupes
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
