"""Asterisk cdr_csv Master.csv: the illustrative lines of asterisk-freeswitch.md and its traps."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callmeter.legs import CallLeg, Rejected
from extractors.parsers import ParseContext, get_parser
from extractors.parsers.tables import parse_tables

LONDON = ZoneInfo("Europe/London")

# The doc's synthetic 21-column lines: an inbound call ringing 201 and 202, then an outbound one.
DOC = r'''"","01632960777","200","from-trunk","""EXAMPLE LTD"" <01632960777>","PJSIP/carrier-00000010","PJSIP/201-00000011","Dial","PJSIP/201&PJSIP/202,30,t","2024-03-11 09:30:00","2024-03-11 09:30:08","2024-03-11 09:32:10",130,122,"ANSWERED","DOCUMENTATION","1710149400.16","","","1710149400.16",21
"","01632960777","200","from-trunk","""EXAMPLE LTD"" <01632960777>","PJSIP/carrier-00000010","PJSIP/202-00000012","Dial","PJSIP/201&PJSIP/202,30,t","2024-03-11 09:30:00",,"2024-03-11 09:30:08",8,0,"NO ANSWER","DOCUMENTATION","1710149400.16","","","1710149400.16",22
"PROJ42","205","907700900461","from-internal","""Sales 2"" <205>","PJSIP/205-00000013","PJSIP/carrier-00000014","Dial","PJSIP/07700900461@carrier,60","2024-03-11 09:40:00","2024-03-11 09:40:11","2024-03-11 09:40:59",59,48,"ANSWERED","BILLING","1710150000.19","","","1710150000.19",23
'''


def ctx(**options: Any) -> ParseContext:
    return ParseContext(timezone=LONDON, now=datetime(2025, 1, 1, tzinfo=UTC), options=options)


def parse(text: str, context: ParseContext | None = None) -> list[CallLeg | Rejected]:
    return list(get_parser("asterisk")(text.encode(), context or ctx()))


def row(**changes: str) -> str:
    """The doc's outbound line with some fields replaced (by cdr_csv column name)."""
    names = [
        "accountcode",
        "src",
        "dst",
        "dcontext",
        "clid",
        "channel",
        "dstchannel",
        "lastapp",
        "lastdata",
        "start",
        "answer",
        "end",
        "duration",
        "billsec",
        "disposition",
        "amaflags",
        "uniqueid",
        "userfield",
        "peeraccount",
        "linkedid",
        "sequence",
    ]
    values = dict(zip(names, next(csv.reader([DOC.splitlines()[2]])), strict=True))
    values.update(changes)
    bare = {"duration", "billsec", "sequence"}
    return ",".join(
        v if k in bare or (k == "answer" and not v) else '"' + v.replace('"', '""') + '"'
        for k, v in values.items()
    )


def test_the_doc_lines_give_one_leg_per_row_grouped_by_linkedid() -> None:
    legs = parse(DOC)
    assert all(isinstance(leg, CallLeg) for leg in legs)
    first, second, third = legs
    assert first.call_id == second.call_id == "1710149400.16"
    assert first.source_record_id == "1710149400.16:21"
    assert (first.direction, first.disposition, first.extension, first.trunk) == (
        "inbound", "answered", "201", "carrier",
    )  # fmt: skip
    assert (first.ring_seconds, first.duration_seconds) == (8, 122)
    assert (second.disposition, second.answered_at, second.duration_seconds) == (
        "no_answer",
        None,
        0,
    )
    assert second.extension == "202"


def test_an_outbound_call_takes_the_number_sent_to_the_trunk() -> None:
    leg = parse(DOC)[2]
    assert isinstance(leg, CallLeg)
    assert (leg.direction, leg.trunk, leg.extension) == ("outbound", "carrier", "205")
    assert leg.called_number == "07700900461"  # dst 907700900461 keeps the outside-line prefix
    assert leg.account_code == "PROJ42"
    # Local time: March 2024 in London is GMT.
    assert leg.started_at == datetime(2024, 3, 11, 9, 40, tzinfo=UTC)
    assert (leg.ring_seconds, leg.duration_seconds) == (11, 48)  # billsec, not duration (59)


def test_no_answer_rows_ignore_party_a_answer_and_billsec() -> None:
    [leg] = parse(row(disposition="NO ANSWER", billsec="48"))
    assert isinstance(leg, CallLeg)
    assert (leg.answered_at, leg.duration_seconds, leg.ring_seconds) == (None, 0, 59)


@pytest.mark.parametrize(
    ("disposition", "expected"), [("BUSY", "busy"), ("FAILED", "failed"), ("CONGESTION", "failed")]
)
def test_dispositions(disposition: str, expected: str) -> None:
    [leg] = parse(row(disposition=disposition, answer="", billsec="0"))
    assert isinstance(leg, CallLeg) and leg.disposition == expected


def test_h_extension_rows_are_flagged_not_dropped() -> None:
    [leg] = parse(row(dst="h", dstchannel="", lastapp="Hangup", lastdata=""))
    assert isinstance(leg, CallLeg)
    assert (leg.extra["leg_role"], leg.extra["billable"]) == ("post_dial", False)


def test_local_channel_halves_are_flagged() -> None:
    [leg] = parse(row(channel="Local/201@from-internal-00000001;2"))
    assert isinstance(leg, CallLeg) and leg.extra["leg_role"] == "local_channel"


def test_usegmtime_reads_utc() -> None:
    [leg] = parse(
        row(start="2024-07-01 09:40:00", answer="2024-07-01 09:40:11", end="2024-07-01 09:40:59"),
        ctx(usegmtime=True),
    )
    assert isinstance(leg, CallLeg) and leg.started_at == datetime(2024, 7, 1, 9, 40, tzinfo=UTC)
    [local] = parse(
        row(start="2024-07-01 09:40:00", answer="2024-07-01 09:40:11", end="2024-07-01 09:40:59")
    )
    assert isinstance(local, CallLeg) and local.started_at == datetime(
        2024, 7, 1, 8, 40, tzinfo=UTC
    )


def test_dst_ambiguous_start_is_recorded() -> None:
    [leg] = parse(
        row(start="2024-10-27 01:30:00", answer="2024-10-27 01:30:11", end="2024-10-27 01:30:59")
    )
    assert isinstance(leg, CallLeg)
    assert leg.started_at == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    assert leg.extra["dst"]["start"] == "ambiguous_first_occurrence"


def test_without_newcdrcolumns_the_call_id_is_the_uniqueid_and_the_key_a_hash() -> None:
    text = "\n".join(line.rsplit(",", 3)[0] for line in DOC.splitlines())  # 18 columns
    legs = parse(text)
    assert all(isinstance(leg, CallLeg) for leg in legs)
    assert legs[0].call_id == "1710149400.16" and legs[0].source_record_id.endswith("-0")
    assert legs[0].source_record_id != legs[1].source_record_id


def test_configured_columns_reject_rows_of_another_count() -> None:
    items = parse(DOC, ctx(loguniqueid=True))  # 17 columns configured, 21 written
    assert all(isinstance(i, Rejected) and "17" in i.reason for i in items)


def test_an_explicit_cdr_custom_field_list() -> None:
    fields = [
        "clid",
        "src",
        "dst",
        "dcontext",
        "channel",
        "dstchannel",
        "lastapp",
        "lastdata",
        "start",
        "answer",
        "end",
        "duration",
        "billsec",
        "disposition",
        "amaflags",
        "accountcode",
        "uniqueid",
        "userfield",
        "sequence",
    ]
    line = '"""Desk"" <201>","201","202","from-internal","PJSIP/201-00000001","PJSIP/202-00000002","Dial","PJSIP/202,30","2024-03-11 10:00:00","","2024-03-11 10:00:09","9","0","NO ANSWER","DOCUMENTATION","","1710151200.3","","7"'
    [leg] = parse(line, ctx(fields=fields))
    assert isinstance(leg, CallLeg)
    assert (leg.direction, leg.disposition, leg.source_record_id) == (
        "internal",
        "no_answer",
        "1710151200.3:7",
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"start": "2024/3/11 9:40"}, "spreadsheet"),
        ({"end": "2024-03-11 09:39:00"}, "before start"),
        ({"billsec": "x"}, "billsec"),
        ({"disposition": "MAYBE"}, "disposition"),
        ({"answer": ""}, "answer time is empty"),
        ({"start": "2024-02-30 09:40:00"}, "day is out of range"),
        ({"start": "2024-03-11 25:40:00"}, "out of range"),
    ],
)
def test_bad_rows_are_rejected_with_a_reason(changes: dict[str, str], reason: str) -> None:
    [item] = parse("\n" + row(**changes))
    assert isinstance(item, Rejected) and reason in item.reason
    assert item.line_number == 2


def test_an_unknown_column_count_is_rejected() -> None:
    [item] = parse('"a","b","c"')
    assert isinstance(item, Rejected) and "3 fields" in item.reason


def test_the_bulk_path_matches_parse() -> None:
    text = DOC + row(billsec="x") + "\n"
    tables = parse_tables("asterisk", text.encode(), ctx())
    legs = [i for i in parse(text) if isinstance(i, CallLeg)]
    assert (tables.legs.num_rows, tables.rejects.num_rows) == (3, 1)
    assert tables.legs.column("call_id").to_pylist() == [leg.call_id for leg in legs]
    assert tables.legs.column("duration_seconds").to_pylist() == [122, 0, 48]
