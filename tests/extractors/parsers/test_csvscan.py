"""The compiled CSV line scan (extractors/parsers/_csvscan.py) against the rule it replaces:
a line is good exactly when it matches `csv_line_pattern`, and its fields are what Python's
csv module reads from it."""

from __future__ import annotations

import csv
import re
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.parsers import _csvscan
from extractors.parsers._csvlines import csv_line_pattern
from extractors.parsers._csvscan import copy_lines, scan_lines


def line_bounds(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (CRLF or LF excluded) of every line of `data`."""
    starts, stops, position = [], [], 0
    for line in data.split(b"\n"):
        starts.append(position)
        stops.append(position + len(line.removesuffix(b"\r")))
        position += len(line) + 1
    return np.array(starts, dtype=np.int64), np.array(stops, dtype=np.int64)


def scan(
    lines: list[str], fields: int, wanted: list[int] | None = None, window: int = 1 << 30
) -> tuple[list[bool], list[list[str]], list[bool]]:
    data = "\n".join(lines).encode()
    starts, stops = line_bounds(data)
    wanted = list(range(fields)) if wanted is None else wanted
    result = scan_lines(data, starts, stops, fields, wanted, window=window)
    columns = [array.to_pylist() for array in result.columns]
    rows = [list(row) for row in zip(*columns, strict=True)] if columns else []
    return result.good.tolist(), rows, result.edge_space.tolist()


def expected(lines: list[str], fields: int) -> tuple[list[bool], list[list[str]]]:
    """The reference: the RE2/Rust line pattern decides, Python's csv module reads."""
    lines = [line.removesuffix("\r") for line in lines]  # a CR before the line end ends it
    pattern = re.compile(csv_line_pattern(fields))
    good = [pattern.fullmatch(line) is not None for line in lines]
    # (the csv module reads an empty line as no fields; it is one empty field)
    rows = [next(csv.reader([line])) or [""] for line, ok in zip(lines, good, strict=True) if ok]
    return good, rows


FIELD_TEXT = st.text(alphabet='ab ,"\r\t\u00e9\u00a0xyz0123456789', max_size=20)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(FIELD_TEXT, min_size=1, max_size=12), fields=st.integers(1, 4))
def test_a_line_is_good_exactly_when_it_matches_the_line_pattern(
    lines: list[str], fields: int
) -> None:
    good, rows, _ = scan(lines, fields)
    assert (good, rows) == expected(lines, fields)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.lists(
            st.text(alphabet='ab ,"\t\u00e9xyz0123456789', max_size=30), min_size=3, max_size=3
        ),
        min_size=1,
        max_size=10,
    )
)
def test_fields_written_by_a_csv_writer_read_back_as_written(values: list[list[str]]) -> None:
    # Short values live inside their view, long ones point into the input, escaped ones into
    # a buffer of their own: every kind must read back the same.
    lines = []
    for row in values:
        quoted = [
            '"' + value.replace('"', '""') + '"' if i % 2 == 0 else value
            for i, value in enumerate(row)
        ]
        lines.append(",".join(quoted))
    good, rows, _ = scan(lines, 3)
    assert (good, rows) == expected(lines, 3)


def test_only_the_wanted_fields_come_back_in_the_order_asked() -> None:
    lines = ['1,"two",3,"fo""ur"', '5,"six, with comma",7,""']
    good, rows, _ = scan(lines, 4, wanted=[3, 1])
    assert good == [True, True]
    assert rows == [['fo"ur', "two"], ["", "six, with comma"]]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("1,2", "too few fields"),
        ("1,2,3,4", "too many fields"),
        ('1,"2,3', "unterminated quote"),
        ('1,a"b,3', "a quote inside an unquoted field"),
        ('1,"ab"c,3', "text after a closing quote"),
        ('1,"a\rb",3', "carriage return inside a quoted field"),
        ("1,a\rb,3", "carriage return inside a field"),
        ("1,2,3,", "a trailing comma is one more field"),
    ],
)
def test_malformed_lines_are_bad_and_the_lines_around_them_good(line: str, why: str) -> None:
    good, rows, _ = scan(["a,b,c", line, '"x","y","z"'], 3)
    assert good == [True, False, True], why
    assert rows == [["a", "b", "c"], ["x", "y", "z"]]


def test_surrounding_whitespace_is_flagged_per_column() -> None:
    lines = ["a, b,c\t", "d,e,\u00a0f", "g,h,i"]
    _, rows, edge = scan(lines, 3)
    assert rows == [["a", " b", "c\t"], ["d", "e", "\u00a0f"], ["g", "h", "i"]]
    assert edge == [False, True, True]


def test_values_read_the_same_through_small_view_windows() -> None:
    # Inputs over 2 GiB are seen through overlapping 1 GiB windows; small windows, same logic.
    lines = [f'{i},"a value long enough for the data buffer {i}","q""{i}"' for i in range(50)]
    assert scan(lines, 3, window=64) == scan(lines, 3)


def test_a_large_input_is_scanned_in_threads_with_the_same_result() -> None:
    lines = [f'{i},"caller {i:08d} with a long name",{i * 7}' for i in range(60_000)]
    lines[31_337] = '31337,"broken'
    good, rows, _ = scan(lines, 3)
    assert good.count(False) == 1 and not good[31_337]
    assert rows[31_337] == ["31338", "caller 00031338 with a long name", str(31_338 * 7)]
    assert len(rows) == 59_999


def test_two_threads_can_scan_at_the_same_time() -> None:
    # Parsing runs in several threads (sensor, API); the scan must not need a lock.
    lines = [f'{i},"row {i} with text",{i}' for i in range(40_000)]
    reference = scan(lines, 3)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(scan(lines, 3))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [reference] * 3


@pytest.mark.parametrize("data", [b"one\r\n\ntwo lines\r\nthree", b"", b"x\n"])
def test_copy_lines_copies_every_line_without_its_line_end(data: bytes) -> None:
    starts, stops = line_bounds(data)
    copied = copy_lines(data, starts, stops)
    assert copied.to_pylist() == [line.removesuffix(b"\r").decode() for line in data.split(b"\n")]


def test_large_arrays_get_their_own_zeroed_memory_map() -> None:
    small, large = _csvscan._zeroed((10,)), _csvscan._zeroed((1 << 25,))
    assert not small.any() and not large[:: 1 << 12].any()
    assert large.flags.writeable and large.base is not None
