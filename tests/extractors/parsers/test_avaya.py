"""Avaya CM CDR: the published layouts, the customized layout from config, avaya.md's edge cases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callmeter.legs import CallLeg, Rejected
from extractors.parsers import ParseContext, get_parser
from extractors.parsers.tables import parse_tables

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)  # 13:00 BST


def ctx(**options: Any) -> ParseContext:
    return ParseContext(timezone=LONDON, now=NOW, options=options)


def printer(
    time: str = "1030", duration: str = "0123", cond: str = "A", code_dial: str = "9",
    code_used: str = "101", dialled: str = "901632960777", calling: str = "2001",
    account: str = "", circuit: str = "001",
) -> str:  # fmt: skip
    line = (
        f"{time} {duration} {cond} {code_dial:>3} {code_used:>3} {dialled:>15} {calling:>5} "
        f"{account:>15} {'':>7}    0 0 {circuit}"
    )
    assert len(line) == 76
    return line


def teleseer(time: str = "1030", duration: str = "0050", cond: str = "9") -> str:
    line = (
        f"   {time}{duration}{cond}{'':>3}{'':>3}{'2003':>15}{'105':>5}{'':>15}00"
        f"{'012':>3}{'':>3} {'':>7}{'':>7}"
    )
    assert len(line) == 76
    return line


CUSTOM = {
    "layout": "customized",
    "fields": [
        {"name": "date", "length": 6}, {"name": "space", "length": 1},
        {"name": "time", "length": 4}, {"name": "space", "length": 1},
        {"name": "sec-dur", "length": 5}, {"name": "space", "length": 1},
        {"name": "cond-code", "length": 1}, {"name": "space", "length": 1},
        {"name": "code-used", "length": 4}, {"name": "space", "length": 1},
        {"name": "dialed-num", "length": 18}, {"name": "space", "length": 1},
        {"name": "calling-num", "length": 10}, {"name": "space", "length": 1},
        {"name": "acct-code", "length": 6}, {"name": "space", "length": 1},
        {"name": "in-trk-code", "length": 4}, {"name": "space", "length": 1},
        {"name": "ucid", "length": 20},
        {"name": "return", "length": 1}, {"name": "line-feed", "length": 1},
    ],
}  # fmt: skip


def custom(
    date: str = "043025", time: str = "2359", seconds: str = "125", cond: str = "7",
    code_used: str = "101", dialled: str = "901632960777", calling: str = "2001",
    account: str = "PRJ1", in_trunk: str = "", ucid: str = "00001002161234567890",
) -> str:  # fmt: skip
    return (
        f"{date} {time} {seconds:>5} {cond} {code_used:>4} {dialled:>18} {calling:>10} "
        f"{account:>6} {in_trunk:>4} {ucid:>20}"
    )


def parse(*lines: str, context: ParseContext | None = None) -> list[CallLeg | Rejected]:
    data = "\r\n".join(lines).encode() + b"\r\n\x00\x00"
    return list(get_parser("avaya")(data, context or ctx()))


def one(line: str, context: ParseContext | None = None) -> CallLeg | Rejected:
    [item] = parse(line, context=context)
    return item


def leg(line: str, context: ParseContext | None = None) -> CallLeg:
    item = one(line, context)
    assert isinstance(item, CallLeg), item
    return item


def rejected(line: str, context: ParseContext | None = None) -> Rejected:
    item = one(line, context)
    assert isinstance(item, Rejected), item
    return item


def test_an_outgoing_ars_call_ends_at_the_record_time_and_starts_a_duration_earlier() -> None:
    call = leg(printer(time="1030", duration="0123", cond="7"))
    # 10:30 BST on the collector's day; 0123 = 0 h 12 min 3 tenths = 738 s.
    assert call.ended_at == datetime(2025, 5, 1, 9, 30, tzinfo=UTC)
    assert call.duration_seconds == 738
    assert call.started_at == datetime(2025, 5, 1, 9, 17, 42, tzinfo=UTC)
    assert (call.direction, call.disposition, call.ring_seconds) == ("outbound", "answered", None)
    assert (call.extension, call.trunk, call.called_number) == ("2001", "101", "901632960777")
    assert call.extra["date_inferred"] is True and call.extra["leg_role"] == "call"


def test_hours_minutes_and_tenths() -> None:
    assert leg(printer(duration="1305")).duration_seconds == 3600 + 30 * 60 + 30


def test_a_call_that_ended_just_before_midnight_collected_after_it_is_yesterdays() -> None:
    after_midnight = ParseContext(
        timezone=LONDON, now=datetime(2025, 4, 30, 23, 5, tzinfo=UTC)
    )  # 00:05 BST on 1 May
    call = leg(printer(time="2359"), after_midnight)
    assert call.ended_at == datetime(2025, 4, 30, 22, 59, tzinfo=UTC)  # 23:59 BST, 30 April


@pytest.mark.parametrize(
    ("cond", "direction", "disposition", "role", "billable"),
    [
        ("0", "internal", "answered", "call", True),
        ("9", "inbound", "answered", "call", True),
        ("I", "internal", "busy", "call", True),
        ("H", "inbound", "no_answer", "ring_time", False),
        ("G", "inbound", "answered", "ring_time", False),
        ("E", "outbound", "failed", "call", True),
        ("4", "outbound", "answered", "interim_long_call", False),
        ("6", "outbound", "failed", "outage", False),
    ],
)
def test_condition_codes(
    cond: str, direction: str, disposition: str, role: str, billable: bool
) -> None:
    if cond in "0I":
        line = printer(cond=cond, code_dial="", code_used="", dialled="2002")
    elif cond in "9GH":
        line = printer(cond=cond, code_dial="", code_used="", dialled="2003", calling="105")
    else:
        line = printer(cond=cond)
    call = leg(line)
    assert (call.direction, call.disposition) == (direction, disposition)
    assert (call.extra["leg_role"], call.extra["billable"]) == (role, billable)


def test_ring_time_records_carry_ring_time_not_talk_time() -> None:
    abandoned = leg(
        printer(
            cond="H", duration="0005", code_dial="", code_used="", dialled="2003", calling="105"
        )
    )
    assert (abandoned.duration_seconds, abandoned.ring_seconds, abandoned.answered_at) == (
        0,
        30,
        None,
    )
    answered = leg(
        printer(
            cond="G", duration="0003", code_dial="", code_used="", dialled="2003", calling="105"
        )
    )
    assert (answered.duration_seconds, answered.ring_seconds) == (0, 18)
    assert answered.answered_at == answered.ended_at


def test_an_incoming_call_in_a_standard_layout_takes_the_tac_as_trunk() -> None:
    call = leg(teleseer(), ctx(layout="teleseer"))
    assert (call.direction, call.extension, call.trunk) == ("inbound", "2003", "105")
    assert call.extra["circuit_id"] == "012"


def test_the_customized_layout_from_config_with_date_seconds_and_ucid() -> None:
    call = leg(custom(), ctx(**CUSTOM))
    assert call.ended_at == datetime(2025, 4, 30, 22, 59, tzinfo=UTC)
    assert call.duration_seconds == 125 and call.account_code == "PRJ1"
    assert call.call_id == "00001002161234567890"
    assert call.source_record_id == "00001002161234567890:7:202504302359"
    assert "date_inferred" not in call.extra


def test_customized_incoming_call_uses_the_incoming_trunk_code() -> None:
    call = leg(
        custom(cond="9", code_used="", dialled="2003", calling="1632960777", in_trunk="105"),
        ctx(**CUSTOM),
    )
    assert (call.direction, call.trunk, call.calling_number) == ("inbound", "105", "1632960777")


def test_day_month_order_is_configurable() -> None:
    call = leg(custom(date="300425"), ctx(**CUSTOM, date_order="dmy"))
    assert call.ended_at.date() == datetime(2025, 4, 30).date()


def test_a_four_digit_date_infers_the_year() -> None:
    fields = [dict(f) for f in CUSTOM["fields"]]
    fields[0]["length"] = 4
    call = leg(custom(date="1231"), ctx(layout="customized", fields=fields))
    assert call.ended_at.year == 2024 and call.extra["date_inferred"] is True


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (printer(time="9999"), "not a time of day"),
        (printer(time="2460"), "not a time of day"),
        (printer(duration="9999"), "clock change"),
        (printer(duration="0700"), "70 minutes"),
        (printer(duration="01a3"), "not hmmt"),
        (printer(cond="Z"), "condition code"),
        (printer()[:60], "at least 76"),
        ("X" + printer()[1:], "hhmm"),
        (printer()[:4] + "x" + printer()[5:], "should be blank"),
    ],
)
def test_bad_records_are_rejected_with_a_reason(line: str, reason: str) -> None:
    reject = rejected(line)
    assert reason in reject.reason and reject.line_number == 1


def test_customized_records_of_the_wrong_length_are_rejected() -> None:
    reject = rejected(custom() + "  ", ctx(**CUSTOM))
    assert "customized layout has 87" in reject.reason


def test_customized_invalid_date_is_rejected() -> None:
    assert "date" in rejected(custom(date="023025"), ctx(**CUSTOM)).reason


def test_dst_fall_back_end_time_takes_the_first_occurrence() -> None:
    call = leg(custom(date="102625", time="0130", seconds="60"), ctx(**CUSTOM))
    assert call.ended_at == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert call.extra["dst"] == "ambiguous_first_occurrence"


def test_dst_spring_gap_end_time_is_shifted_forward() -> None:
    call = leg(custom(date="033025", time="0130", seconds="60"), ctx(**CUSTOM))
    assert call.ended_at == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert call.extra["dst"] == "nonexistent_shifted_forward"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layout": "expanded"}, "not one of"),
        ({"layout": "customized"}, "needs `fields"),
        ({"layout": "customized", "fields": [{"name": "tiem", "length": 4}]}, "unknown item"),
        ({"layout": "customized", "fields": [{"name": "time", "length": 4}]}, "cond-code"),
        ({"layuot": "printer"}, "unknown option"),
    ],
)
def test_invalid_layout_configuration_is_a_clear_error(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse(printer(), context=ctx(**options))


def test_alternate_condition_codes_translate_letters() -> None:
    call = leg(
        printer(cond="I", code_dial="", code_used="", dialled="2003", calling="105"),
        ctx(alternate_condition_codes=True),
    )
    assert call.direction == "inbound" and call.extra["condition_code"] == "9"


def test_one_line_parses_alone_for_the_sidecar_and_nuls_are_framing() -> None:
    items = list(get_parser("avaya")((printer() + "\r\n\x00\x00\x00").encode(), ctx()))
    assert len(items) == 1 and isinstance(items[0], CallLeg)


def test_the_bulk_path_matches_parse() -> None:
    lines = [
        printer(),
        printer(cond="H", code_dial="", code_used="", dialled="2003", calling="105"),
        printer(time="9999"),
    ]
    tables = parse_tables("avaya", "\n".join(lines).encode(), ctx())
    legs = [i for i in parse(*lines) if isinstance(i, CallLeg)]
    assert (tables.legs.num_rows, tables.rejects.num_rows) == (2, 1)
    assert tables.legs.column("ended_at").to_pylist() == [x.ended_at for x in legs]
    assert tables.rejects.column("line_number").to_pylist() == [3]
