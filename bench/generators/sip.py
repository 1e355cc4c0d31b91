"""Synthetic SIP captures: `generate(n, seed)` returns the bytes of a classic pcap (Ethernet,
IPv4, UDP, microsecond timestamps) holding n calls between a PBX and an SBC, plus a little RTP.

The mix: about 80 % answered (INVITE, 100, 180, 200, ACK, BYE, 200), 7 % answered after a 407
challenge, 6 % busy (486), 7 % cancelled while ringing (CANCEL, 200, 487, ACK). One INVITE in
ten is retransmitted. Calls start about every half second and overlap. Packets are written with
struct (not scapy) so large captures build quickly; deterministic for a given seed.
"""

from __future__ import annotations

import random
import struct

START = 1_751_360_400.0  # 2025-07-01T09:00:00Z
PBX = ("192.0.2.10", 5060)
SBC = ("198.51.100.7", 5060)
_MACS = bytes.fromhex("020000000002020000000001")
_SDP = (
    "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
)

Packet = tuple[float, tuple[str, int], tuple[str, int], bytes]


def generate(n: int, seed: int = 0) -> bytes:
    """A pcap of n SIP calls (see the module docstring for the mix)."""
    rng = random.Random(seed)
    packets: list[Packet] = []
    t = START
    for index in range(n):
        t += rng.uniform(0.05, 1.0)
        packets.extend(_call(index, t, rng))
    packets.sort(key=lambda packet: packet[0])
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for ident, (stamp, src, dst, payload) in enumerate(packets):
        frame = _ethernet_udp(src, dst, payload, ident & 0xFFFF)
        seconds = int(stamp)
        micros = int(round((stamp - seconds) * 1e6))
        out.append(struct.pack("<IIII", seconds, micros, len(frame), len(frame)))
        out.append(frame)
    return b"".join(out)


def _call(index: int, t: float, rng: random.Random) -> list[Packet]:
    call_id = f"{index:08x}-{rng.getrandbits(32):08x}@192.0.2.10"
    ext = str(200 + rng.randrange(300))
    number = "0" + str(rng.randrange(10**9, 10**10))
    msg = _Messages(call_id, ext, number, f"f{index}", f"t{index}")
    kind = rng.random()
    packets: list[Packet] = []
    cseq = 1
    if 0.80 <= kind < 0.87:  # challenged first
        packets += [
            (t, PBX, SBC, msg.invite(1)),
            (t + 0.02, SBC, PBX, msg.response(407, "Proxy Authentication Required", 1)),
            (t + 0.03, PBX, SBC, msg.request("ACK", 1, "inv1")),
        ]
        t += 0.05
        cseq = 2
    packets.append((t, PBX, SBC, msg.invite(cseq)))
    if rng.random() < 0.1:
        packets.append((t + 0.5, PBX, SBC, msg.invite(cseq)))
    packets.append((t + 0.03, SBC, PBX, msg.response(100, "Trying", cseq, to_tag=False)))
    ring = rng.uniform(1, 20)
    if 0.87 <= kind < 0.93:
        packets += [
            (t + 1, SBC, PBX, msg.response(486, "Busy Here", cseq)),
            (t + 1.01, PBX, SBC, msg.request("ACK", cseq, f"inv{cseq}")),
        ]
        return packets
    packets.append((t + 0.5, SBC, PBX, msg.response(180, "Ringing", cseq)))
    if kind >= 0.93:
        packets += [
            (t + ring, PBX, SBC, msg.request("CANCEL", cseq, f"inv{cseq}", to_tag=False)),
            (t + ring + 0.02, SBC, PBX, msg.response(200, "OK", cseq, "CANCEL")),
            (t + ring + 0.03, SBC, PBX, msg.response(487, "Request Terminated", cseq)),
            (t + ring + 0.04, PBX, SBC, msg.request("ACK", cseq, f"inv{cseq}")),
        ]
        return packets
    answer = t + ring
    talk = rng.expovariate(1 / 120)
    packets += [
        (answer, SBC, PBX, msg.response(200, "OK", cseq, body=_SDP)),
        (answer + 0.01, PBX, SBC, msg.request("ACK", cseq, "ack")),
        (answer + 0.05, ("192.0.2.10", 40000), ("198.51.100.7", 30000), _rtp(rng)),
        (answer + 0.07, ("198.51.100.7", 30000), ("192.0.2.10", 40000), _rtp(rng)),
        (answer + talk, PBX, SBC, msg.request("BYE", cseq + 1, "bye")),
        (answer + talk + 0.02, SBC, PBX, msg.response(200, "OK", cseq + 1, "BYE", branch="bye")),
    ]
    return packets


class _Messages:
    def __init__(self, call_id: str, ext: str, number: str, from_tag: str, to_tag: str) -> None:
        self.call_id, self.ext, self.number = call_id, ext, number
        self.from_tag, self.to_tag = from_tag, to_tag
        self.ruri = f"sip:{number}@sbc.example.net"

    def _head(self, branch: str, cseq: int, method: str, to_tag: bool) -> list[str]:
        return [
            f"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-{self.from_tag}-{branch}",
            "Max-Forwards: 70",
            f'From: "Ext {self.ext}" <sip:{self.ext}@pbx.example.com>;tag={self.from_tag}',
            f"To: <{self.ruri}>" + (f";tag={self.to_tag}" if to_tag else ""),
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq} {method}",
        ]

    def invite(self, cseq: int) -> bytes:
        head = self._head(f"inv{cseq}", cseq, "INVITE", False)
        head.append(f"Contact: <sip:{self.ext}@192.0.2.10:5060>")
        return _text(f"INVITE {self.ruri} SIP/2.0", head, _SDP)

    def request(self, method: str, cseq: int, branch: str, *, to_tag: bool = True) -> bytes:
        return _text(f"{method} {self.ruri} SIP/2.0", self._head(branch, cseq, method, to_tag), "")

    def response(
        self,
        status: int,
        reason: str,
        cseq: int,
        method: str = "INVITE",
        *,
        branch: str | None = None,
        to_tag: bool = True,
        body: str = "",
    ) -> bytes:
        head = self._head(branch or f"inv{cseq}", cseq, method, to_tag)
        return _text(f"SIP/2.0 {status} {reason}", head, body)


def _text(first: str, headers: list[str], body: str) -> bytes:
    if body:
        headers = [*headers, "Content-Type: application/sdp"]
    lines = [first, *headers, f"Content-Length: {len(body)}", "", body]
    return "\r\n".join(lines).encode()


def _rtp(rng: random.Random) -> bytes:
    header = struct.pack("!BBHII", 0x80, 8, rng.randrange(65536), rng.getrandbits(32), 0x1234)
    return header + bytes(160)


def _ethernet_udp(src: tuple[str, int], dst: tuple[str, int], payload: bytes, ident: int) -> bytes:
    udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45, 0, 20 + len(udp), ident, 0, 64, 17, 0, _ip(src[0]), _ip(dst[0]),
    )  # fmt: skip
    checksum = _checksum(header)
    header = header[:10] + struct.pack("!H", checksum) + header[12:]
    return _MACS + b"\x08\x00" + header + udp


def _ip(address: str) -> bytes:
    return bytes(int(part) for part in address.split("."))


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
