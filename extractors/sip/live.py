"""Feeds for the streaming sidecar: replaying a pcap at real speed, and live capture with scapy.

Live capture opens a raw packet socket, which needs CAP_NET_RAW (root, or
`setcap cap_net_raw+eip` on the Python binary); without it `live_capture` raises
LiveCaptureError with that explanation. Reading and replaying files needs no privileges."""

from __future__ import annotations

import asyncio
import queue
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .capture import DEFAULT_SIP_PORTS, PacketDecoder, timestamp_of
from .dialogs import DialogTracker, SipEvent
from .pipeline import capture_events, decode_packet

_POLL_SECONDS = 0.5


class LiveCaptureError(RuntimeError):
    """Live capture cannot start: missing privilege or unknown interface."""


def _tracker_for(path: Path, tracker: DialogTracker | None) -> DialogTracker:
    return tracker or DialogTracker(capture_point=path.name, file_name=str(path), live=False)


def replay_pcap(
    path: str | Path,
    speed: float = 1.0,
    *,
    tracker: DialogTracker | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[tuple[datetime, list[SipEvent]]]:
    """Replay a capture file, yielding (capture time, events) when they happen.

    Args:
        path: a pcap or pcapng file.
        speed: 1.0 replays at the capture's own pace, 10.0 ten times faster; 0 (or less) as
            fast as possible.
        tracker: the dialog tracker to use (default: a fresh one named after the file).
        sleep: injected for tests.
        clock: monotonic seconds, injected for tests.

    Yields:
        (capture time of the packet, the events it caused); the last item is the end-of-capture
        flush.
    """
    path = Path(path)
    events = capture_events(path.read_bytes(), _tracker_for(path, tracker))
    start_wall: float | None = None
    start_capture: datetime | None = None
    for at, batch in events:
        if speed > 0:
            if start_wall is None or start_capture is None:
                start_wall, start_capture = clock(), at
            due = start_wall + (at - start_capture).total_seconds() / speed
            delay = due - clock()
            if delay > 0:
                sleep(delay)
        yield at, batch


async def replay_pcap_async(
    path: str | Path, speed: float = 1.0, *, tracker: DialogTracker | None = None
) -> AsyncIterator[tuple[datetime, list[SipEvent]]]:
    """replay_pcap for asyncio code: the same items, waiting with asyncio.sleep."""
    path = Path(path)
    loop = asyncio.get_running_loop()
    start_wall: float | None = None
    start_capture: datetime | None = None
    for at, batch in capture_events(path.read_bytes(), _tracker_for(path, tracker)):
        if speed > 0:
            if start_wall is None or start_capture is None:
                start_wall, start_capture = loop.time(), at
            delay = start_wall + (at - start_capture).total_seconds() / speed - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        yield at, batch


def check_live_capture(interface: str) -> None:
    """Raise LiveCaptureError unless a raw capture on `interface` can be opened."""
    try:
        socket.if_nametoindex(interface)
    except OSError:
        raise LiveCaptureError(f"no network interface named {interface!r}") from None
    family = getattr(socket, "AF_PACKET", None)
    if family is None:
        return  # not Linux: scapy will use libpcap and report its own error
    try:
        probe = socket.socket(family, socket.SOCK_RAW)
    except PermissionError:
        raise LiveCaptureError(
            f"live SIP capture on {interface!r} needs CAP_NET_RAW: run the sidecar as root, or "
            "grant it with `setcap cap_net_raw,cap_net_admin+eip <python binary>`"
        ) from None
    probe.close()


def live_capture(
    interface: str,
    *,
    tracker: DialogTracker | None = None,
    sip_ports: Iterable[int] = DEFAULT_SIP_PORTS,
    stop: threading.Event | None = None,
    ready: threading.Event | None = None,
) -> Iterator[tuple[datetime, list[SipEvent]]]:
    """Capture SIP live on an interface, yielding (time, events) as calls start, answer, end.

    Packets are selected in Python (UDP/TCP to or from a SIP port, and IP fragments), because
    a BPF `filter=` needs libpcap. Timers are checked every half second of wall time. When
    `stop` is set, the open dialogs are flushed (closed_by "capture_end") and the iterator ends.

    Raises:
        LiveCaptureError: without CAP_NET_RAW, or for an unknown interface.
    """
    check_live_capture(interface)
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.sendrecv import AsyncSniffer

    ports = frozenset(sip_ports)
    tracker = tracker or DialogTracker(capture_point=interface)
    decoder = PacketDecoder(sip_ports=ports)
    stop = stop or threading.Event()
    packets: queue.Queue[Any] = queue.Queue()

    def wanted(packet: Any) -> bool:
        ip = packet.getlayer(IP)
        if ip is not None and (ip.flags.MF or ip.frag):
            return True
        ip = ip or packet.getlayer(IPv6)
        transport = ip.payload if ip is not None else None
        if not isinstance(transport, (UDP, TCP)):
            return False
        return int(transport.sport) in ports or int(transport.dport) in ports

    sniffer = AsyncSniffer(iface=interface, store=False, lfilter=wanted, prn=packets.put)
    sniffer.start()
    if ready is not None:
        _wait_until_running(sniffer)
        ready.set()
    frame = 0
    try:
        while not stop.is_set():
            try:
                packet = packets.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not sniffer.running and sniffer.exception is not None:
                    raise LiveCaptureError(
                        f"live capture on {interface!r} stopped: {sniffer.exception}"
                    ) from sniffer.exception
                now = datetime.now(UTC)
                expired = tracker.expire(now)
                if expired:
                    yield now, expired
                continue
            frame += 1
            events = decode_packet(packet, frame, decoder, tracker)
            if events:
                yield timestamp_of(packet), events
    finally:
        if sniffer.running:
            sniffer.stop()
    now = datetime.now(UTC)
    final = [tracker.reject_wire(now, p.reason, p.raw, p.frame or None) for p in decoder.flush()]
    final.extend(tracker.flush(now))
    if final:
        yield now, final


def _wait_until_running(sniffer: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if getattr(sniffer, "running", False) and getattr(sniffer, "stop_cb", None) is not None:
            return
        time.sleep(0.01)


__all__ = [
    "LiveCaptureError",
    "check_live_capture",
    "live_capture",
    "replay_pcap",
    "replay_pcap_async",
]
