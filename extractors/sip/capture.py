"""From captured packets to SIP message payloads: pcap/pcapng reading through scapy, IPv4
fragment reassembly, and TCP stream reassembly with Content-Length framing.

scapy dissects the link, IP and transport layers (Ethernet, Linux SLL, raw IP, loopback, VLAN
tags, IPv4 and IPv6); the SIP text is left to extractors.sip.message. The same PacketDecoder
serves files, replays and live capture."""

from __future__ import annotations

import io
import socket
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal, cast

from .message import looks_like_sip, split_stream

Endpoint = tuple[str, int]
Transport = Literal["udp", "tcp"]

PCAP_MAGICS = (
    b"\xd4\xc3\xb2\xa1",  # classic, little-endian, microseconds
    b"\xa1\xb2\xc3\xd4",  # classic, big-endian, microseconds
    b"\x4d\x3c\xb2\xa1",  # classic, little-endian, nanoseconds
    b"\xa1\xb2\x3c\x4d",  # classic, big-endian, nanoseconds
)
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
DEFAULT_SIP_PORTS = frozenset({5060})
_MAX_STREAM_BUFFER = 256 * 1024  # a SIP message is a few kB; more means a broken stream
_MAX_PENDING_SEGMENTS = 512
_STUN_COOKIE = b"\x21\x12\xa4\x42"


class CaptureError(ValueError):
    """Input that is not a capture this module can read; the message says why."""


@dataclass(frozen=True, slots=True)
class WirePayload:
    """A SIP message candidate cut from the wire: one UDP datagram or one framed TCP message."""

    timestamp: datetime
    src: Endpoint
    dst: Endpoint
    transport: Transport
    payload: bytes
    frame: int  # 1-based packet number in the capture (the packet that completed the message)


@dataclass(frozen=True, slots=True)
class WireProblem:
    """Bytes that should have been SIP but cannot be read: becomes a Rejected record."""

    frame: int
    reason: str
    raw: bytes


@dataclass(slots=True)
class CaptureStats:
    """What the decoder saw but did not turn into SIP messages (reported, never silently lost)."""

    packets: int = 0
    sip_payloads: int = 0
    non_ip_packets: int = 0
    non_sip_packets: int = 0  # RTP, DNS, ...: not call records
    keepalives: int = 0
    tcp_retransmitted_segments: int = 0
    ip_fragments: int = 0

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


def capture_kind(data: bytes) -> Literal["pcap", "pcapng"] | None:
    """'pcap' or 'pcapng' from the file's magic number, else None."""
    if data[:4] in PCAP_MAGICS:
        return "pcap"
    if data[:4] == PCAPNG_MAGIC:
        return "pcapng"
    return None


def _load_layers() -> None:
    # PcapReader only knows the link types whose layers were imported (else it yields Raw).
    import scapy.layers.inet  # noqa: F401
    import scapy.layers.inet6  # noqa: F401
    import scapy.layers.l2  # noqa: F401


@dataclass(frozen=True, slots=True)
class RawFrame:
    """One captured frame, undissected: link type, bytes, capture time, original length."""

    frame: int  # 1-based packet number in the capture
    linktype: int
    data: bytes
    timestamp: datetime
    wirelen: int


def read_frames(data: bytes) -> Iterator[RawFrame | WireProblem]:
    """The frames of pcap or pcapng bytes, without dissecting them (a frame whose timestamp is
    impossible comes as a WireProblem).

    Raises:
        CaptureError: when the bytes are not a pcap/pcapng capture, or the file is damaged
            (raised when reached, after the frames before it were yielded).
    """
    kind = capture_kind(data)
    if kind is None:
        raise CaptureError("not a pcap/pcapng capture")
    from scapy.error import Scapy_Exception
    from scapy.utils import RawPcapNgReader, RawPcapReader

    reader_class = RawPcapReader if kind == "pcap" else RawPcapNgReader
    try:
        reader = reader_class(io.BytesIO(data))  # type: ignore[arg-type]
    except (Scapy_Exception, ValueError, EOFError, OSError, struct.error) as error:
        raise CaptureError(f"unreadable {kind} header: {error}") from None
    nano = bool(getattr(reader, "nano", False))
    frame = 0
    try:
        while True:
            try:
                record = reader._read_packet()
            except EOFError:
                return
            except (
                Scapy_Exception,
                ValueError,
                OSError,
                KeyError,
                IndexError,
                struct.error,
            ) as error:
                raise CaptureError(f"damaged {kind} after packet {frame}: {error}") from None
            if record is None:
                return
            payload, meta = record[0], cast(Any, record[1])
            frame += 1
            if kind == "pcap":
                micros = meta.usec // 1000 if nano else meta.usec
                whole = int(meta.sec) * 1_000_000 + int(micros)
                linktype = int(reader.linktype)
            else:
                ticks = ((meta.tshigh or 0) << 32) + (meta.tslow or 0)
                whole = ticks * 1_000_000 // max(1, int(meta.tsresol or 1_000_000))
                linktype = int(meta.linktype)
            try:
                stamp = _utc(whole // 1_000_000, whole % 1_000_000)
            except (ValueError, OverflowError, OSError):
                yield WireProblem(
                    frame, f"impossible capture timestamp ({whole} µs)", payload[:4096]
                )
                continue
            yield RawFrame(frame, linktype, payload, stamp, int(meta.wirelen or len(payload)))
    finally:
        reader.close()


def _utc(seconds: int, micros: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


def dissect(raw: RawFrame) -> Any:
    """A scapy packet for a raw frame (Raw when scapy does not know the link type)."""
    _load_layers()
    from scapy.config import conf

    layer = conf.l2types.num2layer.get(raw.linktype)
    try:
        packet = layer(raw.data) if layer is not None else conf.raw_layer(raw.data)
    except Exception:  # scapy dissectors raise anything on garbage; keep the bytes
        packet = conf.raw_layer(raw.data)
    packet.time = raw.timestamp.timestamp()
    packet.wirelen = raw.wirelen
    return packet


def timestamp_of(packet: Any) -> datetime:
    """The capture time of a scapy packet as an exact UTC datetime (µs)."""
    value = Decimal(str(packet.time))
    seconds = int(value // 1)
    micros = int((value - seconds) * 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


@dataclass(slots=True)
class _Flow:
    next_seq: int | None = None
    buffer: bytes = b""
    pending: dict[int, tuple[bytes, int]] = field(default_factory=dict)
    is_sip: bool = False
    first_frame: int = 0


class PacketDecoder:
    """Turns scapy packets into SIP payloads and wire problems; keeps TCP and fragment state.

    Classification: a UDP payload is SIP when its first line is a SIP start line; CRLF, NUL and
    STUN keep-alives are counted; any other payload to or from a SIP port is a wire problem
    (garbage where SIP was expected); other traffic (RTP, DNS, ...) is counted and ignored.
    A TCP flow is SIP when a port is a SIP port or its first data is SIP."""

    def __init__(self, sip_ports: Iterable[int] = DEFAULT_SIP_PORTS) -> None:
        self.sip_ports = frozenset(sip_ports)
        self.stats = CaptureStats()
        self._flows: dict[tuple[Endpoint, Endpoint], _Flow] = {}
        self._fragments: dict[tuple[Any, ...], dict[int, bytes]] = {}
        self._fragment_ends: dict[tuple[Any, ...], int] = {}

    def decode(
        self, packet: Any, frame: int, timestamp: datetime | None = None
    ) -> list[WirePayload | WireProblem]:
        """Everything one scapy packet completes: zero, one or several SIP payloads or problems."""
        from scapy.layers.inet import IP, TCP, UDP
        from scapy.layers.inet6 import IPv6

        self.stats.packets += 1
        stamp = timestamp or timestamp_of(packet)
        ip = packet.getlayer(IP)
        if ip is None:
            ip = packet.getlayer(IPv6)
        if ip is None:
            self.stats.non_ip_packets += 1
            return []
        wire_len = getattr(packet, "wirelen", None)
        if wire_len is not None and wire_len > len(packet):
            if self._on_sip_port(ip):
                return [
                    WireProblem(
                        frame,
                        f"packet truncated by the capture (snap length): {len(packet)} of {wire_len} bytes",
                        bytes(packet),
                    )
                ]
            self.stats.non_sip_packets += 1
            return []
        if isinstance(ip, IP) and (ip.flags.MF or ip.frag):
            reassembled = self._defragment(ip)
            if reassembled is None:
                return []
            transport: Any = reassembled
        else:
            transport = ip.payload
        src_ip, dst_ip = str(ip.src), str(ip.dst)
        if isinstance(transport, UDP):
            src, dst = (src_ip, int(transport.sport)), (dst_ip, int(transport.dport))
            return self._udp(stamp, src, dst, bytes(transport.payload), frame)
        if isinstance(transport, TCP):
            src, dst = (src_ip, int(transport.sport)), (dst_ip, int(transport.dport))
            return self._tcp(stamp, src, dst, transport, frame)
        self.stats.non_sip_packets += 1
        return []

    def decode_frame(self, raw: RawFrame) -> list[WirePayload | WireProblem]:
        """Like decode(), from an undissected frame: plain UDP over IPv4/IPv6 on Ethernet
        (VLAN-tagged or not), Linux SLL or raw IP is decoded here without scapy (the common
        case, and most of the cost); everything else goes through scapy's dissectors."""
        fast = _udp_fast_path(raw)
        if fast is None:
            return self.decode(dissect(raw), raw.frame, timestamp=raw.timestamp)
        self.stats.packets += 1
        src, dst, payload = fast
        return self._udp(raw.timestamp, src, dst, payload, raw.frame)

    def flush(self) -> list[WireProblem]:
        """At the end of the capture: incomplete TCP messages and unfinished fragments."""
        problems: list[WireProblem] = []
        for (src, dst), flow in self._flows.items():
            if not flow.is_sip:
                continue
            where = f"TCP {_show(src)} -> {_show(dst)}"
            if flow.pending:
                missing = sum(len(data) for data, _ in flow.pending.values())
                problems.append(
                    WireProblem(
                        max(frame for _, frame in flow.pending.values()),
                        f"{where}: segments missing from the capture; {missing} bytes after the gap lost",
                        b"".join(data for data, _ in flow.pending.values())[:4096],
                    )
                )
            if flow.buffer.strip(b"\r\n"):
                problems.append(
                    WireProblem(
                        flow.first_frame,
                        f"{where}: truncated SIP message at the end of the stream ({len(flow.buffer)} bytes)",
                        flow.buffer[:4096],
                    )
                )
        for parts in self._fragments.values():
            problems.append(
                WireProblem(
                    0, "IP fragments of a datagram never completed", b"".join(parts.values())[:4096]
                )
            )
        self._flows.clear()
        self._fragments.clear()
        self._fragment_ends.clear()
        return problems

    # -- UDP ----------------------------------------------------------------------------------

    def _udp(
        self, stamp: datetime, src: Endpoint, dst: Endpoint, payload: bytes, frame: int
    ) -> list[WirePayload | WireProblem]:
        if looks_like_sip(payload):
            self.stats.sip_payloads += 1
            return [WirePayload(stamp, src, dst, "udp", payload, frame)]
        if _is_keepalive(payload):
            self.stats.keepalives += 1
            return []
        if src[1] in self.sip_ports or dst[1] in self.sip_ports:
            return [
                WireProblem(
                    frame,
                    f"UDP {_show(src)} -> {_show(dst)}: not a SIP message on a SIP port",
                    payload,
                )
            ]
        self.stats.non_sip_packets += 1
        return []

    # -- TCP ----------------------------------------------------------------------------------

    def _tcp(
        self, stamp: datetime, src: Endpoint, dst: Endpoint, tcp: Any, frame: int
    ) -> list[WirePayload | WireProblem]:
        flow = self._flows.get((src, dst))
        data = bytes(tcp.payload)
        if flow is None:
            flow = _Flow(first_frame=frame)
            flow.is_sip = (
                src[1] in self.sip_ports or dst[1] in self.sip_ports or looks_like_sip(data)
            )
            self._flows[(src, dst)] = flow
        seq = int(tcp.seq)
        flags = int(tcp.flags)
        if flags & 0x02:  # SYN: data starts after the initial sequence number
            flow.next_seq = (seq + 1) & 0xFFFFFFFF
            seq = flow.next_seq
        if not data:
            return []
        if not flow.is_sip:
            if flow.next_seq is None and looks_like_sip(data):
                flow.is_sip = True
            else:
                self.stats.non_sip_packets += 1
                return []
        if flow.next_seq is None:  # joined mid-stream: start here
            flow.next_seq = seq
            flow.first_frame = frame
        behind = (flow.next_seq - seq) & 0xFFFFFFFF
        if behind and behind < 0x80000000:  # starts before what we have: retransmission/overlap
            if behind >= len(data):
                self.stats.tcp_retransmitted_segments += 1
                return []
            data, seq = data[behind:], flow.next_seq
        if seq != flow.next_seq:
            if len(flow.pending) >= _MAX_PENDING_SEGMENTS:
                return [self._reset(flow, frame, src, dst, "too many out-of-order segments")]
            flow.pending.setdefault(seq, (data, frame))
            return []
        self._append(flow, data, frame)
        while flow.next_seq in flow.pending:
            more, _ = flow.pending.pop(flow.next_seq)
            self._append(flow, more, frame)
        return self._frame_messages(flow, stamp, src, dst, frame)

    def _append(self, flow: _Flow, data: bytes, frame: int) -> None:
        if not flow.buffer:
            flow.first_frame = frame
        flow.buffer += data
        assert flow.next_seq is not None
        flow.next_seq = (flow.next_seq + len(data)) & 0xFFFFFFFF

    def _frame_messages(
        self, flow: _Flow, stamp: datetime, src: Endpoint, dst: Endpoint, frame: int
    ) -> list[WirePayload | WireProblem]:
        out: list[WirePayload | WireProblem] = []
        resync = _resync_offset(flow.buffer)
        if resync:
            out.append(
                WireProblem(
                    flow.first_frame,
                    f"TCP {_show(src)} -> {_show(dst)}: {resync} bytes of non-SIP data in a SIP stream",
                    flow.buffer[:resync][:4096],
                )
            )
            flow.buffer = flow.buffer[resync:]
        messages, flow.buffer = split_stream(flow.buffer)
        for message in messages:
            self.stats.sip_payloads += 1
            out.append(WirePayload(stamp, src, dst, "tcp", message, frame))
        if flow.buffer:
            flow.first_frame = frame if messages else flow.first_frame
        if len(flow.buffer) > _MAX_STREAM_BUFFER:
            out.append(self._reset(flow, frame, src, dst, "SIP message larger than 256 kB"))
        return out

    def _reset(
        self, flow: _Flow, frame: int, src: Endpoint, dst: Endpoint, why: str
    ) -> WireProblem:
        lost = flow.buffer + b"".join(data for data, _ in flow.pending.values())
        flow.buffer, flow.pending, flow.next_seq = b"", {}, None
        return WireProblem(
            frame, f"TCP {_show(src)} -> {_show(dst)}: {why}; stream reset", lost[:4096]
        )

    # -- IPv4 fragments -----------------------------------------------------------------------

    def _defragment(self, ip: Any) -> Any | None:
        from scapy.layers.inet import TCP, UDP

        self.stats.ip_fragments += 1
        key = (str(ip.src), str(ip.dst), int(ip.id), int(ip.proto))
        header_len = int(ip.ihl) * 4
        chunk = bytes(ip)[header_len : int(ip.len)]
        offset = int(ip.frag) * 8
        parts = self._fragments.setdefault(key, {})
        parts[offset] = chunk
        if not ip.flags.MF:
            self._fragment_ends[key] = offset + len(chunk)
        end = self._fragment_ends.get(key)
        if end is None:
            return None
        position, pieces = 0, []
        for start in sorted(parts):
            if start > position:
                return None  # a hole: wait for more fragments
            pieces.append(parts[start][position - start :])
            position = max(position, start + len(parts[start]))
        if position < end:
            return None
        del self._fragments[key], self._fragment_ends[key]
        whole = b"".join(pieces)[:end]
        protocol = int(ip.proto)
        if protocol == 17:
            return UDP(whole)
        if protocol == 6:
            return TCP(whole)
        return None

    def _on_sip_port(self, ip: Any) -> bool:
        transport = ip.payload
        ports = (getattr(transport, "sport", None), getattr(transport, "dport", None))
        return any(port in self.sip_ports for port in ports)


def _is_keepalive(payload: bytes) -> bool:
    if not payload.strip(b"\r\n\x00 "):
        return True  # CRLF / NUL keep-alives (RFC 5626, and common vendor pings)
    return len(payload) >= 20 and payload[4:8] == _STUN_COOKIE  # STUN binding (RFC 5389)


def _resync_offset(buffer: bytes) -> int:
    """How many leading bytes to skip to reach a SIP start line (0 when the buffer starts well)."""
    stripped = buffer.lstrip(b"\r\n")
    if not stripped or looks_like_sip(stripped) or len(stripped) < 16 and b"\n" not in stripped:
        return 0
    position = 0
    while True:
        newline = buffer.find(b"\n", position)
        if newline < 0:
            return 0 if len(buffer) < 1024 else len(buffer)
        candidate = newline + 1
        if looks_like_sip(buffer[candidate:]):
            return candidate
        position = candidate


def _show(endpoint: Endpoint) -> str:
    host, port = endpoint
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


_VLAN_TYPES = frozenset({0x8100, 0x88A8, 0x9100})


def _udp_fast_path(raw: RawFrame) -> tuple[Endpoint, Endpoint, bytes] | None:
    """(src, dst, payload) of an unfragmented, untruncated UDP frame, else None (use scapy)."""
    data = raw.data
    if raw.wirelen > len(data):
        return None
    linktype = raw.linktype
    if linktype == 1:  # Ethernet, with any number of VLAN tags
        offset = 12
        if len(data) < 14:
            return None
        ethertype = int.from_bytes(data[12:14], "big")
        while ethertype in _VLAN_TYPES and len(data) >= offset + 6:
            offset += 4
            ethertype = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
    elif linktype == 113:  # Linux cooked capture (SLL)
        if len(data) < 16:
            return None
        ethertype, offset = int.from_bytes(data[14:16], "big"), 16
    elif linktype in (101, 228, 229, 12, 14):  # raw IP
        if not data:
            return None
        ethertype, offset = (0x0800 if data[0] >> 4 == 4 else 0x86DD), 0
    else:
        return None
    if ethertype == 0x0800:
        if len(data) < offset + 20:
            return None
        header_len = (data[offset] & 0x0F) * 4
        total = int.from_bytes(data[offset + 2 : offset + 4], "big")
        fragment = int.from_bytes(data[offset + 6 : offset + 8], "big")
        if data[offset + 9] != 17 or fragment & 0x3FFF or header_len < 20:
            return None
        src_ip = socket.inet_ntop(socket.AF_INET, data[offset + 12 : offset + 16])
        dst_ip = socket.inet_ntop(socket.AF_INET, data[offset + 16 : offset + 20])
        end = offset + total
        offset += header_len
    elif ethertype == 0x86DD:
        if len(data) < offset + 40 or data[offset + 6] != 17:
            return None  # extension headers and the rest: let scapy do it
        src_ip = socket.inet_ntop(socket.AF_INET6, data[offset + 8 : offset + 24])
        dst_ip = socket.inet_ntop(socket.AF_INET6, data[offset + 24 : offset + 40])
        end = offset + 40 + int.from_bytes(data[offset + 4 : offset + 6], "big")
        offset += 40
    else:
        return None
    if end > len(data) or end < offset + 8:
        return None
    sport, dport, length = struct.unpack_from("!HHH", data, offset)
    if length < 8 or offset + length > end:
        return None
    return (src_ip, sport), (dst_ip, dport), data[offset + 8 : offset + length]
