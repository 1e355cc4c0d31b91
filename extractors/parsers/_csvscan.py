"""One compiled pass over CSV lines: check each line and cut out the wanted fields.

The CUCM parser used to check every line against a regular expression (RE2, about 1 CPU-s per
539 MB) and then read the columns again with polars' CSV reader (about 1.4 CPU-s). This module
does both in one pass per line, compiled with numba and run on every core outside the GIL:

- a line is good when it is exactly `fields` RFC 4180 fields, the rule of
  `_csvlines.csv_line_pattern`: a field is either `"..."` (a quote inside written `""`) or text
  without quotes and commas; no carriage return anywhere;
- each wanted field of a good line becomes an Arrow string view pointing into the input bytes,
  so the columns are not copied; only a quoted field holding `""` is unescaped into a buffer of
  its own;
- per column, whether some value starts or ends with a byte whitespace can start or end with
  (ASCII 9-13 and 32, or any byte over 127), so callers strip only the columns that need it.

Numba compiles the kernels on first use and caches them next to this file (`cache=True`), so
only the first run after an installation pays the compilation (a few seconds); later processes
load them in about 0.2 s.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
import pyarrow as pa

_QUOTE, _COMMA, _CR = 34, 44, 13
_INLINE = 12  # a string view holds a value of up to 12 bytes itself
# Input bytes one string-view buffer starts after the previous one (a view's offset is int32).
WINDOW = 1 << 30
_CHUNKS_PER_THREAD = 8  # line chunks per thread: balances the work between threads
# The cores this process may run on (a container's CPU set, not the host's count).
_THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
_PARALLEL_MIN_LINES = 20_000  # below this, threads cost more than they save
_OWN_MAP_MIN_BYTES = 1 << 24


@dataclass(frozen=True, slots=True)
class ScannedLines:
    """The result of `scan_lines`: which lines are good, and their wanted fields."""

    good: np.ndarray  # bool per line
    columns: list[pa.Array]  # one string-view array per wanted field (good lines only)
    edge_space: np.ndarray  # bool per wanted field: some value may need stripping


@numba.njit(cache=True, nogil=True, inline="always")
def _space_like(byte):  # type: ignore[no-untyped-def]
    return (9 <= byte <= 13) or byte == 32 or byte > 127


@numba.njit(cache=True, nogil=True, inline="always")
def _put_int32(view, at, value):  # type: ignore[no-untyped-def]
    """Write a non-negative int32 little-endian into a view's bytes."""
    for index in range(4):
        view[at + index] = (value >> (8 * index)) & 0xFF


@numba.njit(cache=True, nogil=True, inline="always")
def _write_view(view, source, begin, length, buffer_index, offset):  # type: ignore[no-untyped-def]
    """Fill one 16-byte Arrow string view: the length, then the value itself (up to 12 bytes)
    or its first 4 bytes, the buffer index and the offset in that buffer."""
    _put_int32(view, 0, length)
    if length <= _INLINE:
        for index in range(length):
            view[4 + index] = source[begin + index]
    else:
        for index in range(4):
            view[4 + index] = source[begin + index]
        _put_int32(view, 8, buffer_index)
        _put_int32(view, 12, offset)


@numba.njit(cache=True, nogil=True)
def _scan_line(buffer, start, stop, fields, slot_of, bounds):  # type: ignore[no-untyped-def]
    """Check one line; write (start, length, escaped) of each wanted field into bounds[slot].

    Returns whether the line is exactly `fields` well-quoted fields."""
    position, column = start, 0
    while True:
        if column >= fields:
            return False  # more fields than the header has
        escaped = 0
        if position < stop and buffer[position] == _QUOTE:
            position += 1
            begin = position
            while True:
                if position >= stop:
                    return False  # unterminated quote
                byte = buffer[position]
                if byte == _QUOTE:
                    if position + 1 < stop and buffer[position + 1] == _QUOTE:
                        escaped = 1
                        position += 2
                        continue
                    break
                if byte == _CR:
                    return False
                position += 1
            end = position
            position += 1  # the closing quote
            if position < stop and buffer[position] != _COMMA:
                return False  # text after a closing quote
        else:
            begin = position
            while position < stop:
                byte = buffer[position]
                if byte == _COMMA:
                    break
                if byte == _QUOTE or byte == _CR:  # noqa: SIM109 (two compares compile simpler)
                    return False  # a quote inside an unquoted field
                position += 1
            end = position
        slot = slot_of[column]
        if slot >= 0:
            bounds[slot, 0] = begin
            bounds[slot, 1] = end - begin
            bounds[slot, 2] = escaped
        column += 1
        if position >= stop:
            return column == fields
        position += 1  # the comma


@numba.njit(cache=True, nogil=True)
def _scan_chunk(  # type: ignore[no-untyped-def]
    buffer, starts, stops, fields, slot_of, window, first, last, good, views, escaped, edge
):
    """Scan lines first..last-1 into the shared outputs (each line's own rows of them)."""
    bounds = np.zeros((len(views), 3), dtype=np.int64)
    for line in range(first, last):
        if not _scan_line(buffer, starts[line], stops[line], fields, slot_of, bounds):
            continue
        good[line] = True
        for slot in range(len(views)):
            begin, length = bounds[slot, 0], bounds[slot, 1]
            if length > 0 and (
                _space_like(buffer[begin]) or _space_like(buffer[begin + length - 1])
            ):
                edge[slot] = True
            if bounds[slot, 2]:
                escaped[slot, line] = True  # filled in by _unescape
            else:
                _write_view(
                    views[slot, line], buffer, begin, length, begin // window, begin % window
                )


@numba.njit(cache=True, nogil=True)
def _unescape(buffer, starts, stops, fields, slot_of, slots, escaped, views, windows):  # type: ignore[no-untyped-def]
    """Write the escaped fields' values (`""` -> `"`) into a buffer of their own."""
    total = 0
    bounds = np.zeros((slots, 3), dtype=np.int64)
    found = np.flatnonzero(escaped.sum(axis=0))
    for line in found:
        _scan_line(buffer, starts[line], stops[line], fields, slot_of, bounds)
        for slot in range(slots):
            if escaped[slot, line]:
                total += bounds[slot, 1]
    out = np.zeros(max(total, 1), dtype=np.uint8)
    used = 0
    for line in found:
        _scan_line(buffer, starts[line], stops[line], fields, slot_of, bounds)
        for slot in range(slots):
            if not escaped[slot, line]:
                continue
            begin, stop = bounds[slot, 0], bounds[slot, 0] + bounds[slot, 1]
            first = used
            position = begin
            while position < stop:
                out[used] = buffer[position]
                used += 1
                position += 2 if buffer[position] == _QUOTE else 1
            _write_view(views[slot, line], out, first, used - first, windows, first)
    return out[:used]


@numba.njit(cache=True, nogil=True)
def _copy_chunk(buffer, starts, stops, offsets, out, first, last):  # type: ignore[no-untyped-def]
    for line in range(first, last):
        out[offsets[line] : offsets[line + 1]] = buffer[starts[line] : stops[line]]


def _in_chunks(lines: int, work: Callable[[int, int, int], None]) -> None:
    """Run work(chunk, first, last) over line chunks on every core (the kernels release the
    GIL). Plain threads rather than numba's parallel loops: those abort when two Python threads
    start one at the same time, and parsing may run in several threads (sensor, API)."""
    chunks = max(1, min(lines, _THREADS * _CHUNKS_PER_THREAD))
    size = -(-lines // chunks) if lines else 0
    bounds = [(chunk, chunk * size, min(lines, (chunk + 1) * size)) for chunk in range(chunks)]
    if _THREADS < 2 or lines < _PARALLEL_MIN_LINES:
        for chunk, first, last in bounds:
            work(chunk, first, last)
        return
    with ThreadPoolExecutor(_THREADS) as pool:
        list(pool.map(lambda bound: work(*bound), bounds))


def _zeroed(shape: tuple[int, ...], dtype: type = np.uint8) -> np.ndarray:
    """A zero-filled array on its own anonymous memory map.

    NumPy asks the kernel for transparent huge pages on large arrays (madvise); on the virtual
    machines measured here first touching such memory cost about 2 s per GB against 0.6 s with
    ordinary pages, more than the whole scan. A private map gets ordinary pages (unless the
    system forces huge pages everywhere) and goes back to the system when the array is freed.
    """
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if size < _OWN_MAP_MIN_BYTES:
        return np.zeros(shape, dtype=dtype)
    return np.frombuffer(mmap.mmap(-1, size), dtype=dtype).reshape(shape)


def copy_lines(data: bytes, starts: np.ndarray, stops: np.ndarray) -> pa.Array:
    """The lines as one Arrow string array (a contiguous copy, written on every core)."""
    lengths = stops - starts
    offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    out = _zeroed((int(offsets[-1]),))
    buffer = np.frombuffer(data, dtype=np.uint8)
    _in_chunks(
        len(starts),
        lambda _, first, last: _copy_chunk(buffer, starts, stops, offsets, out, first, last),
    )
    if offsets[-1] < 2**31:
        return pa.StringArray.from_buffers(
            len(starts), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(out)
        )
    return pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(out))


def scan_lines(
    data: bytes,
    starts: np.ndarray,
    stops: np.ndarray,
    fields: int,
    wanted: list[int],
    window: int = WINDOW,
) -> ScannedLines:
    """Check CSV lines of `data` and cut out the fields at the `wanted` positions.

    Args:
        data: The input bytes (valid UTF-8).
        starts, stops: Byte offsets of each line's first byte and of its end (line end excluded).
        fields: The number of fields a good line has (the header's).
        wanted: The positions (0-based) of the fields to return, in the order wanted.
        window: Input bytes between the starts of the views' buffers (tests make it small).

    Returns:
        Per line whether it is good; per wanted field a string-view array over the good lines.
    """
    buffer = np.frombuffer(data, dtype=np.uint8)
    slot_of = np.full(fields, -1, dtype=np.int64)
    for slot, position in enumerate(wanted):
        slot_of[position] = slot
    lines, slots = len(starts), len(wanted)
    starts, stops = starts.astype(np.int64), stops.astype(np.int64)
    good = np.zeros(lines, dtype=np.bool_)
    views = _zeroed((slots, lines, 16))
    escaped = _zeroed((slots, lines), np.bool_)
    edge = np.zeros((_THREADS * _CHUNKS_PER_THREAD, slots), dtype=np.bool_)
    _in_chunks(
        lines,
        lambda chunk, first, last: _scan_chunk(
            buffer,
            starts,
            stops,
            fields,
            slot_of,
            window,
            first,
            last,
            good,
            views,
            escaped,
            edge[chunk],
        ),
    )
    whole = pa.py_buffer(data)
    windows = [
        whole.slice(start, min(len(data) - start, 2**31 - 1))
        for start in range(0, max(len(data), 1), window)
    ]
    extra: list[pa.Buffer] = []
    if escaped.any():
        unescaped = _unescape(
            buffer, starts, stops, fields, slot_of, len(wanted), escaped, views, len(windows)
        )
        if len(unescaped) >= 2**31:  # a view's offset is an int32
            raise ValueError("over 2 GiB of quoted values with doubled quotes in one input")
        extra = [pa.py_buffer(unescaped)]
    keep = np.flatnonzero(good) if not good.all() else None
    columns = []
    for slot in range(len(wanted)):
        column_views = views[slot] if keep is None else views[slot][keep]
        columns.append(
            pa.Array.from_buffers(
                pa.string_view(),
                len(column_views),
                [None, pa.py_buffer(np.ascontiguousarray(column_views)), *windows, *extra],
            )
        )
    edge_space: np.ndarray = np.logical_or.reduce(edge, axis=0)
    return ScannedLines(good, columns, edge_space)


def compile_kernels() -> None:
    """Compile (or load from the cache) every kernel for the argument types parsing uses."""
    data = b'a,"b""c",d\nx,"a value longer than twelve bytes",z'
    starts, stops = np.array([0, 11], dtype=np.int64), np.array([10, len(data)], dtype=np.int64)
    scan_lines(data, starts, stops, 3, [1, 2])
    copy_lines(data, starts, stops)
