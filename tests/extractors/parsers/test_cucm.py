"""CUCM CDR parser: the real fixture, hand-made bad input, and the CLI."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from callmeter.legs import CallLeg, Rejected
from extractors.parsers import ParseContext, cucm, get_parser
from extractors.parsers.tables import legs_from_table, parse_tables, rejects_from_table
from tests.paths import PBX

CDR = (PBX / "cucm" / "cdr.txt").read_bytes()
CMR = (PBX / "cucm" / "cmr.txt").read_bytes()
CTX = ParseContext(
    timezone=ZoneInfo("America/Los_Angeles"),
    now=datetime(2025, 5, 1, tzinfo=UTC),
    file_name="cdr_cucmOHSUtest_02_202504181632_1",
)
HEADER_LINE, TYPES_LINE, *RECORD_LINES = CDR.decode().split("\n")
HEADER = next(csv.reader([HEADER_LINE]))
TYPES = TYPES_LINE.split(",")
ANSWERED = RECORD_LINES[2]  # callId 25447, the 11-second call


def run(data: bytes, ctx: ParseContext = CTX) -> tuple[list[CallLeg], list[Rejected]]:
    items = list(cucm.parse(data, ctx))
    return (
        [item for item in items if isinstance(item, CallLeg)],
        [item for item in items if isinstance(item, Rejected)],
    )


def record(line: str, **changes: str) -> str:
    """A fixture record with some fields changed by header name, written the way CUCM does."""
    values = dict(zip(HEADER, next(csv.reader([line])), strict=True))
    values.update(changes)
    out = []
    for name, kind in zip(HEADER, TYPES, strict=True):
        value = values[name]
        out.append(value if kind == "INTEGER" else '"' + value.replace('"', '""') + '"')
    return ",".join(out)


def cdr_file(*records: str, header: str = HEADER_LINE, types: str | None = TYPES_LINE) -> bytes:
    lines = [header] + ([types] if types is not None else []) + list(records)
    return "\n".join(lines).encode()


def test_the_answered_call_keeps_cucm_times_in_utc() -> None:
    legs, rejects = run(CDR)
    assert rejects == []
    leg = next(leg for leg in legs if leg.call_id == "cucmOHSUtest:2:25447")
    assert leg.source_record_id == "ed56fecd-bd2d-48d4-ae03-7ee3766d6048"
    assert leg.started_at == datetime(2025, 4, 18, 16, 32, 8, tzinfo=UTC)
    assert leg.answered_at == datetime(2025, 4, 18, 16, 32, 10, tzinfo=UTC)
    assert leg.ended_at == datetime(2025, 4, 18, 16, 32, 21, tzinfo=UTC)
    assert (leg.ring_seconds, leg.duration_seconds, leg.disposition) == (2, 11, "answered")
    assert (leg.calling_number, leg.called_number, leg.extension) == (
        "5033466594",
        "5033466593",
        "5033466594",
    )
    assert (leg.direction, leg.trunk, leg.account_code) == ("internal", None, None)
    assert leg.raw == ANSWERED
    assert leg.extra["is_recording_leg"] is False
    assert leg.extra["orig_leg_id"] == 47874239 and leg.extra["dest_leg_id"] == 47874240
    assert leg.extra["calling_partition"] == "OnNet"
    assert leg.extra["orig_cause"] == 16


def test_recording_forks_are_legs_flagged_not_dropped() -> None:
    legs, _ = run(CDR)
    assert len(legs) == 3
    forks = [leg for leg in legs if leg.extra["is_recording_leg"]]
    assert sorted(leg.call_id for leg in forks) == ["cucmOHSUtest:2:25448", "cucmOHSUtest:2:25449"]
    # The forks never connected; the recorder answered SIP 503 (a failure, not a missed call).
    assert {(leg.disposition, leg.duration_seconds, leg.answered_at) for leg in forks} == {
        ("failed", 0, None)
    }
    assert sorted(leg.extra["orig_conversation_id"] for leg in forks) == [47874239, 47874240]


def test_a_cmr_file_is_rejected_record_by_record_with_a_reason() -> None:
    legs, rejects = run(CMR)
    assert legs == []
    assert [r.reason for r in rejects] == [cucm.CMR_REASON] * 2
    assert [r.line_number for r in rejects] == [3, 4]
    assert rejects[0].record_id == "60e07196-5c4f-407d-8c0b-01c8ebf8e164"  # the CMR's pkid
    assert rejects[0].file_name == CTX.file_name
    assert rejects[0].raw == CMR.decode().split("\n")[2]


def test_a_cmr_row_inside_a_cdr_file_is_rejected_and_the_cdrs_parse() -> None:
    data = cdr_file(RECORD_LINES[0], record(ANSWERED, cdrRecordType="2"), RECORD_LINES[1])
    legs, rejects = run(data)
    assert len(legs) == 2
    assert [(r.line_number, r.reason) for r in rejects] == [(4, cucm.CMR_REASON)]


def test_parse_and_parse_table_give_the_same_legs_and_rejects() -> None:
    data = cdr_file(*RECORD_LINES, ANSWERED[:300], record(ANSWERED, dateTimeOrigination="0"))
    tables = parse_tables("cucm", data, CTX)
    legs, rejects = run(data)
    assert legs_from_table(tables.legs) == legs
    assert rejects_from_table(tables.rejects) == rejects
    assert tables.legs.num_rows == 3 and tables.rejects.num_rows == 2


def test_a_truncated_line_is_rejected_and_the_lines_around_it_parse() -> None:
    data = cdr_file(RECORD_LINES[0], ANSWERED[:500], RECORD_LINES[1])
    legs, rejects = run(data)
    assert len(legs) == 2
    [reject] = rejects
    assert reject.line_number == 4
    assert "where the header has 133" in reject.reason
    assert reject.raw == ANSWERED[:500]
    assert reject.file_name == CTX.file_name


def test_a_line_with_an_extra_field_is_rejected() -> None:
    legs, rejects = run(cdr_file(ANSWERED + ",42", RECORD_LINES[0]))
    assert len(legs) == 1
    assert [(r.line_number, r.reason) for r in rejects] == [
        (3, "134 fields where the header has 133 (truncated or malformed line)")
    ]


def test_a_line_with_broken_quoting_is_rejected() -> None:
    broken = ANSWERED.replace('"5033466594"', '"5033466594', 1)
    legs, rejects = run(cdr_file(broken, RECORD_LINES[0]))
    assert len(legs) == 1
    assert [r.line_number for r in rejects] == [3]
    assert rejects[0].raw == broken


def test_a_quoted_comment_with_commas_and_quotes_is_one_field() -> None:
    comment = 'CallFlag=MALICIOUS,ConfRequestorDN=5033466594,note="x"'
    legs, rejects = run(cdr_file(record(ANSWERED, comment=comment, clientMatterCode="77,1")))
    assert rejects == []
    assert legs[0].account_code == "77,1"
    assert legs[0].duration_seconds == 11


def test_non_utf8_bytes_reject_only_their_line() -> None:
    bad = ANSWERED.replace("rubbleb", "rubbl\udcff", 1).encode("utf-8", "surrogateescape")
    data = cdr_file(RECORD_LINES[0]) + b"\n" + bad + b"\n" + RECORD_LINES[1].encode()
    legs, rejects = run(data)
    assert len(legs) == 2
    [reject] = rejects
    assert (reject.line_number, reject.reason) == (4, "line is not valid UTF-8")
    assert "\\xff" in reject.raw


def test_epoch_zero_in_date_time_origination_is_rejected() -> None:
    legs, rejects = run(cdr_file(record(ANSWERED, dateTimeOrigination="0"), RECORD_LINES[0]))
    assert len(legs) == 1
    assert rejects[0].reason == "dateTimeOrigination is 0 (epoch 0 is not a time)"
    assert rejects[0].record_id == "ed56fecd-bd2d-48d4-ae03-7ee3766d6048"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"dateTimeDisconnect": "abc"}, "dateTimeDisconnect abc is not an integer epoch"),
        ({"dateTimeDisconnect": "1744993900"}, "dateTimeDisconnect is before dateTimeOrigination"),
        ({"dateTimeConnect": "1744993999"}, "dateTimeConnect is after dateTimeDisconnect"),
        ({"duration": "-3"}, "duration -3 is negative"),
        ({"pkid": ""}, "pkid is empty"),
        ({"cdrRecordType": "0"}, "start record (cdrRecordType 0), not a CDR"),
        (
            {"dateTimeOrigination": "99999999999999"},
            "dateTimeOrigination 99999999999999 is out of range",
        ),
    ],
)
def test_impossible_values_are_rejected_with_the_column_and_why(
    changes: dict[str, str], reason: str
) -> None:
    legs, rejects = run(cdr_file(record(ANSWERED, **changes)))
    assert legs == []
    assert [(r.line_number, r.reason) for r in rejects] == [(3, reason)]


def test_a_header_only_file_gives_one_reject() -> None:
    for data in (cdr_file(), cdr_file(types=None), (HEADER_LINE + "\n").encode()):
        legs, rejects = run(data)
        assert legs == []
        [reject] = rejects
        assert reject.reason == "CUCM file with a header but no records"
        assert reject.line_number == 1


def test_an_empty_file_gives_one_reject() -> None:
    legs, rejects = run(b"")
    assert legs == []
    assert [r.reason for r in rejects] == ["empty file: not a CUCM CDR file"]


def test_a_binary_file_is_not_a_cucm_file() -> None:
    data = bytes(random.Random(7).getrandbits(8) for _ in range(4000)) + b"\x00\x01"
    legs, rejects = run(data)
    assert legs == []
    [reject] = rejects
    assert reject.reason == "binary data: not a CUCM CDR file"
    assert reject.file_name == CTX.file_name


def test_a_foreign_csv_file_is_not_a_cucm_file() -> None:
    data = b"Call 4711,0000019000ABCDEF_0042,00:02:05,2024/03/11 09:15:02\nCall 4712,x,,\n"
    legs, rejects = run(data)
    assert legs == []
    [reject] = rejects
    assert reject.reason.startswith("not a CUCM CDR file: line 1 is not a CDR header (missing ")
    assert reject.reason.endswith("2 line(s) not read")


def test_columns_are_found_by_header_name_not_position() -> None:
    order = list(range(len(HEADER)))
    random.Random(3).shuffle(order)

    def shuffled(line: str) -> str:
        fields = next(csv.reader([line]))
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow([fields[i] for i in order])
        return buffer.getvalue()

    data = "\n".join(shuffled(line) for line in CDR.decode().split("\n")).encode()
    legs, rejects = run(data)
    expected, _ = run(CDR)
    assert rejects == []
    assert [(leg.call_id, leg.started_at, leg.duration_seconds, leg.extra) for leg in legs] == [
        (leg.call_id, leg.started_at, leg.duration_seconds, leg.extra) for leg in expected
    ]


def test_crlf_line_ends_a_bom_and_a_missing_types_line_are_accepted() -> None:
    data = b"\xef\xbb\xbf" + cdr_file(*RECORD_LINES, types=None).replace(b"\n", b"\r\n") + b"\r\n"
    legs, rejects = run(data)
    assert rejects == []
    assert [leg.raw for leg in legs] == RECORD_LINES


def test_direction_and_trunk_follow_the_sites_trunk_devices() -> None:
    outbound = record(ANSWERED, destDeviceName="CUBE-LON", finalCalledPartyNumber="901632960123")
    inbound = record(ANSWERED, origDeviceName="CUBE-LON", callingPartyNumber="01632960123")
    ctx = ParseContext(CTX.timezone, CTX.now, trunk_devices=frozenset({"CUBE-LON"}))
    legs, _ = run(cdr_file(outbound, inbound), ctx)
    assert [(leg.direction, leg.trunk, leg.extension) for leg in legs] == [
        ("outbound", "CUBE-LON", "5033466594"),
        ("inbound", "CUBE-LON", "5033466593"),
    ]
    assert legs[0].extra["direction_basis"] == "trunk_devices"


def test_without_trunk_devices_a_non_phone_device_counts_as_a_trunk() -> None:
    outbound = record(ANSWERED, destDeviceName="SIP-GAMMA")
    legs, _ = run(cdr_file(outbound, ANSWERED))
    assert [(leg.direction, leg.trunk) for leg in legs] == [
        ("outbound", "SIP-GAMMA"),
        ("internal", None),
    ]
    assert legs[0].extra["direction_basis"] == "device_name_heuristic"
    # With a trunk list the list decides: an unlisted device is not a trunk.
    ctx = ParseContext(CTX.timezone, CTX.now, trunk_devices=frozenset({"CUBE-LON"}))
    [leg], _ = run(cdr_file(outbound), ctx)
    assert (leg.direction, leg.trunk) == ("internal", None)


@pytest.mark.parametrize(
    ("dest_cause", "orig_cause", "disposition"),
    [
        ("17", "0", "busy"),
        ("0", "17", "busy"),
        ("19", "0", "no_answer"),
        ("0", "0", "no_answer"),
        ("393216", "0", "no_answer"),
        ("0", "393216", "no_answer"),
        ("1459617833", "0", "failed"),
        ("2801795135", "0", "failed"),
    ],
)
def test_an_unanswered_leg_takes_its_disposition_from_the_cause(
    dest_cause: str, orig_cause: str, disposition: str
) -> None:
    unanswered = record(
        ANSWERED,
        dateTimeConnect="0",
        duration="0",
        destCause_value=dest_cause,
        origCause_value=orig_cause,
    )
    [leg], _ = run(cdr_file(unanswered))
    assert (leg.disposition, leg.duration_seconds, leg.answered_at) == (disposition, 0, None)
    assert leg.ring_seconds == 13  # origination to disconnect
    assert leg.extra["is_transfer_split"] is ("393216" in (dest_cause, orig_cause))


def test_an_answered_split_by_transfer_leg_stays_answered() -> None:
    split = record(ANSWERED, origCause_value="393216", origCallTerminationOnBehalfOf="10")
    [leg], _ = run(cdr_file(split))
    assert (leg.disposition, leg.extra["is_transfer_split"]) == ("answered", True)


def test_callmeter_parse_prints_legs_on_stdout_and_rejects_on_stderr(
    tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    from callmeter.cli import main

    mixed = tmp_path / "cdr_mixed.txt"  # type: ignore[operator]
    mixed.write_bytes(cdr_file(ANSWERED, ANSWERED[:99]))
    status = main(["parse", "--format", "cucm", str(PBX / "cucm" / "cdr.txt"), str(mixed)])
    out, err = capsys.readouterr()
    assert status == 0
    legs = [json.loads(line) for line in out.splitlines()]
    rejects = [json.loads(line) for line in err.splitlines()]
    assert len(legs) == 4
    assert legs[2]["started_at"] == "2025-04-18T16:32:08Z"
    assert legs[2]["duration_seconds"] == 11 and legs[2]["extra"]["is_recording_leg"] is False
    assert [(r["line_number"], r["file_name"]) for r in rejects] == [(4, str(mixed))]
    assert "where the header has 133" in rejects[0]["reason"]


def test_the_registry_finds_the_cucm_parser() -> None:
    assert get_parser("cucm") is cucm.parse


def test_blank_and_whitespace_only_lines_are_not_records() -> None:
    legs, rejects = run(cdr_file(RECORD_LINES[0], "", "   ", "\t", RECORD_LINES[2]) + b"\n\n")
    assert rejects == []
    assert [leg.raw for leg in legs] == [RECORD_LINES[0], RECORD_LINES[2]]


# A line that is not UTF-8: the whole file then takes the line-pattern path.
NOT_UTF8_LINE = "\n" + ANSWERED.replace("rubbleb", "rubbl\udcff", 1)


@pytest.mark.parametrize("utf8", [True, False])
def test_a_bad_line_is_rejected_and_the_lines_after_it_keep_their_fields(utf8: bool) -> None:
    # UTF-8 input is checked and cut into fields by one compiled pass (_csvscan); other input
    # by the line pattern and the CSV reader. On both, a bad line must not shift the fields of
    # the lines after it.
    broken = ANSWERED.replace('"5033466594"', '"5033466594', 1)
    data = cdr_file(RECORD_LINES[0], broken, ANSWERED, ANSWERED[:400], RECORD_LINES[1])
    if not utf8:
        data += NOT_UTF8_LINE.encode("utf-8", "surrogateescape")
    legs, rejects = run(data)
    assert [r.line_number for r in rejects] == [4, 6] + ([] if utf8 else [8])
    assert [leg.raw for leg in legs] == [RECORD_LINES[0], ANSWERED, RECORD_LINES[1]]
    assert legs[1].duration_seconds == 11 and legs[1].calling_number == "5033466594"


@pytest.mark.parametrize("utf8", [True, False])
def test_values_with_surrounding_whitespace_are_stripped_only_where_they_have_it(
    utf8: bool,
) -> None:
    # UTF-8 input learns which columns have such values from the compiled scan, other input
    # from the values' first and last bytes (`_may_need_strip`).
    tail = b"" if utf8 else NOT_UTF8_LINE.encode("utf-8", "surrogateescape")
    [plain], _ = run(cdr_file(ANSWERED))
    padded = record(
        ANSWERED,
        callingPartyNumber=f" {plain.calling_number}\t",
        origDeviceName=f"\u00a0{plain.extra['orig_device']} ",
        huntPilotDN="  ",
        pkid=f" {plain.source_record_id} ",
    )
    legs, rejects = run(cdr_file(padded, RECORD_LINES[0]) + tail)
    assert [reject.reason for reject in rejects] == ([] if utf8 else ["line is not valid UTF-8"])
    leg = legs[0]
    assert leg.extra["hunt_pilot_dn"] is None
    assert leg.extra.pop("hunt_pilot_dn") is None and plain.extra.pop("hunt_pilot_dn") is None
    assert (leg.calling_number, leg.source_record_id, leg.extra) == (
        plain.calling_number,
        plain.source_record_id,
        plain.extra,
    )
    assert (leg.direction, leg.extension, leg.trunk) == (
        plain.direction,
        plain.extension,
        plain.trunk,
    )


def test_text_that_json_must_escape_keeps_its_value_in_extra() -> None:
    text = 'Say "hi" \\ bye\x01'
    legs, _ = run(cdr_file(record(ANSWERED, huntPilotDN=text, authCodeDescription="caf\u00e9")))
    assert legs[0].extra["hunt_pilot_dn"] == text
    assert legs[0].extra["auth_code_description"] == "caf\u00e9"
    table = parse_tables("cucm", cdr_file(record(ANSWERED, huntPilotDN=text)), CTX).legs
    assert json.loads(table["extra"][0].as_py())["hunt_pilot_dn"] == text


def test_a_header_of_over_a_thousand_columns_still_parses() -> None:
    # The line check's expression repeats once per column; RE2 stops at 1000 repetitions.
    extra_columns = [f"vendorField{i}" for i in range(1100)]
    header = HEADER_LINE + "," + ",".join(f'"{name}"' for name in extra_columns)
    types = TYPES_LINE + ",INTEGER" * len(extra_columns)
    wide = ANSWERED + ",0" * len(extra_columns)
    legs, rejects = run(cdr_file(wide, ANSWERED, header=header, types=types))
    assert [leg.duration_seconds for leg in legs] == [11]
    assert [r.line_number for r in rejects] == [4]
    assert "133 fields where the header has 1233" in rejects[0].reason
