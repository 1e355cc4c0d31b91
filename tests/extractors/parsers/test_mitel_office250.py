"""Mitel MiVoice Office 250 (Mitel 5000 / Inter-Tel) SMDR: hand-made lines per mitel.md."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from callmeter.legs import CallLeg, Rejected
from extractors.parsers import ParseContext, parser_module
from extractors.parsers.tables import tables_from_items

TORONTO = ZoneInfo("America/Toronto")
# 2025-05-01 12:00 UTC is 08:00 EDT (UTC-4) in Toronto.
CTX = ParseContext(
    timezone=TORONTO, now=datetime(2025, 5, 1, 12, tzinfo=UTC), options={"variant": "mivo250"}
)
OUTGOING = "TLD 214   92001 16135952122                  07:42 00:08:29 $1.25  4455*"
INCOMING = "DID 201   92002 5551000                      07:15 00:02:22"
UNANSWERED = "IN  ***** 92003 6135550199                   06:59 00:00:31"
SECONDS = "LOC 213   92001 5552121                      07:50 S=000095 $0.10"
LATE = "TLC 230   92004 6135551234                   23:58 00:01:05"
HEADER = "TYP EXT# TRUNK DIALED DIGITS START ELAPSED COST ACCOUNT CODE"


def parse(*lines: str, ctx: ParseContext = CTX) -> list[CallLeg | Rejected]:
    return list(parser_module("mitel").parse("\r\n".join(lines).encode(), ctx))


def one_leg(line: str) -> CallLeg:
    [item] = parse(line)
    assert isinstance(item, CallLeg), item
    return item


def test_an_outgoing_toll_call_is_timed_from_its_start_today_in_the_site_zone() -> None:
    leg = one_leg(OUTGOING)
    assert leg.started_at == datetime(2025, 5, 1, 11, 42, tzinfo=UTC)  # 07:42 EDT
    assert leg.answered_at == leg.started_at
    assert leg.ended_at == datetime(2025, 5, 1, 11, 50, 29, tzinfo=UTC)
    assert (leg.duration_seconds, leg.ring_seconds) == (509, None)
    assert (leg.direction, leg.disposition) == ("outbound", "answered")
    assert (leg.calling_number, leg.called_number) == ("214", "16135952122")
    assert (leg.extension, leg.trunk, leg.account_code) == ("214", "92001", "4455")
    assert leg.extra["cost"] == "$1.25"
    assert leg.extra["trunk_disconnect"] is True
    assert leg.extra["call_type"] == "TLD"
    assert leg.extra["date_inferred"] == "2025-05-01"


def test_an_answered_did_call_goes_to_the_extension_and_keeps_the_dnis() -> None:
    leg = one_leg(INCOMING)
    assert leg.started_at == datetime(2025, 5, 1, 11, 15, tzinfo=UTC)
    assert leg.ended_at == datetime(2025, 5, 1, 11, 17, 22, tzinfo=UTC)
    assert (leg.direction, leg.disposition, leg.duration_seconds) == ("inbound", "answered", 142)
    assert (leg.calling_number, leg.called_number) == (None, "5551000")
    assert (leg.extension, leg.trunk, leg.account_code) == ("201", "92002", None)
    assert "cost" not in leg.extra and "trunk_disconnect" not in leg.extra


def test_an_unanswered_ring_in_costs_no_talk_time_and_its_elapsed_time_is_ringing() -> None:
    leg = one_leg(UNANSWERED)
    assert (leg.direction, leg.disposition) == ("inbound", "no_answer")
    assert (leg.duration_seconds, leg.ring_seconds, leg.answered_at) == (0, 31, None)
    assert leg.ended_at == datetime(2025, 5, 1, 10, 59, 31, tzinfo=UTC)  # 06:59 EDT + 31 s
    assert (leg.extension, leg.calling_number) == (None, "6135550199")


def test_the_seconds_form_of_elapsed_is_read_as_seconds() -> None:
    leg = one_leg(SECONDS)
    assert leg.duration_seconds == 95
    assert leg.extra["cost"] == "$0.10"


def test_a_start_still_to_come_today_was_yesterday() -> None:
    leg = one_leg(LATE)  # 23:58 local, collected at 08:00: the day before, EDT
    assert leg.started_at == datetime(2025, 5, 1, 3, 58, tzinfo=UTC)
    assert leg.extra["date_inferred"] == "2025-04-30"


def test_truncated_digits_and_ring_diagnostics_are_flagged() -> None:
    long = one_leg("O/I 214   92001 0114420794601234567890123456> 07:01 00:10:00 $$$$$$")
    assert long.called_number == "0114420794601234567890123456"
    assert long.extra["digits_truncated"] is True and long.extra["cost"] == "$$$$$$"
    ring = one_leg("IN  ***** 92003 Ring...                      07:02 00:00:05")
    assert ring.extra["ring_diagnostic"] is True and ring.calling_number is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (HEADER, "header line"),
        ("TLD 214   92001 5551212 25:10 00:01:00", "start time '25:10'"),
        ("TLD 214   92001 5551212 07:10 00:61:00", "minutes or seconds over 59"),
        ("XYZ 214   92001 5551212 07:10 00:01:00", "call type (TYP) 'XYZ'"),
        ("TLD 214   92001 5551212 07:10", "not a MiVoice Office 250 SMDR record"),
        ("garbage", "not a MiVoice Office 250 SMDR record"),
    ],
)
def test_bad_lines_are_rejected_with_a_reason_and_line_number(line: str, reason: str) -> None:
    items = parse(OUTGOING, line)
    assert isinstance(items[0], CallLeg)
    rejected = items[1]
    assert isinstance(rejected, Rejected)
    assert reason in rejected.reason
    assert rejected.line_number == 2


def test_every_line_ends_as_a_leg_or_a_reject_and_both_paths_agree() -> None:
    lines = [HEADER, OUTGOING, INCOMING, UNANSWERED, SECONDS, LATE, OUTGOING, "garbage"]
    data = "\r\n".join(lines).encode()
    module = parser_module("mitel")
    expected = tables_from_items(module.parse(data, CTX), CTX.file_name)
    actual = module.parse_table(data, CTX)
    assert actual.legs.to_pylist() == expected.legs.to_pylist()
    assert actual.rejects.to_pylist() == expected.rejects.to_pylist()
    assert (actual.legs.num_rows, actual.rejects.num_rows) == (6, 2)
    ids = actual.legs.column("source_record_id").to_pylist()
    assert len(set(ids)) == 6  # the repeated line gets its own occurrence key


def test_an_unknown_variant_is_an_error_naming_the_option() -> None:
    ctx = ParseContext(timezone=TORONTO, now=CTX.now, options={"variant": "sx200"})
    with pytest.raises(ValueError, match="formats.mitel.variant"):
        parse(OUTGOING, ctx=ctx)
    with pytest.raises(ValueError, match="formats.mitel.variant"):
        parser_module("mitel").parse_table(OUTGOING.encode(), ctx)
