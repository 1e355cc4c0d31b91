"""Run a whole capture through the packet decoder and the dialog tracker, packet by packet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from .capture import CaptureError, PacketDecoder, WirePayload, read_packets, timestamp_of
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
        for frame, packet in read_packets(data):
            last = max(last, timestamp_of(packet))
            events = decode_packet(packet, frame, decoder, tracker)
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
    events: list[SipEvent] = []
    for item in decoder.decode(packet, frame):
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
            events.append(
                tracker.reject_wire(timestamp_of(packet), item.reason, item.raw, item.frame)
            )
    return events
