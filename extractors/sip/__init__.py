"""SIP capture: message parsing, TCP reassembly, the streaming dialog tracker, and replay /
live capture for the sidecar. The `sip` parser (extractors.parsers.sip) is built on it.

    from extractors.sip import DialogTracker, replay_pcap, live_capture
"""

from __future__ import annotations

from .capture import CaptureError, CaptureStats, PacketDecoder
from .dialogs import DialogTracker, SipEvent
from .live import LiveCaptureError, live_capture, replay_pcap, replay_pcap_async

__all__ = [
    "CaptureError",
    "CaptureStats",
    "DialogTracker",
    "LiveCaptureError",
    "PacketDecoder",
    "SipEvent",
    "live_capture",
    "replay_pcap",
    "replay_pcap_async",
]
