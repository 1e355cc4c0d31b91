"""Packet decoding: the struct fast path agrees with scapy's dissectors; link types; counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import CookedLinux
from scapy.packet import Raw

from bench.generators.sip import generate
from extractors.sip.capture import PacketDecoder, RawFrame, WirePayload, dissect, read_frames
from tests.extractors.sip.captures import PBX, SBC, START, CallFlow, write
from tests.paths import PBX as PBX_FIXTURES


def _both_ways(data: bytes) -> tuple[list[object], list[object]]:
    fast, slow = PacketDecoder(), PacketDecoder()
    fast_items: list[object] = []
    slow_items: list[object] = []
    for raw in read_frames(data):
        assert isinstance(raw, RawFrame)
        fast_items += fast.decode_frame(raw)
        slow_items += slow.decode(dissect(raw), raw.frame, timestamp=raw.timestamp)
    return fast_items, slow_items


def test_the_fast_path_and_scapy_decode_the_fixture_identically() -> None:
    fast, slow = _both_ways((PBX_FIXTURES / "sip" / "zeek_wireshark_sip.pcap").read_bytes())
    assert len(fast) == 81
    assert fast == slow


def test_the_fast_path_and_scapy_agree_on_sip_and_rtp_from_the_generator() -> None:
    fast, slow = _both_ways(generate(30, seed=3))
    assert fast == slow
    assert all(isinstance(item, WirePayload) for item in fast)


def test_linux_cooked_captures_are_read(tmp_path: Path) -> None:
    flow = CallFlow()
    packet = CookedLinux(proto=0x0800) / IP(src=PBX[0], dst=SBC[0]) / UDP(sport=5060, dport=5060)
    packet = packet / Raw(flow.invite())
    packet.time = START
    data = write(tmp_path / "sll.pcap", [packet])
    [raw] = list(read_frames(data))
    assert isinstance(raw, RawFrame)
    assert raw.linktype == 113
    [item] = PacketDecoder().decode_frame(raw)
    assert isinstance(item, WirePayload)
    assert (item.src, item.dst) == (PBX, SBC)
    assert item.payload == flow.invite()


def test_non_sip_traffic_is_counted_not_returned(tmp_path: Path) -> None:
    decoder = PacketDecoder()
    for raw in read_frames(generate(20, seed=5)):
        assert isinstance(raw, RawFrame)
        decoder.decode_frame(raw)
    stats = decoder.stats.as_dict()
    assert stats["non_sip_packets"] > 0  # the generator's RTP
    assert stats["packets"] == stats["sip_payloads"] + stats["non_sip_packets"]


def test_the_generated_benchmark_capture_parses_to_one_leg_per_call() -> None:
    from collections import Counter
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from callmeter.legs import CallLeg
    from extractors.parsers import ParseContext, get_parser

    ctx = ParseContext(timezone=ZoneInfo("UTC"), now=datetime(2026, 1, 1, tzinfo=UTC))
    items = list(get_parser("sip")(generate(300, seed=7), ctx))
    assert all(isinstance(item, CallLeg) for item in items)
    assert len({item.source_record_id for item in items}) == 300
    counts = Counter(item.disposition for item in items if isinstance(item, CallLeg))
    assert set(counts) == {"answered", "busy", "no_answer"}
    assert counts["answered"] > 200


def test_nanosecond_pcaps_keep_microsecond_times(tmp_path: Path) -> None:
    from decimal import Decimal

    from scapy.utils import PcapWriter

    from tests.extractors.sip.captures import udp

    packet = udp(0, PBX, SBC, CallFlow().invite())
    packet.time = Decimal("1751360400.123456789")
    path = tmp_path / "ns.pcap"
    writer = PcapWriter(str(path), nano=True)
    writer.write(packet)
    writer.close()
    data = path.read_bytes()
    assert data[:4] == b"\x4d\x3c\xb2\xa1"
    [raw] = list(read_frames(data))
    assert isinstance(raw, RawFrame)
    assert raw.timestamp.microsecond == 123456
    assert raw.timestamp.timestamp() == pytest.approx(1751360400.123456)
