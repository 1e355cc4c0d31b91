"""Mitel MiVB SMDR: the vendor examples (golden legs) and the edge cases of mitel.md."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from callmeter.legs import CallLeg, Rejected
from extractors.parsers import ParseContext, get_parser
from extractors.parsers.tables import parse_tables
from tests.paths import PBX

TORONTO = ZoneInfo("America/Toronto")
CTX = ParseContext(timezone=TORONTO, now=datetime(2025, 5, 1, 12, tzinfo=UTC))


def detemplate(example: str) -> str:
    """A vendor help example as a real record: `_` is a space, lowercase letters after the
    start time are placeholders (blank), and column 1 (dropped by the help page) is restored."""
    text = example.replace("_", " ")
    return " " + text[:12] + "".join(" " if c.islower() else c for c in text[12:])


def record(
    date: str = "06/13",
    time: str = "11:42p",
    duration: str = "00:08:29",
    calling: str = "214",
    attendant: str = " ",
    tta: str = "   ",
    digits: str = "6135952122",
    completion: str = "A",
    called: str = "T054",
    third: str = "",
    account: str = "",
    flag: str = " ",
) -> str:
    line = (
        f"{flag}{date} {time} {duration} {calling:<4} {attendant}{tta} {digits:<26}"
        f"{completion} {called:<4}  {third:<4} {account:<12} 000"
    )
    assert len(line) == 88
    return line


def parse(*lines: str, ctx: ParseContext = CTX) -> list[CallLeg | Rejected]:
    return list(get_parser("mitel")("\r\n".join(lines).encode(), ctx))


def one_leg(line: str, ctx: ParseContext = CTX) -> CallLeg:
    [item] = parse(line, ctx=ctx)
    assert isinstance(item, CallLeg), item
    return item


def one_reject(line: str, ctx: ParseContext = CTX) -> Rejected:
    [item] = parse(line, ctx=ctx)
    assert isinstance(item, Rejected), item
    return item


def examples() -> list[str]:
    return (PBX / "mitel" / "mivb_smdr_help_examples.txt").read_text().splitlines()


def test_example_1_is_an_outgoing_trunk_call_with_answer_supervision() -> None:
    leg = one_leg(detemplate(examples()[0]))
    # 06/13 11:42 PM in Toronto (EDT, UTC-4), in 2024: 2025-06-13 would be in the future.
    assert leg.started_at == datetime(2024, 6, 14, 3, 42, tzinfo=UTC)
    assert leg.answered_at == leg.started_at
    assert leg.ended_at == datetime(2024, 6, 14, 3, 50, 29, tzinfo=UTC)
    assert (leg.duration_seconds, leg.ring_seconds) == (509, None)
    assert (leg.direction, leg.disposition) == ("outbound", "answered")
    assert (leg.calling_number, leg.called_number) == ("214", "6135952122")
    assert (leg.extension, leg.trunk, leg.account_code) == ("214", "T054", None)
    assert leg.extra["answer_supervised"] is True
    assert leg.extra["year_inferred"] == 2024


def test_the_raw_help_examples_are_rejected_not_guessed() -> None:
    items = parse(*examples())
    assert len(items) == 6
    assert all(isinstance(i, Rejected) for i in items)
    assert [i.line_number for i in items] == [1, 2, 3, 4, 5, 6]
    assert "column 7" in items[0].reason  # the `_` placeholders are not spaces
    assert "88" in items[1].reason  # examples 2-6 lost characters on the help page


def test_the_shortened_examples_are_rejected_for_their_length_even_detemplated() -> None:
    for example in examples()[1:]:
        reject = one_reject(detemplate(example))
        assert "characters" in reject.reason and "88" in reject.reason


def test_example_3_incoming_did_answered_after_eight_seconds() -> None:
    # Example 3 rebuilt at full width: DID trunk T102 to station 201, TTA 008, 2 min 22 s.
    line = record("01/30", "03:10P", "00:02:22", "T102", " ", "008", "201", " ", "201")
    leg = one_leg(line)
    assert leg.started_at == datetime(2025, 1, 30, 20, 10, tzinfo=UTC)  # EST, UTC-5
    assert leg.answered_at == datetime(2025, 1, 30, 20, 10, 8, tzinfo=UTC)
    assert (leg.ring_seconds, leg.duration_seconds) == (8, 142)
    assert (leg.direction, leg.disposition) == ("inbound", "answered")
    assert (leg.extension, leg.trunk) == ("201", "T102")


def test_example_5_attendant_assisted_outgoing_call() -> None:
    line = record("01/30", "03:27P", "00:35:11", "201", "*", "   ", "16545996951", "A", "T052")
    leg = one_leg(line)
    assert (leg.direction, leg.trunk, leg.duration_seconds) == ("outbound", "T052", 2111)
    assert leg.extra["attendant"] is True


def test_example_6_incoming_answered_by_an_attendant() -> None:
    line = record("04/15", "01:42P", "00:00:31", "T090", "*", "009", "", " ", "ATT2")
    leg = one_leg(line)
    assert (leg.extension, leg.trunk, leg.ring_seconds) == ("ATT2", "T090", 9)


def test_an_unanswered_incoming_call_has_no_answer_and_no_talk_time() -> None:
    leg = one_leg(
        record(calling="T102", tta="***", called="201", completion=" ", duration="00:00:25")
    )
    assert (leg.disposition, leg.answered_at, leg.duration_seconds) == ("no_answer", None, 0)
    assert leg.ring_seconds == 25 and leg.ended_at == leg.started_at.replace(second=25)


@pytest.mark.parametrize(("completion", "expected"), [("B", "busy"), ("E", "failed")])
def test_incoming_completion_status_sets_the_disposition(completion: str, expected: str) -> None:
    leg = one_leg(record(calling="T102", tta="000", called="201", completion=completion))
    assert leg.disposition == expected
    assert leg.duration_seconds == 0


def test_an_outgoing_call_without_answer_supervision_is_flagged() -> None:
    leg = one_leg(record(completion=" "))
    assert leg.disposition == "answered" and leg.extra["answer_supervised"] is False


def test_a_transferred_incoming_call_is_charged_to_the_third_party() -> None:
    leg = one_leg(record(calling="T102", tta="005", called="201", completion=" ", third="224"))
    assert leg.extension == "224" and leg.extra["third_party"] == "224"


def test_a_line_without_column_1_is_read_the_same() -> None:
    full = record()
    assert one_leg(full[1:]).started_at == one_leg(full).started_at


@pytest.mark.parametrize(
    ("clock", "expected_hour_utc"), [("11:42 ", 15), ("11:42a", 15), ("12:05a", 4), ("23:42 ", 3)]
)
def test_twelve_and_twenty_four_hour_clocks(clock: str, expected_hour_utc: int) -> None:
    assert one_leg(record(time=clock)).started_at.hour == expected_hour_utc


def test_a_blank_suffix_with_the_12_hour_option_is_am() -> None:
    ctx = ParseContext(timezone=TORONTO, now=CTX.now, options={"clock": "12"})
    assert one_leg(record(time="12:05 "), ctx).started_at.hour == 4  # 00:05 EDT


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("time", "13:42p", "12-hour"),
        ("time", "99:99 ", "99"),
        ("time", "10:99p", "minute 99"),
        ("time", "24:10 ", "hour 24"),
        ("date", "13/01", "does not exist"),
        ("date", "02/30", "does not exist"),
        ("date", "ab/cd", "mm/dd"),
        ("duration", "99:99:99", "overflow sentinel"),
        ("duration", "00:61:00", "over 59"),
        ("tta", "1x3", "time to answer"),
        ("completion", "Z", "completion status"),
        ("calling", "", "calling party"),
    ],
)
def test_bad_fields_are_rejected_with_the_column(field: str, value: str, reason: str) -> None:
    reject = one_reject(record(**{field: value}))
    assert reason in reject.reason
    assert reject.line_number == 1 and reject.raw.startswith(" ")


def test_a_short_line_is_rejected_with_its_length() -> None:
    reject = one_reject(record()[:70])
    assert "line is 70 characters" in reject.reason


def test_missing_year_around_new_year() -> None:
    just_after = ParseContext(timezone=TORONTO, now=datetime(2025, 1, 1, 5, 30, tzinfo=UTC))
    # 00:30 EST on 1 January 2025 is still to come? No: it is 05:30 UTC = 00:30 EST now.
    late = one_leg(record(date="12/31", time="11:58p"), just_after)
    early = one_leg(record(date="01/01", time="12:10a"), just_after)
    future = one_leg(record(date="01/01", time="12:40a"), just_after)
    assert late.started_at.year == 2025 and late.extra["year_inferred"] == 2024
    assert early.extra["year_inferred"] == 2025
    assert future.extra["year_inferred"] == 2024  # a 2025 date would be in the future


def test_29_february_takes_the_latest_leap_year() -> None:
    leg = one_leg(record(date="02/29", time="10:00a"))
    assert leg.extra["year_inferred"] == 2024


def test_dst_ambiguous_time_takes_the_first_occurrence_and_says_so() -> None:
    ctx = ParseContext(timezone=TORONTO, now=datetime(2025, 12, 1, tzinfo=UTC))
    leg = one_leg(record(date="11/02", time="01:30a"), ctx)  # clocks go back at 02:00 EDT
    assert leg.started_at == datetime(2025, 11, 2, 5, 30, tzinfo=UTC)  # 01:30 EDT
    assert leg.extra["dst"] == "ambiguous_first_occurrence"


def test_dst_gap_time_is_shifted_forward_and_says_so() -> None:
    ctx = ParseContext(timezone=TORONTO, now=datetime(2025, 12, 1, tzinfo=UTC))
    leg = one_leg(record(date="03/09", time="02:30a"), ctx)  # 02:00-03:00 does not exist
    assert leg.started_at == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)  # = 03:30 EDT
    assert leg.extra["dst"] == "nonexistent_shifted_forward"


def test_identical_lines_get_distinct_stable_ids() -> None:
    first = parse(record(), record())
    again = parse(record(), record())
    ids = [i.source_record_id for i in first if isinstance(i, CallLeg)]
    assert len(set(ids)) == 2
    assert ids == [i.source_record_id for i in again if isinstance(i, CallLeg)]


def test_the_bulk_path_gives_the_same_legs_and_rejects() -> None:
    lines = [record(), record(calling="T102", tta="***", called="201"), record(duration="99:99:99")]
    data = "\r\n".join(lines).encode()
    tables = parse_tables("mitel", data, CTX)
    items = parse(*lines)
    legs = [i for i in items if isinstance(i, CallLeg)]
    assert tables.legs.num_rows == len(legs) == 2
    assert tables.rejects.num_rows == 1
    rows = tables.legs.to_pylist()
    assert [r["source_record_id"] for r in rows] == [leg.source_record_id for leg in legs]
    assert [r["started_at"] for r in rows] == [leg.started_at for leg in legs]
    assert [r["disposition"] for r in rows] == [leg.disposition for leg in legs]


def test_unknown_options_are_a_clear_error() -> None:
    ctx = ParseContext(timezone=TORONTO, now=CTX.now, options={"clok": "12"})
    with pytest.raises(ValueError, match="unknown option"):
        parse(record(), ctx=ctx)
