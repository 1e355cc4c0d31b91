"""The `sip` parser on the shared fixture (a real 2005 capture: registrations and four failed
outbound calls; expected legs from docs/pbx-formats/sip-capture.md) and on input edge cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callmeter.legs import CallLeg, Rejected
from extractors.parsers import ParseContext, get_parser
from tests.paths import PBX

FIXTURE = PBX / "sip" / "zeek_wireshark_sip.pcap"


def _ctx(**options: object) -> ParseContext:
    return ParseContext(
        timezone=ZoneInfo("UTC"),
        now=datetime(2026, 1, 1, tzinfo=UTC),
        options=options,
        file_name=str(FIXTURE),
    )


def _parse(data: bytes, **options: object) -> tuple[list[CallLeg], list[Rejected]]:
    items = list(get_parser("sip")(data, _ctx(**options)))
    legs = [item for item in items if isinstance(item, CallLeg)]
    rejects = [item for item in items if isinstance(item, Rejected)]
    assert len(legs) + len(rejects) == len(items)
    return legs, rejects


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


EXPECTED = [
    # Call-ID, started_at, ended_at, disposition, called_number, trunk, auth challenges
    (
        "105090259-446faf7a@192.168.1.2",
        "2005-07-04T09:40:49.188993",
        "2005-07-04T09:41:23.308013",
        "no_answer",
        "97239287044",
        "voip.brujula.net",
        0,
    ),
    (
        "85216695-42dcdb1d@192.168.1.2",
        "2005-07-04T09:43:53.794463",
        "2005-07-04T09:44:28.128176",
        "failed",
        "0097239287044",
        "sip.cybercity.dk",
        1,
    ),
    (
        "24487391-449bf2a0@192.168.1.2",
        "2005-07-04T09:54:08.528833",
        "2005-07-04T09:55:00.056743",
        "failed",
        "0097239287044",
        "sip.cybercity.dk",
        1,
    ),
    (
        "11894297-4432a9f8@192.168.1.2",
        "2005-07-04T09:56:06.443914",
        "2005-07-04T09:56:24.332623",
        "no_answer",
        "35104724",
        "sip.cybercity.dk",
        1,
    ),
]


def test_the_fixture_gives_the_four_documented_outbound_legs_and_no_rejects() -> None:
    legs, rejects = _parse(FIXTURE.read_bytes())
    assert rejects == []
    assert [leg.call_id for leg in legs] == [row[0] for row in EXPECTED]
    for leg, (call_id, started, ended, disposition, called, trunk, challenges) in zip(
        legs, EXPECTED, strict=True
    ):
        assert leg.source_format == "sip"
        assert leg.started_at == _utc(started), call_id
        assert leg.ended_at == _utc(ended), call_id
        assert leg.answered_at is None
        assert leg.duration_seconds == 0
        assert leg.ring_seconds == int((leg.ended_at - leg.started_at).total_seconds())
        assert leg.disposition == disposition, call_id
        assert leg.direction == "outbound"
        assert leg.called_number == called
        assert leg.trunk == trunk
        assert leg.extra["auth_challenges"] == challenges
        assert leg.extra["closed_by"] == "final_response"
        assert leg.raw.startswith("INVITE sip:")


def test_the_fixture_source_record_ids_are_capture_point_call_id_and_from_tag() -> None:
    legs, _ = _parse(FIXTURE.read_bytes())
    assert legs[0].source_record_id == (
        "zeek_wireshark_sip.pcap:105090259-446faf7a@192.168.1.2:6433ef9"
    )
    again, _ = _parse(FIXTURE.read_bytes())
    assert [leg.source_record_id for leg in again] == [leg.source_record_id for leg in legs]


def test_a_configured_capture_point_replaces_the_file_name_in_the_record_id() -> None:
    legs, _ = _parse(FIXTURE.read_bytes(), capture_point="sensor-lon-1")
    assert all(leg.source_record_id.startswith("sensor-lon-1:") for leg in legs)


def test_retransmitted_invites_and_cancels_make_one_leg() -> None:
    legs, _ = _parse(FIXTURE.read_bytes())
    first = legs[0]
    assert first.extra["cancelled"] is True
    assert first.extra["retransmissions"] >= 2
    assert first.extra["sip_status"] == 408


def test_early_media_before_a_failure_is_not_an_answer() -> None:
    legs, _ = _parse(FIXTURE.read_bytes())
    last = legs[-1]
    assert last.extra["early_media"] is True
    assert last.answered_at is None
    assert last.extra["sip_status"] == 480


def test_the_calling_number_and_extension_come_from_the_from_user() -> None:
    legs, _ = _parse(FIXTURE.read_bytes())
    assert legs[0].calling_number == "816666"
    assert legs[0].extension == "816666"
    assert legs[1].calling_number == "voi18062"


def test_input_that_is_not_a_capture_gives_one_reject() -> None:
    legs, rejects = _parse(b"Call Date,Time\n2024-01-01,10:00\n")
    assert legs == []
    assert [r.reason for r in rejects] == ["not a pcap/pcapng capture"]


def test_empty_input_gives_one_reject() -> None:
    legs, rejects = _parse(b"")
    assert legs == [] and len(rejects) == 1


def test_a_capture_cut_mid_packet_keeps_the_earlier_legs_and_rejects_the_cut_packet() -> None:
    data = FIXTURE.read_bytes()
    # Cut inside the packet carrying the 480 of the last dialog (its INVITE was already read).
    cut = data.index(b"SIP/2.0 480 Error") + 10
    legs, rejects = _parse(data[:cut])
    assert len(legs) == 4
    assert legs[-1].disposition == "no_answer"  # closed at capture end: ringing, never answered
    assert legs[-1].extra["closed_by"] == "capture_end"
    assert any("truncated" in r.reason for r in rejects)


@pytest.mark.parametrize("magic", [b"\xa1\xb2\xc3\xd4", b"\x0a\x0d\x0d\x0a"])
def test_a_damaged_capture_header_is_a_reject_not_a_traceback(magic: bytes) -> None:
    legs, rejects = _parse(magic + b"\x00\x01garbage")
    assert legs == []
    assert len(rejects) == 1
    assert "pcap" in rejects[0].reason


def test_the_fixture_as_pcapng_gives_the_same_legs(tmp_path) -> None:
    from scapy.utils import PcapNgWriter, rdpcap

    packets = rdpcap(str(FIXTURE))
    target = tmp_path / "fixture.pcapng"
    writer = PcapNgWriter(str(target))
    for packet in packets:
        writer.write(packet)
    writer.close()
    legs, rejects = _parse(target.read_bytes())
    original, _ = _parse(FIXTURE.read_bytes())
    assert rejects == []
    assert [(leg.call_id, leg.disposition) for leg in legs] == [
        (leg.call_id, leg.disposition) for leg in original
    ]
    # scapy's pcapng writer can lose the last microsecond (float scaling) on the way out.
    for ng, classic in zip(legs, original, strict=True):
        assert abs(ng.started_at - classic.started_at) <= timedelta(microseconds=1)
        assert abs(ng.ended_at - classic.ended_at) <= timedelta(microseconds=1)
