"""`sip`: passive SIP capture (pcap / pcapng bytes) to call legs, one leg per INVITE dialog.

The work is done by extractors.sip (packet decoding, TCP reassembly, the dialog tracker), which
the streaming sidecar shares for live capture. Rules and decisions: docs/parsers/sip.md."""

from __future__ import annotations

from collections.abc import Iterator

from callmeter.legs import CallLeg, Rejected
from extractors.sip.capture import DEFAULT_SIP_PORTS, PacketDecoder
from extractors.sip.dialogs import DialogTracker
from extractors.sip.pipeline import capture_events

from . import ParseContext


def parse(data: bytes, ctx: ParseContext) -> Iterator[CallLeg | Rejected]:
    """Legs and rejects from the bytes of a pcap or pcapng capture.

    Args:
        data: the capture file's bytes.
        ctx: the site's context; `ctx.options` are the site's `formats.sip` options
            (capture_point, sip_ports, dialog_timeout_seconds, extension_patterns,
            internal_networks, trunk_addresses, ...), `ctx.trunk_devices` the trunk peers.

    Yields:
        One CallLeg per INVITE dialog, in the order the dialogs end, and a Rejected for each
        malformed SIP message, orphan dialog or unreadable input.
    """
    tracker = DialogTracker.from_context(ctx)
    ports = ctx.options.get("sip_ports", DEFAULT_SIP_PORTS)
    decoder = PacketDecoder(sip_ports=[int(port) for port in ports])
    for _, events in capture_events(data, tracker, decoder):
        for event in events:
            if event.leg is not None:
                yield event.leg
            elif event.rejected is not None:
                yield event.rejected
