"""Helpers that write small SIP captures with scapy (wrpcap) for the tests: SIP message builders
for one call (`CallFlow`) and packet builders for UDP, TCP segments and IP fragments."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # "MAC address not found" noise

from scapy.layers.inet import IP, TCP, UDP, fragment  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.l2 import Dot1Q, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.utils import wrpcap  # noqa: E402

Endpoint = tuple[str, int]
START = 1_751_360_400.0  # 2025-07-01T09:00:00Z
PBX: Endpoint = ("192.0.2.10", 5060)
SBC: Endpoint = ("198.51.100.7", 5060)
SDP = (
    b"v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
)


@dataclass
class CallFlow:
    """The SIP messages of one call between a caller and a callee (defaults: PBX -> SBC)."""

    call_id: str = "3c26e7a0b1f94e2d@192.0.2.10"
    caller: Endpoint = PBX
    callee: Endpoint = SBC
    from_user: str = "205"
    to_user: str = "07700900461"
    domain: str = "pbx.example.com"
    ruri_host: str = "sbc.example.net"
    from_tag: str = "a73kszlfl"
    to_tag: str = "9fxced76sl"
    pai: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def ruri(self) -> str:
        return f"sip:{self.to_user}@{self.ruri_host}"

    def _headers(
        self, via: Endpoint, branch: str, cseq: int, method: str, to_tag: bool
    ) -> list[str]:
        to = f"<{self.ruri}>" + (f";tag={self.to_tag}" if to_tag else "")
        return [
            f"Via: SIP/2.0/UDP {via[0]}:{via[1]};branch={branch}",
            "Max-Forwards: 70",
            f'From: "Ext {self.from_user}" <sip:{self.from_user}@{self.domain}>;tag={self.from_tag}',
            f"To: {to}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq} {method}",
        ]

    def invite(self, cseq: int = 1, branch: str = "z9hG4bK-inv1", body: bytes = SDP) -> bytes:
        headers = self._headers(self.caller, branch, cseq, "INVITE", to_tag=False)
        if self.pai:
            headers.append(f"P-Asserted-Identity: <sip:{self.pai}@{self.domain}>")
        headers += [f"{name}: {value}" for name, value in self.extra_headers.items()]
        headers += [f"Contact: <sip:{self.from_user}@{self.caller[0]}:{self.caller[1]}>"]
        return _message(f"INVITE {self.ruri} SIP/2.0", headers, body, "application/sdp")

    def request(self, method: str, cseq: int, branch: str, *, to_tag: bool = True) -> bytes:
        """ACK, CANCEL or BYE from the caller."""
        headers = self._headers(self.caller, branch, cseq, method, to_tag)
        return _message(f"{method} {self.ruri} SIP/2.0", headers, b"")

    def bye_from_callee(self, cseq: int = 1, branch: str = "z9hG4bK-bye-b") -> bytes:
        headers = [
            f"Via: SIP/2.0/UDP {self.callee[0]}:{self.callee[1]};branch={branch}",
            f"From: <{self.ruri}>;tag={self.to_tag}",
            f"To: <sip:{self.from_user}@{self.domain}>;tag={self.from_tag}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq} BYE",
            'Reason: Q.850;cause=16;text="Normal call clearing"',
        ]
        return _message(f"BYE sip:{self.from_user}@{self.caller[0]} SIP/2.0", headers, b"")

    def response(
        self,
        status: int,
        reason: str,
        cseq: int = 1,
        method: str = "INVITE",
        branch: str = "z9hG4bK-inv1",
        *,
        to_tag: bool = True,
        body: bytes = b"",
    ) -> bytes:
        headers = self._headers(self.caller, branch, cseq, method, to_tag)
        return _message(
            f"SIP/2.0 {status} {reason}", headers, body, "application/sdp" if body else None
        )


def _message(first: str, headers: list[str], body: bytes, content_type: str | None = None) -> bytes:
    lines = [first, *headers]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def udp(t: float, src: Endpoint, dst: Endpoint, payload: bytes, *, vlan: bool = False) -> Any:
    """One Ethernet/IPv4 (or IPv6)/UDP packet at epoch time `t` (offset from START if small)."""
    ip: Any = IPv6(src=src[0], dst=dst[0]) if ":" in src[0] else IP(src=src[0], dst=dst[0])
    link: Any = _ether() / Dot1Q(vlan=42) if vlan else _ether()
    packet = link / ip / UDP(sport=src[1], dport=dst[1]) / Raw(payload)
    packet.time = _at(t)
    return packet


def tcp(
    t: float,
    src: Endpoint,
    dst: Endpoint,
    payload: bytes,
    seq: int,
    *,
    flags: str = "PA",
) -> Any:
    """One TCP segment carrying `payload` at sequence number `seq`."""
    packet = (
        _ether()
        / IP(src=src[0], dst=dst[0])
        / TCP(sport=src[1], dport=dst[1], seq=seq, flags=flags)
    )
    if payload:
        packet = packet / Raw(payload)
    packet.time = _at(t)
    return packet


def tcp_stream(
    t: float, src: Endpoint, dst: Endpoint, data: bytes, cuts: Sequence[int], isn: int = 1000
) -> list[Any]:
    """A SYN then `data` cut into segments at the given offsets, 1 ms apart."""
    packets = [tcp(t, src, dst, b"", isn, flags="S")]
    edges = [0, *cuts, len(data)]
    for index, (begin, end) in enumerate(zip(edges, edges[1:], strict=False)):
        packets.append(tcp(t + 0.001 * (index + 1), src, dst, data[begin:end], isn + 1 + begin))
    return packets


def fragmented_udp(
    t: float, src: Endpoint, dst: Endpoint, payload: bytes, size: int = 600
) -> list[Any]:
    """A UDP datagram split into IPv4 fragments of `size` bytes."""
    whole = IP(src=src[0], dst=dst[0], id=4242) / UDP(sport=src[1], dport=dst[1]) / Raw(payload)
    packets = []
    for piece in fragment(whole, fragsize=size):
        framed = _ether() / piece
        framed.time = _at(t)
        packets.append(framed)
    return packets


def _ether() -> Any:
    # Explicit MACs: otherwise scapy resolves them (ARP as root), slowly and noisily.
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def _at(t: float) -> float:
    return START + t if t < 1_000_000_000 else t


def write(path: Path, packets: Iterable[Any], *, sort: bool = True) -> bytes:
    """Write the packets (sorted by time unless told not to) to a classic pcap; return its bytes."""
    ordered = sorted(packets, key=lambda p: float(p.time)) if sort else list(packets)
    wrpcap(str(path), ordered)
    return path.read_bytes()


def answered_call(flow: CallFlow, t0: float = 0.0, talk: float = 65.0) -> list[Any]:
    """INVITE, 100, 180, 200 (SDP), ACK, ... BYE from the caller, 200."""
    a, b = flow.caller, flow.callee
    return [
        udp(t0, a, b, flow.invite()),
        udp(t0 + 0.05, b, a, flow.response(100, "Trying", to_tag=False)),
        udp(t0 + 1.0, b, a, flow.response(180, "Ringing")),
        udp(t0 + 6.5, b, a, flow.response(200, "OK", body=SDP)),
        udp(t0 + 6.55, a, b, flow.request("ACK", 1, "z9hG4bK-ack1")),
        udp(t0 + 6.5 + talk, a, b, flow.request("BYE", 2, "z9hG4bK-bye1")),
        udp(t0 + 6.55 + talk, b, a, flow.response(200, "OK", 2, "BYE", "z9hG4bK-bye1")),
    ]
