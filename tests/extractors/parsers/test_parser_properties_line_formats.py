"""Property tests of the line-based parsers (avaya, mitel, asterisk, freeswitch): on random and
mutated records they never crash, and every input record ends as exactly one leg or reject."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generators import asterisk as asterisk_gen
from bench.generators import avaya as avaya_gen
from bench.generators import freeswitch as freeswitch_gen
from bench.generators import mitel as mitel_gen
from callmeter.legs import CallLeg, Rejected
from extractors.parsers import ParseContext, get_parser
from extractors.parsers.tables import parse_tables

CTX = ParseContext(timezone=ZoneInfo("Europe/London"), now=datetime(2025, 1, 1, tzinfo=UTC))
GENERATORS = {
    "avaya": avaya_gen,
    "mitel": mitel_gen,
    "asterisk": asterisk_gen,
    "freeswitch": freeswitch_gen,
}
FIXED_WIDTH = ("avaya", "mitel")
ALPHABET = st.sampled_from(list(' 0123456789:/*-%+apPATXBEGHI",\r\x00é'))


def sample_lines(fmt: str, seed: int, count: int) -> list[str]:
    return GENERATORS[fmt].generate(count, seed).decode().splitlines()


@st.composite
def mutated(draw: st.DrawFn, fmt: str) -> list[str]:
    lines = sample_lines(fmt, draw(st.integers(0, 10_000)), draw(st.integers(1, 4)))
    out = []
    for line in lines:
        chars = list(line)
        for _ in range(draw(st.integers(0, 4))):
            op = draw(st.sampled_from(("replace", "delete", "insert")))
            at = draw(st.integers(0, max(len(chars) - 1, 0)))
            if op == "replace" and chars:
                chars[at] = draw(ALPHABET)
            elif op == "delete" and chars:
                del chars[at]
            else:
                chars.insert(at, draw(ALPHABET))
        out.append("".join(chars).replace("\n", " "))
    return out


def expected_records(fmt: str, lines: list[str]) -> int:
    """How many records the input holds: non-blank lines, or CSV records for the CSV formats."""
    if fmt in FIXED_WIDTH:
        return sum(1 for line in lines if line.strip(" \x00\r"))
    rows = csv.reader([line + "\n" for line in lines], strict=False)
    try:
        return sum(1 for fields in rows if any(f.strip() for f in fields))
    except csv.Error:
        return -1  # the parser reports the csv error itself; only the invariants below apply


def check(fmt: str, lines: list[str]) -> None:
    data = "\n".join(lines).encode()
    items = list(get_parser(fmt)(data, CTX))
    assert all(isinstance(i, CallLeg | Rejected) for i in items)
    numbers = [i.line_number for i in items if isinstance(i, Rejected)]
    assert all(n is not None and 1 <= n <= len(lines) for n in numbers)
    expected = expected_records(fmt, lines)
    if expected >= 0:
        assert len(items) == expected
    raws = [i.raw for i in items]
    assert len(raws) == len(items)  # each item keeps its record: parsed or rejected, not both
    tables = parse_tables(fmt, data, CTX)
    assert tables.legs.num_rows == sum(isinstance(i, CallLeg) for i in items)
    assert tables.rejects.num_rows == sum(isinstance(i, Rejected) for i in items)


@pytest.mark.parametrize("fmt", list(GENERATORS))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_records_never_crash_and_are_all_accounted_for(
    fmt: str, data: st.DataObject
) -> None:
    check(fmt, data.draw(mutated(fmt)))


@pytest.mark.parametrize("fmt", list(GENERATORS))
@settings(max_examples=80, deadline=None)
@given(text=st.lists(st.text(ALPHABET, max_size=120), min_size=1, max_size=4))
def test_random_text_never_crashes_and_is_all_accounted_for(fmt: str, text: list[str]) -> None:
    check(fmt, [line.replace("\n", " ") for line in text])


@pytest.mark.parametrize("fmt", list(GENERATORS))
def test_generated_records_all_parse(fmt: str) -> None:
    lines = sample_lines(fmt, 7, 300)
    items = list(get_parser(fmt)("\n".join(lines).encode(), CTX))
    assert len(items) == 300
    assert all(isinstance(i, CallLeg) for i in items), [
        i for i in items if isinstance(i, Rejected)
    ][:3]
    directions = {i.direction for i in items if isinstance(i, CallLeg)}
    dispositions = {i.disposition for i in items if isinstance(i, CallLeg)}
    assert {"outbound", "inbound", "internal"} <= directions
    assert {"answered", "no_answer", "busy"} <= dispositions


@pytest.mark.parametrize("fmt", FIXED_WIDTH)
def test_one_line_at_a_time_equals_the_whole_stream(fmt: str) -> None:
    lines = sample_lines(fmt, random.Random(3).randint(0, 99), 20)
    whole = list(get_parser(fmt)("\r\n".join(lines).encode(), CTX))
    single = [item for line in lines for item in get_parser(fmt)(line.encode(), CTX)]
    assert [i.raw for i in whole] == [i.raw for i in single]
    assert [getattr(i, "started_at", None) for i in whole] == [
        getattr(i, "started_at", None) for i in single
    ]
