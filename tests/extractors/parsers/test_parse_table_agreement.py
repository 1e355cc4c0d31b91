"""The vectorised bulk path (`parse_table`) of the line-based parsers gives exactly the legs and
rejects of the row parser (`parse`): same ids, times, mappings, extras, reasons and order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
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


# Text where Python and polars could differ: Unicode whitespace and digits, tabs, quotes, and
# the separators of channel names and Dial targets.
UNICODE = st.sampled_from(
    ["\xa0", "\u2003", "\t", "ü", "\u0663", "\\", '"', "\x1c", "\x85"]
    + ["@", ";", "&", "/", "-", "-0a", "Local/", "SIP/", "T1"]
)


@st.composite
def unicode_mutated(draw: st.DrawFn, fmt: str) -> list[str]:
    lines = sample_lines(fmt, draw(st.integers(0, 10_000)), draw(st.integers(1, 3)))
    out = []
    for line in lines:
        chars = list(line)
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(chars)))
            if draw(st.booleans()) and at < len(chars):
                chars[at] = draw(UNICODE)
            else:
                chars.insert(at, draw(UNICODE))
        out.append("".join(chars))
    return out


@pytest.mark.parametrize("fmt", list(GENERATORS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_unicode_whitespace_and_digits_give_the_same_tables_on_both_paths(
    fmt: str, data: st.DataObject
) -> None:
    lines = data.draw(unicode_mutated(fmt))
    assert_agree(fmt, "\n".join([*lines, *lines]).encode())


@pytest.mark.parametrize("fmt", list(GENERATORS))
@settings(max_examples=40, deadline=None)
@given(text=st.lists(st.text(ALPHABET, max_size=120), min_size=1, max_size=4))
def test_random_text_gives_the_same_tables_on_both_paths(fmt: str, text: list[str]) -> None:
    assert_agree(fmt, "\n".join(line.replace("\n", " ") for line in text).encode())


# --- Edge cases: every one of them must give the same tables on both paths. -----------------

MADRID = ZoneInfo("Europe/Madrid")
TORONTO = ZoneInfo("America/Toronto")


def context(zone: ZoneInfo = LONDON, now: datetime = CTX.now, **options: Any) -> ParseContext:
    return ParseContext(timezone=zone, now=now, options=options, file_name="edge.txt")


def avaya_printer(time: str, cond: str = "A", calling: str = "2001") -> str:
    return (
        f"{time} 0123 {cond} {'9':>3} {'101':>3} {'901632960777':>15} {calling:>5} "
        f"{'':>15} {'':>7}    0 0 001"
    )


AVAYA_CUSTOM: dict[str, Any] = {
    "layout": "customized",
    "fields": [
        {"name": "date", "length": 6}, {"name": "space", "length": 1},
        {"name": "time", "length": 4}, {"name": "space", "length": 1},
        {"name": "sec-dur", "length": 5}, {"name": "space", "length": 1},
        {"name": "cond-code", "length": 1}, {"name": "space", "length": 1},
        {"name": "code-used", "length": 4}, {"name": "space", "length": 1},
        {"name": "dialed-num", "length": 18}, {"name": "space", "length": 1},
        {"name": "calling-num", "length": 10}, {"name": "space", "length": 1},
        {"name": "in-trk-code", "length": 4}, {"name": "space", "length": 1},
        {"name": "ucid", "length": 20},
    ],
}  # fmt: skip


def avaya_custom(date: str, time: str, cond: str = "9", ucid: str = "00001002341710149400") -> str:
    return (
        f"{date} {time} {'00130':>5} {cond} {'':>4} {'2003':>18} {'1632960777':>10} "
        f"{'T101':>4} {ucid:>20}"
    )


def test_avaya_dst_gap_and_repeat_hours_and_ucids_agree() -> None:
    lines = [
        avaya_custom("033124", "0130"),  # in the spring-forward gap
        avaya_custom("102724", "0130"),  # the repeated hour
        avaya_custom("102724", "0130", cond="A"),
        avaya_custom("022924", "2359", ucid=""),  # leap day, no ucid: a record key
        avaya_custom("022924", "2359", ucid=""),  # the same again: occurrence 1
        avaya_custom("023024", "1000"),  # no such date: a reject
        avaya_custom("1231", "0000")[:-2],  # too short: a reject
    ]
    tables = assert_agree("avaya", "\r\n".join(lines).encode(), context(**AVAYA_CUSTOM))
    assert tables.rejects.num_rows == 2
    assert any('"dst"' in extra for extra in tables.legs["extra"].to_pylist())


@pytest.mark.parametrize("options", [{}, {"date_order": "dmy"}])
def test_avaya_four_digit_dates_and_leap_days_agree(options: dict[str, Any]) -> None:
    fields = [{"name": "date", "length": 4}, *AVAYA_CUSTOM["fields"][1:]]
    custom = {**AVAYA_CUSTOM, "fields": fields, **options}
    lines = [avaya_custom(d, "1200") for d in ("0229", "2902", "1231", "3112", "0230")]
    now = datetime(2025, 3, 1, tzinfo=UTC)
    assert_agree("avaya", "\n".join(lines).encode(), context(now=now, **custom))


@pytest.mark.parametrize("layout", ["printer", "teleseer", "isdn-teleseer"])
def test_avaya_time_only_layouts_agree_around_midnight(layout: str) -> None:
    lines = [avaya_printer(t, c) for t in ("0000", "2359", "1130", "2400") for c in "A90HIGE6"]
    if layout != "printer":
        lines = [f"   {line[:4]}{line[5:9]}{line[10]}{line[12:72]}" for line in lines]
    now = datetime(2024, 3, 31, 0, 30, tzinfo=UTC)  # the day of the spring-forward gap
    assert_agree("avaya", "\n".join(lines).encode(), context(now=now, layout=layout))


def test_avaya_alternate_condition_codes_agree() -> None:
    lines = [avaya_printer("1015", code) for code in "ADEGHILN19"]
    assert_agree("avaya", "\n".join(lines).encode(), context(alternate_condition_codes=True))


def mitel_line(date: str, time: str, tta: str = "   ", completion: str = "A") -> str:
    return (
        f" {date} {time} 00:08:29 T054  {tta} {'6135952122':<26}{completion} "
        f"{'214':<4}  {'':<4} {'':<12} 000"
    )


@pytest.mark.parametrize("options", [{}, {"clock": "12"}, {"clock": "24"}, {"meter_pulses": True}])
def test_mitel_dst_leap_days_and_clock_options_agree(options: dict[str, Any]) -> None:
    lines = [
        mitel_line("03/10", "02:30 "),  # Toronto's spring-forward gap (2024-03-10)
        mitel_line("11/03", "01:30 "),  # the repeated hour
        mitel_line("02/29", "11:00a"),  # leap day: the latest leap year
        mitel_line("02/30", "11:00a"),  # no such date
        mitel_line("12/31", "11:59p", tta="***"),  # after `now`: last year
        mitel_line("06/13", "12:15a", tta="012", completion="B"),
        mitel_line("06/13", "12:15 ")[1:],  # column 1 trimmed
        mitel_line("06/13", "12:15 ")[1:],
    ]
    now = datetime(2025, 5, 1, 12, tzinfo=UTC)
    assert_agree("mitel", "\n".join(lines).encode(), context(TORONTO, now, **options))


def test_mitel_vendor_examples_agree() -> None:
    from tests.paths import PBX

    data = (PBX / "mitel" / "mivb_smdr_help_examples.txt").read_bytes()
    assert_agree("mitel", data, context(TORONTO, datetime(2025, 5, 1, 12, tzinfo=UTC)))


def asterisk_row(start: str, answer: str, end: str, **fields: str) -> str:
    row = {
        "accountcode": "", "src": "205", "dst": "907700900461", "dcontext": "from-internal",
        "clid": '"Sales 2" <205>', "channel": "PJSIP/205-00000013",
        "dstchannel": "PJSIP/carrier-00000014", "lastapp": "Dial",
        "lastdata": "PJSIP/07700900461@carrier,60", "start": start, "answer": answer,
        "end": end, "duration": "59", "billsec": "48", "disposition": "ANSWERED",
        "amaflags": "BILLING", "uniqueid": "1710150000.19", "userfield": "", "peeraccount": "",
        "linkedid": "1710150000.19", "sequence": "23",
    } | fields  # fmt: skip
    return ",".join('"' + value.replace('"', '""') + '"' for value in row.values())


@pytest.mark.parametrize("options", [{}, {"usegmtime": True}, {"trunks": ["carrier"]}])
def test_asterisk_dst_quoting_and_line_ends_agree(options: dict[str, Any]) -> None:
    lines = [
        asterisk_row("2024-03-31 00:59:50", "2024-03-31 01:00:10", "2024-03-31 02:10:00"),
        asterisk_row("2024-10-27 01:30:00", "2024-10-27 01:30:05", "2024-10-27 01:40:00"),
        asterisk_row("2024-02-29 10:00:00", "2024-02-29 10:00:05", "2024-02-29 10:01:00"),
        asterisk_row("2024-02-30 10:00:00", "", "2024-02-30 10:01:00", disposition="BUSY"),
        asterisk_row("2024-03-01 10:00:00", "", "2024-03-01 10:00:09", disposition="NO ANSWER"),
        asterisk_row("2024-03-01 10:00:00", "", "2024-03-01 10:00:09", uniqueid="", sequence=""),
        asterisk_row("2024-03-01 10:00:00", "", "2024-03-01 10:00:09", uniqueid="", sequence=""),
        asterisk_row("2024-03-01 10:00:00", "x", "2024-03-01 10:00:09", lastdata='a"b\\c'),
        asterisk_row(
            "2024-03-01 10:00:00",
            "2024-03-01 10:00:01",
            "2024-03-01 10:00:09",
            clid="Müller <205>",
            dcontext='ctx"quoted',
        ),
        asterisk_row(
            "2024-03-01 10:00:00",
            "2024-03-01 10:00:01",
            "2024-03-01 10:00:09",
            lastdata="SIP/carrier/0800123",
            channel="Local/205@from-internal-00ab;1",
        ),
        asterisk_row(
            "2024-03-01 10:00:00",
            "2024-03-01 10:00:01",
            "2024-03-01 10:00:09",
            clid="two\nlines",
            dst="h",
            dstchannel="",
        ),
        "",
        '"unclosed,"quote',
        asterisk_row("2024-03-01 23:59:59", "2024-03-01 23:59:60", "2024-03-02 00:00:09"),
    ]
    text = "\r\n".join(lines[:6]) + "\n" + "\n".join(lines[6:])
    assert_agree("asterisk", ("\ufeff" + text).encode(), context(**options))


def test_asterisk_layout_from_the_first_readable_row_agrees() -> None:
    sixteen = ",".join(asterisk_row("2024-03-01 10:00:00", "", "2024-03-01 10:00:09",
                                    disposition="BUSY").split(",")[:16])  # fmt: skip
    lines = ["garbage", '"a","b"', sixteen, sixteen, asterisk_row("2024-03-01 10:00:00", "", "x")]
    assert_agree("asterisk", "\n".join(lines).encode(), context())
    fields = ["clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
              "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
              "accountcode", "uniqueid", "userfield", "sequence", "src"]  # fmt: skip
    assert_agree("asterisk", "\n".join(lines).encode(), context(fields=fields))


def freeswitch_row(**changes: str) -> str:
    fields = {
        "caller_id_name": "Extension 1000", "caller_id_number": "1000",
        "destination_number": "0034688886392", "context": "default",
        "start_stamp": "2024-03-31 01:59:00", "answer_stamp": "2024-03-31 03:00:07",
        "end_stamp": "2024-03-31 03:01:07", "duration": "67", "billsec": "60",
        "hangup_cause": "NORMAL_CLEARING", "uuid": "a-leg", "bleg_uuid": "b-leg",
        "accountcode": "PROJ42", "read_codec": "PCMA", "write_codec": "PCMA",
    } | changes  # fmt: skip
    return ",".join(f'"{v}"' for v in fields.values())


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"inbound_contexts": ["public"], "internal_contexts": ["default"]},
        {"template": "default"},
    ],
)
def test_freeswitch_dst_b_legs_and_templates_agree(options: dict[str, Any]) -> None:
    lines = [
        freeswitch_row(),  # Madrid's spring-forward gap is 02:00-03:00: answer and end after it
        freeswitch_row(start_stamp="2024-03-31 02:30:00"),  # in the gap
        freeswitch_row(uuid="b-leg", bleg_uuid="", context="public", caller_id_number="+3491"),
        freeswitch_row(
            uuid="", bleg_uuid="", answer_stamp="", billsec="0", hangup_cause="USER_BUSY"
        ),
        freeswitch_row(
            uuid="", bleg_uuid="", answer_stamp="", billsec="0", hangup_cause="USER_BUSY"
        ),
        freeswitch_row(answer_stamp="", billsec="0", hangup_cause="CALL_REJECTED", uuid="x"),
        freeswitch_row(hangup_cause='odd"cause', uuid="y"),
        freeswitch_row(billsec="", uuid="z"),
        freeswitch_row(billsec="x1", uuid="w"),
        freeswitch_row(end_stamp="2024-03-31 01:00:00", uuid="v"),
        freeswitch_row(bleg_uuid="a-leg", uuid="b-leg"),  # a later mapping of the same b-leg
    ]
    if options.get("template") == "default":
        lines = [",".join(line.split(",")[:13]) for line in lines]
    assert_agree("freeswitch", "\n".join(lines).encode(), context(MADRID, **options))


@pytest.mark.parametrize(
    "template",
    [
        (
            '"${caller_id_number}","${destination_number}","${start_epoch}","${answer_epoch}",'
            '"${end_epoch}","${hangup_cause}","${uuid}","${sip_gateway_name}","${billsec}"'
        ),
        (
            '"${caller_id_number}","${destination_number}","${start_uepoch}","${end_uepoch}",'
            '"${billsec}","${uuid}","${call_uuid}"'
        ),
    ],
)
def test_freeswitch_epoch_templates_agree(template: str) -> None:
    if "start_epoch" in template:
        lines = [
            '"1000","5551234","1710149400","1710149407","1710149467","NORMAL_CLEARING","u1","gw1","60"',
            '"1000","5551234","1710149400","0","1710149467","NO_ANSWER","","","0"',
            '"1000","5551234","1710149400","","1710149467","NO_ANSWER","","","5"',
            '"1000","5551234","17101494x0","","1710149467","NO_ANSWER","","",""',
            '"1000","5551234","0","","1710149467","NO_ANSWER","u2","",""',
        ]
    else:
        lines = [
            '"1000","5551234","1710149400000000","1710149467000000","60","u1","call-1"',
            '"1000","5551234","1710149400000000","1710149467000000","0","","call-2"',
            '"1000","5551234","1710149400000000","1710149467000000","","u3",""',
        ]
    assert_agree("freeswitch", "\n".join(lines).encode(), context(MADRID, template=template))


@pytest.mark.parametrize("fmt", list(GENERATORS))
def test_a_single_line_gives_the_same_leg_on_both_paths(fmt: str) -> None:
    line = sample_lines(fmt, 11, 1)[0]
    tables = assert_agree(fmt, line.encode())
    assert tables.legs.num_rows == 1


@pytest.mark.parametrize("fmt", list(GENERATORS))
def test_well_formed_records_take_the_vectorised_path_and_rejects_the_row_parser(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = parser_module(fmt)
    seen: list[int] = []
    run_slow = module.run_slow

    def counting(source_format: str, records: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(len(records))
        return run_slow(source_format, records, *args, **kwargs)

    monkeypatch.setattr(module, "run_slow", counting)
    lines = sample_lines(fmt, 21, 500)
    tables = module.parse_table("\n".join([*lines, "not a record"]).encode(), CTX)
    assert seen == [1]  # the one bad line; 500 good ones never reach the row parser
    assert (tables.legs.num_rows, tables.rejects.num_rows) == (500, 1)


def test_a_utf8_caller_name_the_mapping_does_not_read_stays_on_the_vectorised_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = parser_module("asterisk")
    seen: list[int] = []
    run_slow = module.run_slow

    def counting(source_format: str, records: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(len(records))
        return run_slow(source_format, records, *args, **kwargs)

    monkeypatch.setattr(module, "run_slow", counting)
    line = asterisk_row(
        "2024-03-01 10:00:00", "2024-03-01 10:00:01", "2024-03-01 10:00:09", clid="Müller <205>"
    )
    tables = assert_agree("asterisk", line.encode())
    assert seen == [0]  # `parse` never calls run_slow; parse_table sent nothing to it
    assert tables.legs["raw"].to_pylist() == [line]


@pytest.mark.parametrize(
    "zone",
    ["Europe/London", "America/Santiago", "Australia/Lord_Howe", "Antarctica/Troll",
     "America/Havana", "Africa/Casablanca", "Asia/Gaza"],
)  # fmt: skip
def test_a_whole_day_offset_is_what_every_hour_of_that_day_has(zone: str) -> None:
    from datetime import date

    from extractors.parsers._localtime import LocalClock

    clock = LocalClock(ZoneInfo(zone))
    first = date(2024, 1, 1).toordinal() - date(1970, 1, 1).toordinal()
    transition_days = 0
    for day in range(first, first + 366):
        offset = clock.day_offset(day)
        hours = {clock.hour_offset(day * 24 + hour) for hour in range(24)}
        if offset is None:
            transition_days += 1
            assert len(hours) > 1
        else:
            assert hours == {offset}
    assert transition_days >= 2
