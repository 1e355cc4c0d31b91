"""Run a whole capture through the packet decoder and the dialog tracker, packet by packet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from .capture import (
    CaptureError,
    PacketDecoder,
    WirePayload,
    WireProblem,
    read_frames,
    timestamp_of,
)
from .dialogs import DialogTracker, SipEvent

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def capture_events(
    data: bytes, tracker: DialogTracker, decoder: PacketDecoder | None = None
) -> Iterator[tuple[datetime, list[SipEvent]]]:
    """(capture time, events) for each packet that caused events, then the end-of-capture flush.

    Input that is not a pcap/pcapng capture gives one reject event. A capture damaged part-way
    gives the events of the packets before the damage, one reject naming where, and the flush.
    """
    decoder = decoder or PacketDecoder()
    last = _EPOCH
    try:
        for raw in read_frames(data):
            if isinstance(raw, WireProblem):
                yield last, [tracker.reject_wire(last, raw.reason, raw.raw, raw.frame)]
                continue
            last = max(last, raw.timestamp)
            events = _to_events(decoder.decode_frame(raw), raw.timestamp, tracker)
            if events:
                yield last, events
    except CaptureError as error:
        yield last, [tracker.reject_wire(last, str(error), data[:256], None)]
    end_events = [
        tracker.reject_wire(last, problem.reason, problem.raw, problem.frame or None)
        for problem in decoder.flush()
    ]
    end_events.extend(tracker.flush(last))
    if end_events:
        yield last, end_events


def decode_packet(
    packet: Any, frame: int, decoder: PacketDecoder, tracker: DialogTracker
) -> list[SipEvent]:
    """Feed one scapy packet (from a file or a live capture) through decoder and tracker."""
    return _to_events(decoder.decode(packet, frame), timestamp_of(packet), tracker)


def _to_events(
    items: list[WirePayload | WireProblem], at: datetime, tracker: DialogTracker
) -> list[SipEvent]:
    events: list[SipEvent] = []
    for item in items:
        if isinstance(item, WirePayload):
            events.extend(
                tracker.feed(
                    item.timestamp,
                    item.src,
                    item.dst,
                    item.payload,
                    transport=item.transport,
                    frame=item.frame,
                )
            )
        else:
            events.append(tracker.reject_wire(at, item.reason, item.raw, item.frame))
    return events
