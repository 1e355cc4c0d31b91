"""3CX CDR parser on synthetic lines written after docs/pbx-formats/3cx.md (no fixture exists)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from callmeter.legs import CallLeg, Rejected
from extractors.parsers import ParseContext, get_parser, three_cx
from extractors.parsers.tables import parse_tables, tables_from_items

LONDON = ZoneInfo("Europe/London")
CTX = ParseContext(
    timezone=LONDON,
    now=datetime(2025, 1, 1, tzinfo=UTC),
    trunk_devices=frozenset({"10001"}),
    file_name="cdr.log",
)
# The doc's illustrative lines (synthetic; Ofcom drama-range numbers), default field order.
INBOUND = (
    "Call 4711,0000019000ABCDEF_0042,00:02:05,2024/03/11 09:15:02,2024/03/11 09:15:09,"
    "2024/03/11 09:17:14,TerminatedBySrc,01632960123,Ext.201,10000,201,201,ReplacedDst,Ext.205,"
    '205,,,,,"Chain: 01632960123,Ext.201,Ext.205,",External,Internal,Internal,EXAMPLE LTD,'
    "Reception,Sales 2,"
)
OUTBOUND = (
    "Call 4712,0000019000ABCE10_0043,00:00:48,2024/03/11 09:20:30,2024/03/11 09:20:41,"
    "2024/03/11 09:21:29,TerminatedByDst,Ext.205,07700900461,205,10001,07700900461,,,,PROJ42,1,"
    '0.80,default,"Chain: Ext.205,07700900461,",Internal,External,External,Sales 2,,,'
)
MISSED = (
    "Call 4713,0000019000ABCE55_0044,,2024/03/11 09:25:00,,2024/03/11 09:25:16,Failed_Cancelled,"
    "Ext.205,Ext.207,205,207,207,,,,,,,,,Internal,Internal,Internal,Sales 2,Sales 4,Sales 4,"
)


def run(data: bytes, ctx: ParseContext = CTX) -> tuple[list[CallLeg], list[Rejected]]:
    items = list(three_cx.parse(data, ctx))
    return (
        [item for item in items if isinstance(item, CallLeg)],
        [item for item in items if isinstance(item, Rejected)],
    )


def default_line(**changes: str) -> str:
    """A default-order line built from named values (unnamed fields empty)."""
    values = dict.fromkeys(three_cx.DEFAULT_FIELDS, "")
    values.update(
        {
            "historyid": "Call 9000",
            "callid": "0000019000FFFFFF_0001",
            "time-start": "2024/06/03 10:00:00",
            "time-end": "2024/06/03 10:00:30",
            "from-no": "Ext.201",
            "to-no": "Ext.202",
            "from-dn": "201",
            "to-dn": "202",
            "dial-no": "202",
            "from-type": "Internal",
            "to-type": "Internal",
            "reason-terminated": "TerminatedBySrc",
        }
    )
    values.update({name.replace("_", "-"): value for name, value in changes.items()})
    return ",".join(values[name] for name in three_cx.DEFAULT_FIELDS)


def test_an_inbound_call_is_charged_to_the_party_who_talked() -> None:
    [leg], rejects = run(INBOUND.encode())
    assert rejects == []
    assert (leg.source_record_id, leg.call_id) == ("0000019000ABCDEF_0042", "4711")
    # 11 March 2024 is GMT in London, so local time equals UTC.
    assert leg.started_at == datetime(2024, 3, 11, 9, 15, 2, tzinfo=UTC)
    assert leg.answered_at == datetime(2024, 3, 11, 9, 15, 9, tzinfo=UTC)
    assert leg.ended_at == datetime(2024, 3, 11, 9, 17, 14, tzinfo=UTC)
    assert (leg.ring_seconds, leg.duration_seconds) == (7, 125)
    assert (leg.direction, leg.disposition) == ("inbound", "answered")
    assert (leg.calling_number, leg.called_number) == ("01632960123", "201")
    assert (leg.extension, leg.trunk, leg.account_code) == ("205", "10000", None)
    assert leg.extra["chain"] == ["01632960123", "Ext.201", "Ext.205"]
    assert leg.extra["reason_changed"] == "ReplacedDst"
    assert leg.extra["final_number"] == "205"
    assert leg.raw == INBOUND


def test_an_outbound_call_uses_the_configured_trunk_dn_and_bill_code() -> None:
    [leg], _ = run(OUTBOUND.encode())
    assert (leg.direction, leg.disposition, leg.duration_seconds) == ("outbound", "answered", 48)
    assert (leg.calling_number, leg.called_number, leg.extension) == ("205", "07700900461", "205")
    assert (leg.trunk, leg.account_code) == ("10001", "PROJ42")
    assert leg.extra["bill_cost"] == "0.80"
    # A to-dn that is not a configured trunk DN is not taken for a trunk.
    [leg], _ = run(OUTBOUND.encode(), ParseContext(LONDON, CTX.now))
    assert leg.trunk is None


def test_an_unanswered_internal_call_costs_no_talk_time() -> None:
    [leg], _ = run(MISSED.encode())
    assert (leg.direction, leg.disposition) == ("internal", "no_answer")
    assert (leg.answered_at, leg.duration_seconds, leg.ring_seconds) == (None, 0, 16)
    assert (leg.extra["chain"], leg.extra["bill_cost"], leg.extra["dst"]) == (None, None, None)


@pytest.mark.parametrize(
    ("reason", "answered", "disposition"),
    [
        ("RouteBusy", "", "busy"),
        ("Failed", "", "failed"),
        ("NoRouteExists", "", "failed"),
        ("NotAvailable", "", "failed"),
        ("TerminatedBySrc", "", "no_answer"),
        ("Failed_Cancelled", "2024/06/03 10:00:05", "answered"),  # decided on the answer time
    ],
)
def test_disposition_follows_the_answer_time_then_the_reason(
    reason: str, answered: str, disposition: str
) -> None:
    line = default_line(reason_terminated=reason, time_answered=answered)
    [leg], _ = run(line.encode())
    assert leg.disposition == disposition
    assert leg.duration_seconds == (25 if answered else 0)  # empty duration: from the times


def test_a_file_with_a_bom_and_crlf_lines_parses_every_record() -> None:
    data = ("\ufeff" + "\r\n".join((INBOUND, OUTBOUND, MISSED)) + "\r\n").encode()
    legs, rejects = run(data)
    assert rejects == []
    assert [leg.call_id for leg in legs] == ["4711", "4712", "4713"]
    assert [leg.raw for leg in legs] == [INBOUND, OUTBOUND, MISSED]


def test_a_configured_field_order_is_followed_and_the_call_prefix_is_stripped() -> None:
    fields = ["callid", "historyid", "time_start", "time_answered", "time_end", "from-no"]
    fields += ["to-no", "dial-no", "from-type", "to-type", "from-dn", "to-dn", "duration", "chain"]
    ctx = ParseContext(LONDON, CTX.now, options={"fields": fields})
    line = (
        "Call 0000019000ABCDEF_0099,4800,2024/03/11 09:15:02,2024/03/11 09:15:03,"
        '2024/03/11 09:16:03,01632960123,Ext.201,201,Line,Extension,10000,201,00:01:00,"Chain: a,b,"'
    )
    [leg], rejects = run(line.encode(), ctx)
    assert rejects == []
    assert (leg.source_record_id, leg.call_id) == ("0000019000ABCDEF_0099", "4800")
    assert (leg.direction, leg.duration_seconds, leg.extension) == ("inbound", 60, "201")
    assert leg.extra["chain"] == ["a", "b"]
    # The default 27-field map does not fit this line: a reject, not a guess.
    [reject] = run(line.encode())[1]
    assert reject.reason == "14 fields where the configured 3CX field map has 27"


def test_a_line_with_the_wrong_field_count_is_rejected_and_the_others_parse() -> None:
    data = "\n".join((INBOUND, OUTBOUND.rsplit(",", 3)[0], MISSED)).encode()
    legs, rejects = run(data)
    assert [leg.call_id for leg in legs] == ["4711", "4713"]
    [reject] = rejects
    assert (reject.line_number, reject.file_name) == (2, "cdr.log")
    assert reject.reason == "24 fields where the configured 3CX field map has 27"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (["callid", "duration"], "formats.3cx.fields lacks time-start, time-end"),
        (
            ["time-start", "time_end", "Time-Start"],
            "formats.3cx.fields names time-start more than once",
        ),
        ("time-start,time-end", "formats.3cx.fields must be a non-empty list of 3CX field names"),
        (["time-start", "time-end", 7], "formats.3cx.fields must hold only field names (strings)"),
    ],
)
def test_a_bad_configured_field_list_rejects_each_line_with_the_reason(
    fields: object, reason: str
) -> None:
    ctx = ParseContext(LONDON, CTX.now, options={"fields": fields})
    legs, rejects = run((INBOUND + "\n" + MISSED).encode(), ctx)
    assert legs == []
    assert [r.reason for r in rejects] == [reason] * 2
    tables = parse_tables("3cx", (INBOUND + "\n" + MISSED).encode(), ctx)
    assert tables.rejects.column("reason").to_pylist() == [reason] * 2


def test_a_chain_in_the_2023_style_is_split_into_hops() -> None:
    line = default_line(chain="Chain: +441632960123'Ext.201;Ext.203;Ext.205;")
    [leg], _ = run(line.encode())
    assert leg.extra["chain"] == ["+441632960123", "Ext.201", "Ext.203", "Ext.205"]


def test_display_names_with_commas_and_quotes_stay_in_their_field() -> None:
    line = default_line(from_dispname='"Smith, ""Jo"""', to_dispname="Zoë")
    [leg], rejects = run(line.encode())
    assert rejects == [] and leg.extension == "201"


def test_an_ambiguous_local_time_takes_the_first_occurrence_and_says_so() -> None:
    # 27 Oct 2024: London clocks go back at 02:00 BST, so 01:30 happens twice.
    line = default_line(time_start="2024/10/27 01:30:00", time_end="2024/10/27 01:31:00")
    [leg], _ = run(line.encode())
    assert leg.started_at == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # 01:30 BST
    assert leg.extra["dst"] == {
        "time-start": "ambiguous_first_occurrence",
        "time-end": "ambiguous_first_occurrence",
    }


def test_a_local_time_in_the_spring_gap_is_shifted_forward_and_says_so() -> None:
    # 31 Mar 2024: London clocks jump from 01:00 GMT to 02:00 BST; 01:30 does not exist.
    line = default_line(time_start="2024/03/31 01:30:00", time_end="2024/03/31 02:40:00")
    [leg], _ = run(line.encode())
    assert leg.started_at == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)  # = 02:30 BST
    assert leg.ended_at == datetime(2024, 3, 31, 1, 40, tzinfo=UTC)  # 02:40 BST
    assert leg.extra["dst"] == {"time-start": "nonexistent_shifted_forward"}
    [plain], _ = run(default_line().encode())
    assert plain.extra["dst"] is None


def test_summer_times_are_converted_with_the_site_zone_not_the_machine_zone() -> None:
    [leg], _ = run(default_line().encode())
    assert leg.started_at == datetime(2024, 6, 3, 9, 0, tzinfo=UTC)  # 10:00 BST
    [leg], _ = run(default_line().encode(), ParseContext(ZoneInfo("Asia/Tokyo"), CTX.now))
    assert leg.started_at == datetime(2024, 6, 3, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {"time_start": "03/06/2024 10:00"},
            "time-start '03/06/2024 10:00' is not a YYYY/MM/DD HH:MM:SS time",
        ),
        (
            {"time_end": "2024/02/30 10:00:00"},
            "time-end '2024/02/30 10:00:00' is not a valid time: day is out of range for month",
        ),
        ({"time_end": "2024/06/03 09:59:00"}, "time-end is before time-start"),
        (
            {"time_answered": "2024/06/03 11:00:00"},
            "time-answered is not between time-start and time-end",
        ),
        (
            {"time_answered": "2024/06/03 10:00:05", "duration": "1m"},
            "duration '1m' is not HH:MM:SS",
        ),
    ],
)
def test_impossible_values_are_rejected_with_the_field_and_why(
    changes: dict[str, str], reason: str
) -> None:
    legs, rejects = run(default_line(**changes).encode())
    assert legs == []
    assert [(r.line_number, r.reason) for r in rejects] == [(1, reason)]


def test_non_utf8_bytes_reject_only_their_line() -> None:
    data = INBOUND.encode() + b"\n" + default_line(to_dispname="Z\xff").encode("latin-1") + b"\n"
    legs, rejects = run(data + MISSED.encode())
    assert [leg.call_id for leg in legs] == ["4711", "4713"]
    assert [(r.line_number, r.reason) for r in rejects] == [(2, "line is not valid UTF-8")]
    assert "\\xff" in rejects[0].raw


@pytest.mark.parametrize(
    ("from_type", "to_type", "from_no", "direction"),
    [
        ("extension", "external_line", "Ext.201", "outbound"),
        ("Line", "Queue", "01632960123", "inbound"),
        ("EXTERNAL", "external", "01632960123", "outbound"),  # trunk to trunk forwarding
        ("IVR", "Extension", "Ext.800", "internal"),
        ("External", "Internal", "MakeCall", "internal"),  # click-to-call starts inside
        ("External", "External", "MakeCall", "outbound"),
        ("", "Internal", "Ext.201", "unknown"),
    ],
)
def test_direction_comes_from_the_party_types_in_any_case(
    from_type: str, to_type: str, from_no: str, direction: str
) -> None:
    line = default_line(from_type=from_type, to_type=to_type, from_no=from_no)
    [leg], _ = run(line.encode())
    assert leg.direction == direction
    assert leg.calling_number == (None if from_no == "MakeCall" else from_no.removeprefix("Ext."))


def test_a_single_socket_line_parses_on_its_own() -> None:
    [leg] = list(get_parser("3cx")(OUTBOUND.encode() + b"\r\n", CTX))
    assert isinstance(leg, CallLeg) and leg.call_id == "4712"


def test_a_record_without_callid_gets_a_stable_derived_id() -> None:
    line = default_line(callid="")
    first = run(line.encode())[0][0].source_record_id
    again = run(line.encode())[0][0].source_record_id
    twice = run((line + "\n" + line).encode())[0]
    assert first == again and first.startswith("9000:")
    assert twice[0].source_record_id == first != twice[1].source_record_id


def test_parse_and_parse_table_give_the_same_legs_and_rejects() -> None:
    data = "\n".join((INBOUND, "Call 1,garbage", OUTBOUND, MISSED)).encode()
    expected = tables_from_items(three_cx.parse(data, CTX), CTX.file_name)
    tables = parse_tables("3cx", data, CTX)
    assert tables.legs.to_pylist() == expected.legs.to_pylist()
    assert tables.rejects.to_pylist() == expected.rejects.to_pylist()
    assert (tables.legs.num_rows, tables.rejects.num_rows) == (3, 1)


def test_callmeter_parse_reads_a_3cx_log_in_the_sites_zone(
    tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from callmeter.cli import main

    log = tmp_path / "cdr.log"  # type: ignore[operator]
    log.write_bytes(
        ("\ufeff" + "\r\n".join((INBOUND, "Call 1,broken", default_line())) + "\r\n").encode()
    )
    status = main(["parse", "--format", "3cx", "--timezone", "Europe/London", str(log)])
    out, err = capsys.readouterr()
    assert status == 0
    legs = [json.loads(line) for line in out.splitlines()]
    assert [leg["started_at"] for leg in legs] == ["2024-03-11T09:15:02Z", "2024-06-03T09:00:00Z"]
    [reject] = [json.loads(line) for line in err.splitlines()]
    assert (reject["line_number"], reject["file_name"]) == (2, str(log))


def test_a_large_file_takes_the_vectorised_path_and_gets_the_row_parsers_legs() -> None:
    from bench.generators.three_cx import generate
    from extractors.parsers._localtime import tables_from_rows
    from extractors.parsers.tables import legs_from_table, rejects_from_table

    data = generate(three_cx.VECTOR_MIN_LINES + 500, seed=5)
    dst = default_line(time_start="2024/10/27 01:30:00", time_end="2024/10/27 01:35:00")
    data += ("\n" + dst + "\nCall 1,x\n").encode()
    tables = three_cx.parse_table(data, CTX)
    expected = tables_from_rows("3cx", three_cx._rows(data, CTX), CTX.file_name)
    assert tables.legs.num_rows == three_cx.VECTOR_MIN_LINES + 501
    assert legs_from_table(tables.legs) == legs_from_table(expected.legs)
    assert rejects_from_table(tables.rejects) == rejects_from_table(expected.rejects)
    assert legs_from_table(tables.legs)[-1].extra["dst"] == {
        "time-start": "ambiguous_first_occurrence",
        "time-end": "ambiguous_first_occurrence",
    }
    assert tables.rejects.column("line_number").to_pylist() == [three_cx.VECTOR_MIN_LINES + 503]
