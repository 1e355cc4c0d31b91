"""Property-based tests of the CUCM and 3CX parsers: random and mutated records never crash a
parser, and every input record ends as exactly one leg or one reject."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callmeter.legs import CallLeg, Rejected
from extractors.parsers import ParseContext, cucm, three_cx
from extractors.parsers._localtime import tables_from_rows
from extractors.parsers.tables import (
    ParsedTables,
    legs_from_table,
    parse_tables,
    rejects_from_table,
)
from tests.paths import PBX

CTX = ParseContext(
    timezone=ZoneInfo("Europe/London"), now=datetime(2025, 5, 1, tzinfo=UTC), file_name="f"
)
CDR_LINES = (PBX / "cucm" / "cdr.txt").read_bytes().split(b"\n")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Bytes a mutation may insert: field and line separators, quotes, digits, a non-UTF-8 byte.
NOISE = st.sampled_from(
    [b",", b'"', b"\n", b"\r", b"0", b"9", b"x", b" ", b"\xff", b"\xc3", b"\xa9"]
)


@st.composite
def mutated(draw: st.DrawFn, line: bytes) -> bytes:
    """A line with a few random cuts, deletions, insertions or field swaps."""
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["truncate", "delete", "insert", "field"]))
        at = draw(st.integers(0, len(line)))
        if kind == "truncate":
            line = line[:at]
        elif kind == "delete":
            line = line[:at] + line[at + draw(st.integers(1, 20)) :]
        elif kind == "insert":
            line = line[:at] + draw(NOISE) + line[at:]
        else:
            fields = line.split(b",")
            index = draw(st.integers(0, max(len(fields) - 1, 0)))
            fields[index] = draw(
                st.sampled_from([b"", b"0", b"-1", b"abc", b'"q""x"', b"99999999999999"])
            )
            line = b",".join(fields)
    return line


def expected_records(data: bytes, skip: int) -> Counter[str]:
    """The input's records as the parsers must account for them: every non-blank line after
    the first `skip` lines, without its line end, non-UTF-8 bytes backslash-escaped."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    lines = data.split(b"\n")[skip:]
    texts = [line.removesuffix(b"\r").decode("utf-8", "backslashreplace") for line in lines]
    return Counter(text for text in texts if text.strip())


def split(items: list[CallLeg | Rejected]) -> tuple[list[CallLeg], list[Rejected]]:
    return (
        [i for i in items if isinstance(i, CallLeg)],
        [i for i in items if isinstance(i, Rejected)],
    )


def assert_each_record_once(items: list[CallLeg | Rejected], expected: Counter[str]) -> None:
    legs, rejects = split(items)
    assert Counter(leg.raw for leg in legs) + Counter(r.raw for r in rejects) == expected
    numbers = [r.line_number for r in rejects]
    assert len(numbers) == len(set(numbers)), "a line rejected twice"
    for leg in legs:
        assert leg.started_at <= leg.ended_at and leg.duration_seconds >= 0
        assert leg.ring_seconds is None or leg.ring_seconds >= 0


@SETTINGS
@given(data=st.data())
def test_mutated_cucm_records_are_each_parsed_or_rejected_once(data: st.DataObject) -> None:
    records = data.draw(
        st.lists(st.sampled_from(CDR_LINES[2:]).flatmap(mutated), min_size=1, max_size=8)
    )
    body = b"\n".join(records)
    file = b"\n".join(CDR_LINES[:2]) + b"\n" + body
    items = list(cucm.parse(file, CTX))
    expected = expected_records(file, skip=2)
    if not expected:  # every record mutated away: one "no records" reject for the file
        assert [type(i) for i in items] == [Rejected]
        return
    assert_each_record_once(items, expected)
    tables = parse_tables("cucm", file, CTX)
    legs, rejects = split(items)
    assert legs_from_table(tables.legs) == legs
    assert rejects_from_table(tables.rejects) == rejects


@SETTINGS
@given(blob=st.binary(max_size=600))
def test_random_bytes_never_crash_the_cucm_parser(blob: bytes) -> None:
    for data in (blob, b"\n".join(CDR_LINES[:2]) + b"\n" + blob):
        items = list(cucm.parse(data, CTX))
        assert items, "every input ends as at least one leg or reject"
        assert all(isinstance(i, CallLeg | Rejected) for i in items)


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\n\r"), max_size=12
)
TIMES = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31))
ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


@st.composite
def three_cx_lines(draw: st.DrawFn) -> str:
    """A default-order 3CX line with random (often odd) values, CSV-quoted where needed."""
    start = draw(TIMES)
    answered = start + timedelta(seconds=draw(st.integers(0, 60)))
    end = answered + timedelta(seconds=draw(st.integers(0, 3600)))
    fmt = "%Y/%m/%d %H:%M:%S"
    values = {name: draw(TEXT) for name in three_cx.DEFAULT_FIELDS}
    values |= {
        "historyid": f"Call {draw(st.integers(0, 10**6))}",
        "callid": draw(
            st.sampled_from([f"00000190{draw(st.integers(0, 10**6)):08X}_0001", "", draw(TEXT)])
        ),
        "from-no": draw(
            st.sampled_from(["Ext.201", "01632960123", "MakeCall", " Ext.20 ", draw(TEXT)])
        ),
        "to-dn": draw(st.sampled_from(["10001", "202", "", draw(TEXT)])),
        "reason-terminated": draw(
            st.sampled_from(["RouteBusy", "Failed", "TerminatedBySrc", draw(TEXT)])
        ),
        "time-start": start.strftime(fmt),
        "time-answered": draw(st.sampled_from([answered.strftime(fmt), ""])),
        "time-end": draw(st.sampled_from([end.strftime(fmt), draw(TEXT)])),
        "duration": draw(st.sampled_from(["", "00:00:07", draw(TEXT)])),
        "from-type": draw(st.sampled_from(["Internal", "External", "line", "", draw(TEXT)])),
        "to-type": draw(st.sampled_from(["Internal", "External", "external_line", ""])),
        "chain": "Chain: " + ",".join(draw(st.lists(TEXT, max_size=3))) + ",",
    }
    fields = [values[name] for name in three_cx.DEFAULT_FIELDS]
    return ",".join('"' + v.replace('"', '""') + '"' if set(v) & set(',"') else v for v in fields)


@SETTINGS
@given(data=st.data())
def test_random_and_mutated_3cx_records_are_each_parsed_or_rejected_once(
    data: st.DataObject,
) -> None:
    lines = data.draw(st.lists(three_cx_lines(), min_size=1, max_size=8))
    raw = [data.draw(mutated(line.encode())) for line in lines]
    file = data.draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + b"\r\n".join(raw)
    items = list(three_cx.parse(file, CTX))
    assert_each_record_once(items, expected_records(file, skip=0))
    legs, rejects = split(items)
    for vector_min_lines in (10**9, 0):  # the row path, then the vectorised path
        tables = parse_with_vector_min_lines(file, vector_min_lines)
        assert legs_from_table(tables.legs) == legs
        assert rejects_from_table(tables.rejects) == rejects


def parse_with_vector_min_lines(data: bytes, lines: int) -> ParsedTables:
    saved = three_cx.VECTOR_MIN_LINES
    three_cx.VECTOR_MIN_LINES = lines
    try:
        return parse_tables("3cx", data, CTX)
    finally:
        three_cx.VECTOR_MIN_LINES = saved


@SETTINGS
@given(lines=st.lists(three_cx_lines(), min_size=1, max_size=20), zone=st.sampled_from(ZONES))
def test_the_vectorised_3cx_path_gives_the_row_parsers_legs(lines: list[str], zone: str) -> None:
    ctx = ParseContext(ZoneInfo(zone), CTX.now, trunk_devices=frozenset({"10001"}))
    file = "\n".join(lines).encode()
    expected = tables_from_rows("3cx", three_cx._rows(file, ctx), None)
    saved = three_cx.VECTOR_MIN_LINES
    three_cx.VECTOR_MIN_LINES = 0
    try:
        tables = three_cx.parse_table(file, ctx)
    finally:
        three_cx.VECTOR_MIN_LINES = saved
    assert legs_from_table(tables.legs) == legs_from_table(expected.legs)
    assert rejects_from_table(tables.rejects) == rejects_from_table(expected.rejects)


@SETTINGS
@given(blob=st.binary(max_size=400))
def test_random_bytes_never_crash_the_3cx_parser(blob: bytes) -> None:
    items = list(three_cx.parse(blob, CTX))
    assert_each_record_once(items, expected_records(blob, skip=0))
