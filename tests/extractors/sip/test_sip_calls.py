"""Call scenarios from generated captures (scapy wrpcap in tmp_path) through the `sip` parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callmeter.legs import CallLeg, Rejected
from extractors.parsers import ParseContext, get_parser
from tests.extractors.sip.captures import (
    PBX,
    SBC,
    SDP,
    START,
    CallFlow,
    answered_call,
    fragmented_udp,
    tcp_stream,
    udp,
    write,
)

PHONE = ("10.1.1.50", 5060)


def _parse(
    tmp_path: Path,
    packets: list[Any],
    trunk_devices: frozenset[str] = frozenset(),
    sort: bool = True,
    **options: Any,
) -> tuple[list[CallLeg], list[Rejected]]:
    data = write(tmp_path / "call.pcap", packets, sort=sort)
    ctx = ParseContext(
        timezone=ZoneInfo("Europe/London"),
        now=datetime(2026, 1, 1, tzinfo=UTC),
        trunk_devices=trunk_devices,
        options=options,
        file_name="call.pcap",
    )
    items = list(get_parser("sip")(data, ctx))
    return (
        [i for i in items if isinstance(i, CallLeg)],
        [i for i in items if isinstance(i, Rejected)],
    )


def _at(offset: float) -> datetime:
    return datetime.fromtimestamp(START, UTC) + timedelta(seconds=offset)


def test_an_answered_call_with_bye_is_one_answered_leg(tmp_path: Path) -> None:
    flow = CallFlow()
    legs, rejects = _parse(tmp_path, answered_call(flow, talk=65.7))
    assert rejects == []
    [leg] = legs
    assert leg.started_at == _at(0)
    assert leg.answered_at == _at(6.5)
    assert leg.ended_at == _at(72.2)
    assert (leg.ring_seconds, leg.duration_seconds) == (6, 65)  # floor of 6.5 s and 65.7 s
    assert leg.disposition == "answered"
    assert leg.calling_number == "205" and leg.called_number == "07700900461"
    assert leg.direction == "outbound" and leg.extension == "205"
    assert leg.trunk == "sbc.example.net"
    assert leg.source_record_id == "call.pcap:3c26e7a0b1f94e2d@192.0.2.10:a73kszlfl"
    assert leg.extra["closed_by"] == "bye"
    assert leg.extra["hangup_by"] == "caller"
    assert leg.extra["ringing_at"] == _at(1.0)
    assert leg.extra["to_tag"] == "9fxced76sl"
    assert leg.extra["codec"] == "PCMA/8000"


def test_a_bye_from_the_callee_records_who_hung_up_and_the_q850_cause(tmp_path: Path) -> None:
    flow = CallFlow()
    packets = answered_call(flow)[:5] + [udp(30, SBC, PBX, flow.bye_from_callee())]
    [leg], _ = _parse(tmp_path, packets)
    assert leg.ended_at == _at(30)
    assert leg.extra["hangup_by"] == "callee"
    assert leg.extra["q850_cause"] == "16"


def test_a_call_split_over_tcp_segments_is_reassembled(tmp_path: Path) -> None:
    flow = CallFlow()
    out = (
        flow.invite()
        + flow.request("ACK", 1, "z9hG4bK-ack1")
        + flow.request("BYE", 2, "z9hG4bK-bye1")
    )
    back = (
        flow.response(100, "Trying", to_tag=False)
        + flow.response(180, "Ringing")
        + flow.response(200, "OK", body=SDP)
        + flow.response(200, "OK", 2, "BYE", "z9hG4bK-bye1")
    )
    first_200 = back.index(b"SIP/2.0 200")
    invite_len = len(flow.invite())
    # The INVITE split inside its headers and inside its SDP body; ACK and BYE share a segment.
    outgoing = tcp_stream(0, PBX, SBC, out, cuts=[57, invite_len - 20, invite_len])
    outgoing[-1].time = START + 30
    # 100 and 180 in one segment, the 200 split in three, the 200 to BYE after the BYE.
    incoming = tcp_stream(
        0.5, SBC, PBX, back, cuts=[first_200, first_200 + 10, first_200 + 200, len(back) - 100]
    )
    incoming[-1].time = START + 30.1
    packets = outgoing + incoming
    legs, rejects = _parse(tmp_path, packets)
    assert rejects == []
    [leg] = legs
    assert leg.extra["transport"] == "tcp"
    assert leg.disposition == "answered"
    assert leg.answered_at == _at(0.504)  # the segment that completed the 200
    assert leg.ended_at == _at(30)
    assert leg.extra["closed_by"] == "bye"


def test_tcp_segments_out_of_order_and_retransmitted_are_reassembled(tmp_path: Path) -> None:
    flow = CallFlow()
    out = flow.invite() + flow.request("CANCEL", 1, "z9hG4bK-inv1", to_tag=False)
    segments = tcp_stream(0, PBX, SBC, out, cuts=[100, 300])
    syn, one, two, three = segments
    two.time, three.time = float(three.time), float(two.time)  # swapped on the wire
    retransmitted = one.copy()
    retransmitted.time = float(three.time) + 0.01
    back = flow.response(487, "Request Terminated")
    packets = [syn, one, two, three, retransmitted, *tcp_stream(2, SBC, PBX, back, cuts=[])]
    legs, rejects = _parse(tmp_path, packets)
    assert rejects == []
    [leg] = legs
    assert leg.disposition == "no_answer"
    assert leg.extra["cancelled"] is True


def test_a_retransmitted_invite_is_one_leg_started_at_the_first_copy(tmp_path: Path) -> None:
    flow = CallFlow()
    packets = answered_call(flow, t0=0)
    packets += [udp(0.5, PBX, SBC, flow.invite()), udp(1.5, PBX, SBC, flow.invite())]
    [leg], rejects = _parse(tmp_path, packets)
    assert rejects == []
    assert leg.started_at == _at(0)
    assert leg.extra["retransmissions"] == 2


def test_a_407_challenge_then_an_authenticated_invite_is_one_attempt(tmp_path: Path) -> None:
    flow = CallFlow()
    packets = [
        udp(0, PBX, SBC, flow.invite()),
        udp(0.1, SBC, PBX, flow.response(407, "Proxy Authentication Required")),
        udp(0.11, PBX, SBC, flow.request("ACK", 1, "z9hG4bK-inv1")),
        udp(0.3, PBX, SBC, flow.invite(cseq=2, branch="z9hG4bK-inv2")),
        udp(0.4, SBC, PBX, flow.response(180, "Ringing", 2, branch="z9hG4bK-inv2")),
        udp(4.0, SBC, PBX, flow.response(200, "OK", 2, branch="z9hG4bK-inv2", body=SDP)),
        udp(4.1, PBX, SBC, flow.request("ACK", 2, "z9hG4bK-ack2")),
        udp(20.0, PBX, SBC, flow.request("BYE", 3, "z9hG4bK-bye3")),
    ]
    [leg], rejects = _parse(tmp_path, packets)
    assert rejects == []
    assert leg.started_at == _at(0)
    assert leg.answered_at == _at(4.0)
    assert leg.duration_seconds == 16
    assert leg.extra["auth_challenges"] == 1 and leg.extra["invite_attempts"] == 2


def test_a_challenge_that_is_never_retried_is_a_failed_leg_ended_at_the_challenge(
    tmp_path: Path,
) -> None:
    flow = CallFlow()
    packets = [
        udp(0, PBX, SBC, flow.invite()),
        udp(0.1, SBC, PBX, flow.response(401, "Unauthorized")),
        udp(900, PBX, SBC, b"\r\n\r\n"),  # keep-alive long after: the retry timer ran out
    ]
    [leg], rejects = _parse(tmp_path, packets)
    assert rejects == []
    assert leg.disposition == "failed"
    assert leg.ended_at == _at(0.1)
    assert leg.extra["closed_by"] == "timeout"
    assert leg.extra["state_at_close"] == "challenged"


def test_a_cancelled_call_is_no_answer_ended_at_the_cancel(tmp_path: Path) -> None:
    flow = CallFlow()
    packets = [
        udp(0, PBX, SBC, flow.invite()),
        udp(1, SBC, PBX, flow.response(180, "Ringing")),
        udp(12, PBX, SBC, flow.request("CANCEL", 1, "z9hG4bK-inv1", to_tag=False)),
        udp(12.1, SBC, PBX, flow.response(200, "OK", 1, "CANCEL")),
        udp(12.2, SBC, PBX, flow.response(487, "Request Terminated")),
        udp(12.3, PBX, SBC, flow.request("ACK", 1, "z9hG4bK-inv1")),
    ]
    [leg], rejects = _parse(tmp_path, packets)
    assert rejects == []
    assert leg.disposition == "no_answer"
    assert leg.ended_at == _at(12)
    assert leg.ring_seconds == 12
    assert leg.extra["sip_status"] == 487


@pytest.mark.parametrize(
    ("status", "disposition"),
    [
        (486, "busy"),
        (600, "busy"),
        (603, "busy"),
        (480, "no_answer"),
        (408, "no_answer"),
        (404, "failed"),
        (403, "failed"),
        (503, "failed"),
    ],
)
def test_final_failure_responses_map_to_dispositions(
    tmp_path: Path, status: int, disposition: str
) -> None:
    flow = CallFlow()
    packets = [
        udp(0, PBX, SBC, flow.invite()),
        udp(2.5, SBC, PBX, flow.response(status, "Whatever")),
        udp(2.6, PBX, SBC, flow.request("ACK", 1, "z9hG4bK-inv1")),
    ]
    [leg], _ = _parse(tmp_path, packets)
    assert leg.disposition == disposition
    assert leg.ended_at == _at(2.5)
    assert leg.answered_at is None and leg.duration_seconds == 0


def test_early_media_then_200_is_answered_at_the_200(tmp_path: Path) -> None:
    flow = CallFlow()
    packets = [
        udp(0, PBX, SBC, flow.invite()),
        udp(0.8, SBC, PBX, flow.response(183, "Session Progress", body=SDP)),
        udp(9.0, SBC, PBX, flow.response(200, "OK", body=SDP)),
        udp(9.1, PBX, SBC, flow.request("ACK", 1, "z9hG4bK-ack1")),
        udp(40.0, PBX, SBC, flow.request("BYE", 2, "z9hG4bK-bye1")),
    ]
    [leg], _ = _parse(tmp_path, packets)
    assert leg.answered_at == _at(9.0)
    assert leg.ring_seconds == 9 and leg.duration_seconds == 31
    assert leg.extra["early_media"] is True and leg.extra["ringing_at"] == _at(0.8)


def test_a_call_without_bye_is_closed_by_the_timeout_at_its_last_packet(tmp_path: Path) -> None:
    flow = CallFlow()
    other = CallFlow(call_id="later@192.0.2.10", from_tag="x1")
    packets = answered_call(flow)[:5] + answered_call(other, t0=500)
    legs, _ = _parse(tmp_path, packets, dialog_timeout_seconds=300)
    first = next(leg for leg in legs if leg.call_id == flow.call_id)
    assert first.extra["closed_by"] == "timeout"
    assert first.disposition == "answered"
    assert first.ended_at == _at(6.55)  # the ACK, the dialog's last packet
    assert first.duration_seconds == 0


def test_a_call_still_up_at_the_end_of_the_capture_is_closed_by_capture_end(tmp_path: Path) -> None:
    flow = CallFlow()
    [leg], _ = _parse(tmp_path, answered_call(flow)[:5])
    assert leg.extra["closed_by"] == "capture_end"
    assert leg.ended_at == _at(6.55)


def test_a_b2bua_pair_with_two_call_ids_shares_one_call_id(tmp_path: Path) -> None:
    inner = CallFlow(
        call_id="phone-leg@10.1.1.50",
        caller=PHONE,
        callee=PBX,
        ruri_host="pbx.example.com",
        to_user="907700900461",
        from_tag="ph1",
    )
    outer = CallFlow(call_id="trunk-leg@192.0.2.10", from_tag="pbx1")
    packets = answered_call(inner, t0=0) + answered_call(outer, t0=0.04)
    legs, rejects = _parse(tmp_path, packets)
    assert rejects == []
    assert len(legs) == 2
    assert {leg.call_id for leg in legs} == {"phone-leg@10.1.1.50"}
    trunk_leg = next(leg for leg in legs if leg.extra["sip_call_id"] == "trunk-leg@192.0.2.10")
    assert trunk_leg.extra["linked_by"] == "numbers_and_time"
    assert trunk_leg.extra["linked_to"] == "call.pcap:phone-leg@10.1.1.50:ph1"


def test_b2bua_legs_can_be_linked_by_a_correlation_header(tmp_path: Path) -> None:
    inner = CallFlow(call_id="a@10.1.1.50", caller=PHONE, callee=PBX, from_tag="t1")
    outer = CallFlow(
        call_id="b@192.0.2.10",
        from_user="+441632960205",
        to_user="447700900461",
        from_tag="t2",
        extra_headers={"X-Correlation-ID": "a@10.1.1.50"},
    )
    packets = answered_call(inner, t0=0) + answered_call(outer, t0=3.0)  # outside the window
    legs, _ = _parse(tmp_path, packets)
    assert {leg.call_id for leg in legs} == {"a@10.1.1.50"}
    assert (
        next(leg for leg in legs if leg.call_id != leg.extra["sip_call_id"]).extra["linked_by"]
        == "header"
    )


def test_two_unrelated_calls_to_the_same_number_are_not_linked(tmp_path: Path) -> None:
    one = CallFlow(call_id="one@192.0.2.10", from_tag="f1")
    two = CallFlow(call_id="two@192.0.2.10", from_tag="f2", from_user="206")
    legs, _ = _parse(tmp_path, answered_call(one) + answered_call(two, t0=0.5))
    assert {leg.call_id for leg in legs} == {"one@192.0.2.10", "two@192.0.2.10"}


def test_direction_inbound_internal_and_trunk_peers(tmp_path: Path) -> None:
    inbound = CallFlow(
        call_id="in@198.51.100.7",
        caller=SBC,
        callee=PBX,
        from_user="07700900999",
        to_user="205",
        from_tag="i1",
    )
    internal = CallFlow(
        call_id="int@10.1.1.50",
        caller=PHONE,
        callee=PBX,
        from_user="206",
        to_user="205",
        from_tag="n1",
    )
    # An outbound call whose Request-URI host is the PBX itself: the trunk peer IP decides.
    via_peer = CallFlow(
        call_id="out@192.0.2.10", to_user="2001", ruri_host="pbx.example.com", from_tag="o1"
    )
    packets = (
        answered_call(inbound) + answered_call(internal, t0=100) + answered_call(via_peer, t0=200)
    )
    legs, _ = _parse(tmp_path, packets, trunk_devices=frozenset({"198.51.100.7"}))
    by_id = {leg.call_id: leg for leg in legs}
    assert (by_id["in@198.51.100.7"].direction, by_id["in@198.51.100.7"].extension) == (
        "inbound",
        "205",
    )
    assert by_id["in@198.51.100.7"].trunk == "198.51.100.7"
    assert (by_id["int@10.1.1.50"].direction, by_id["int@10.1.1.50"].trunk) == ("internal", None)
    assert by_id["out@192.0.2.10"].direction == "outbound"
    assert by_id["out@192.0.2.10"].trunk == "198.51.100.7"


def test_internal_networks_make_an_outside_caller_inbound(tmp_path: Path) -> None:
    flow = CallFlow(
        call_id="did@203.0.113.9",
        caller=("203.0.113.9", 5060),
        callee=PBX,
        from_user="07700900999",
        to_user="02071234567",
        from_tag="d1",
    )
    [leg], _ = _parse(
        tmp_path, answered_call(flow), internal_networks=["192.0.2.0/24", "10.0.0.0/8"]
    )
    assert leg.direction == "inbound"
    assert leg.extension == "02071234567"


def test_p_asserted_identity_gives_the_calling_number(tmp_path: Path) -> None:
    flow = CallFlow(pai="+441632960205")
    [leg], _ = _parse(tmp_path, answered_call(flow))
    assert leg.calling_number == "+441632960205"
    assert leg.extension == "205"


def test_vlan_tagged_and_ipv6_packets_are_read(tmp_path: Path) -> None:
    flow = CallFlow(
        call_id="v6@2001:db8::10",
        caller=("2001:db8::10", 5060),
        callee=("2001:db8::7", 5060),
        from_tag="v6",
    )
    packets = [
        udp(float(p.time) - START, *_endpoints(p), bytes(p["Raw"].load), vlan=True)
        for p in answered_call(flow)
    ]
    [leg], rejects = _parse(tmp_path, packets)
    assert rejects == []
    assert leg.extra["caller_address"] == "[2001:db8::10]:5060"
    assert leg.disposition == "answered"


def _endpoints(packet: Any) -> tuple[tuple[str, int], tuple[str, int]]:
    from scapy.layers.inet import UDP
    from scapy.layers.inet6 import IPv6

    ip, transport = packet[IPv6], packet[UDP]
    return (ip.src, transport.sport), (ip.dst, transport.dport)


def test_an_ip_fragmented_invite_is_reassembled(tmp_path: Path) -> None:
    flow = CallFlow(extra_headers={"X-Padding": "p" * 1500})
    packets = answered_call(flow)
    packets = fragmented_udp(0, PBX, SBC, flow.invite()) + packets[1:]
    [leg], rejects = _parse(tmp_path, packets)
    assert rejects == []
    assert leg.started_at == _at(0)


def test_registrations_and_rtp_give_neither_legs_nor_rejects(tmp_path: Path) -> None:
    register = (
        b"REGISTER sip:pbx.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.1.50:5060;branch=z9hG4bK-r\r\n"
        b"From: <sip:205@pbx.example.com>;tag=r1\r\nTo: <sip:205@pbx.example.com>\r\n"
        b"Call-ID: reg1@10.1.1.50\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
    )
    rtp = bytes([0x80, 0x08]) + bytes(170)
    packets = [
        udp(0, PHONE, PBX, register),
        udp(1, ("10.1.1.50", 40000), ("192.0.2.10", 30000), rtp),
    ]
    legs, rejects = _parse(tmp_path, packets)
    assert legs == [] and rejects == []


def test_a_malformed_sip_message_is_rejected_with_its_frame_number(tmp_path: Path) -> None:
    flow = CallFlow()
    broken = flow.invite().replace(b"Call-ID: ", b"X-Call: ")
    packets = [
        udp(0, PBX, SBC, broken),
        *answered_call(CallFlow(call_id="ok@1", from_tag="k"), t0=1),
    ]
    legs, rejects = _parse(tmp_path, packets)
    assert len(legs) == 1
    [reject] = rejects
    assert reject.line_number == 1
    assert "missing required header(s): call-id" in reject.reason
    assert reject.raw.startswith("INVITE ")


def test_garbage_on_the_sip_port_and_a_truncated_message_are_rejected(tmp_path: Path) -> None:
    flow = CallFlow()
    truncated = flow.invite()[:-40]  # Content-Length promises more body than is there
    packets = [udp(0, PBX, SBC, b"\x17\x03\x03garbage-bytes"), udp(1, PBX, SBC, truncated)]
    legs, rejects = _parse(tmp_path, packets)
    assert legs == []
    reasons = [r.reason for r in rejects]
    assert any("not a SIP message on a SIP port" in r for r in reasons)
    assert any("truncated SIP message" in r for r in reasons)


def test_a_bye_for_a_call_that_started_before_the_capture_is_one_orphan_reject(
    tmp_path: Path,
) -> None:
    flow = CallFlow()
    packets = [
        udp(0, PBX, SBC, flow.request("BYE", 2, "z9hG4bK-bye1")),
        udp(0.1, SBC, PBX, flow.response(200, "OK", 2, "BYE", "z9hG4bK-bye1")),
    ]
    legs, rejects = _parse(tmp_path, packets)
    assert legs == []
    [reject] = rejects
    assert "INVITE is not in the capture" in reject.reason and "2 message(s)" in reject.reason


def test_a_dialog_with_a_clock_jump_backwards_is_rejected(tmp_path: Path) -> None:
    flow = CallFlow()
    packets = answered_call(flow)
    packets[3].time = START - 3600  # the 200 OK stamped an hour before the INVITE
    legs, rejects = _parse(tmp_path, packets, sort=False)
    assert legs == []
    [reject] = rejects
    assert "backwards" in reject.reason
    assert reject.record_id == "call.pcap:3c26e7a0b1f94e2d@192.0.2.10:a73kszlfl"


def test_a_dialog_dated_after_now_is_rejected_as_implausible(tmp_path: Path) -> None:
    future = datetime(2027, 6, 1, tzinfo=UTC).timestamp()
    packets = answered_call(CallFlow(), t0=future)
    legs, rejects = _parse(tmp_path, packets)
    assert legs == []
    assert [("implausible capture time" in r.reason) for r in rejects] == [True]
