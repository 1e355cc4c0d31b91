"""Shared line helpers of the CSV parsers: string-view line split, blank lines, RE2 line check,
zero-copy hand-over of polars strings to Arrow."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

from extractors.parsers import _csvlines
from extractors.parsers._csvlines import (
    as_string_chunks,
    csv_line_pattern,
    match_lines,
    split_lines,
)

MIXED = (
    b'first,"quoted, with comma"\r\n'
    b"\n"
    b"short\n"
    b"exactly12byt\n"
    b"thirteen byte\n"
    b"   \n"
    b"\xc2\xa0\xe3\x80\x80\n"  # U+00A0 U+3000: whitespace of two and three bytes
    b"caf\xc3\xa9 au lait, long enough to live in a data buffer\r\n"
    b"\tlast"
)


def python_lines(data: bytes) -> list[str]:
    return [line.removesuffix(b"\r").decode() for line in data.removesuffix(b"\n").split(b"\n")]


@pytest.mark.parametrize("data", [MIXED, MIXED + b"\n", b"", b"one", b"\n\n", b"a\r\n"])
def test_split_lines_gives_every_line_without_its_line_end(data: bytes) -> None:
    lines = split_lines(data)
    assert lines.frame["line"].to_list() == python_lines(data)
    assert lines.raw.to_pylist() == python_lines(data)
    assert lines.frame["line_number"].to_list() == list(range(1, len(python_lines(data)) + 1))
    assert lines.frame["utf8"].all()


def test_lines_spread_over_several_view_windows_read_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Inputs over 2 GiB are seen through overlapping 1 GiB windows; small windows, same logic.
    monkeypatch.setattr(_csvlines, "_WINDOW", 16)
    monkeypatch.setattr(_csvlines, "_BLOCK", 7)
    data = MIXED * 5
    lines = split_lines(data)
    assert lines.frame["line"].to_list() == python_lines(data)
    assert lines.raw.to_pylist() == python_lines(data)


def test_blank_lines_are_those_polars_strips_to_nothing() -> None:
    lines = split_lines(MIXED)
    assert lines.blank().to_list() == (lines.frame["line"].str.strip_chars() == "").to_list()
    assert lines.blank().to_list() == [False, True, False, False, False, True, True, False, False]


def test_a_line_that_is_not_utf8_is_kept_escaped_and_flagged() -> None:
    lines = split_lines(b"good\nbad \xff byte\n\xc3")
    assert lines.frame["line"].to_list() == ["good", "bad \\xff byte", "\\xc3"]
    assert lines.frame["utf8"].to_list() == [True, False, False]
    assert lines.blank().to_list() == [False, False, False]


def test_many_lines_are_checked_in_parallel_slices_with_the_same_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = pa.array(["a,b", "a", '"x,y",z', 'a"b,c', "1,2,3"] * 9, pa.string())
    pattern = csv_line_pattern(2)
    alone = match_lines(lines, pattern).to_pylist()
    assert alone[:5] == [True, False, True, False, False]
    monkeypatch.setattr(_csvlines, "_PARALLEL_MIN_LINES", 4)
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    assert match_lines(lines, pattern).to_pylist() == alone


def test_a_pattern_re2_refuses_is_run_by_polars() -> None:
    # RE2 allows at most 1000 repetitions: a header of 1200 fields needs the fallback.
    pattern = csv_line_pattern(1200)
    good, short = ",".join(["1"] * 1200), ",".join(["1"] * 1199)
    assert match_lines(pa.array([good, short, good]), pattern).to_pylist() == [True, False, True]


def test_long_polars_strings_reach_arrow_without_a_copy_and_unchanged() -> None:
    values = [f'{{"key":{i},"text":"{"x" * (i % 40)}"}}' for i in range(200_000)]
    series = pl.Series(values).to_frame("v").select(pl.col("v").str.slice(0))["v"]
    views = series.to_arrow(compat_level=pl.CompatLevel.newest())
    chunks = as_string_chunks(views)
    assert chunks is not None and chunks.type == pa.string()
    assert chunks.num_chunks > 1  # one chunk per polars data buffer
    assert chunks.to_pylist() == values


@pytest.mark.parametrize("values", [["short", "x" * 20], ["x" * 20, None], []])
def test_strings_that_are_not_all_long_are_left_to_a_cast(values: list[str | None]) -> None:
    views = pl.Series(values, dtype=pl.String).to_arrow(compat_level=pl.CompatLevel.newest())
    assert as_string_chunks(views) is None
