"""The vectorised bulk path (`parse_table`) of the line-based parsers gives exactly the legs and
rejects of the row parser (`parse`): same ids, times, mappings, extras, reasons and order."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.parsers import ParseContext, parser_module
from extractors.parsers.tables import ParsedTables, tables_from_items
from tests.extractors.parsers.test_parser_properties_line_formats import (
    ALPHABET,
    GENERATORS,
    mutated,
    sample_lines,
)

LONDON = ZoneInfo("Europe/London")
CTX = ParseContext(timezone=LONDON, now=datetime(2025, 1, 1, tzinfo=UTC))


def assert_agree(fmt: str, data: bytes, ctx: ParseContext = CTX) -> ParsedTables:
    module = parser_module(fmt)
    expected = tables_from_items(module.parse(data, ctx), ctx.file_name)
    actual: ParsedTables = module.parse_table(data, ctx)
    assert actual.legs.schema == expected.legs.schema
    assert actual.legs.to_pylist() == expected.legs.to_pylist()
    assert actual.rejects.to_pylist() == expected.rejects.to_pylist()
    return actual


@pytest.mark.parametrize("fmt", list(GENERATORS))
def test_generated_records_give_the_same_tables_on_both_paths(fmt: str) -> None:
    tables = assert_agree(fmt, GENERATORS[fmt].generate(2000, seed=5))
    assert tables.legs.num_rows >= 2000


@pytest.mark.parametrize("fmt", list(GENERATORS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_records_give_the_same_tables_on_both_paths(fmt: str, data: st.DataObject) -> None:
    lines = data.draw(mutated(fmt))
    good = sample_lines(fmt, data.draw(st.integers(0, 99)), 2)
    # Repeats of good and mutated lines exercise the occurrence counts of record keys.
    mixed = [*lines, *good, *lines, good[0]]
    assert_agree(fmt, "\n".join(mixed).encode())


@pytest.mark.parametrize("fmt", list(GENERATORS))
@settings(max_examples=40, deadline=None)
@given(text=st.lists(st.text(ALPHABET, max_size=120), min_size=1, max_size=4))
def test_random_text_gives_the_same_tables_on_both_paths(fmt: str, text: list[str]) -> None:
    assert_agree(fmt, "\n".join(line.replace("\n", " ") for line in text).encode())
