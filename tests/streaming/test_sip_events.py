"""SIP signalling into the rules: a generated capture in the `pcap_dir` replayed at real speed
raises the premium alert at the INVITE, and the high-cost timer fires while the call is up."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from streaming.service import Sidecar
from tests.extractors.sip.captures import PBX, SBC, SDP, CallFlow, udp, write
from tests.streaming.test_service import PREMIUM, RecordingSink, make_sidecar, until


def premium_call_capture(path: Path, t0: float) -> None:
    """Ext 205 dials 0909 123 4567 (UK premium): INVITE at t0, answered 1.5 s later, a minute
    of talk. Timestamps are real ones from t0, so the mid-call timer measures real time."""
    flow = CallFlow(to_user="09091234567")
    write(
        path,
        [
            udp(t0, PBX, SBC, flow.invite()),
            udp(t0 + 0.05, SBC, PBX, flow.response(100, "Trying", to_tag=False)),
            udp(t0 + 0.3, SBC, PBX, flow.response(180, "Ringing")),
            udp(t0 + 1.5, SBC, PBX, flow.response(200, "OK", body=SDP)),
            udp(t0 + 1.55, PBX, SBC, flow.request("ACK", 1, "z9hG4bK-ack1")),
            udp(t0 + 61.5, PBX, SBC, flow.request("BYE", 2, "z9hG4bK-bye1")),
            udp(t0 + 61.55, SBC, PBX, flow.response(200, "OK", 2, "BYE", "z9hG4bK-bye1")),
        ],
    )
    os.utime(path, (time.time() - 10, time.time() - 10))  # a finished file, not one being written


def test_a_premium_call_alerts_at_the_invite_and_the_cost_timer_fires_mid_call(
    tmp_path: Path,
) -> None:
    captures = tmp_path / "captures"
    captures.mkdir()
    card = tmp_path / "card.csv"
    card.write_text("prefix,destination,rate_per_minute\n44909,UK premium,100\n")
    sink = RecordingSink()
    sidecar: Sidecar = make_sidecar(
        tmp_path,
        {
            "sip": [{"id": "sbc", "tenant": "acme", "site": "london", "pcap_dir": str(captures)}],
            "rules": [
                PREMIUM,
                {
                    "id": "expensive",
                    "type": "high_cost",
                    "rate_card": str(card),
                    "rate_per_minute": 1000,  # the per-minute check never fires; the cost does
                    "max_cost": 1,
                },
            ],
        },
        sink,
    )

    async def scenario() -> None:
        await sidecar.start()
        try:
            premium_call_capture(captures / "call.pcap", time.time())
            await until(lambda: len(sink.alerts) == 1, timeout=5)
            [premium] = sink.alerts
            assert premium.rule == "premium" and premium.details["event"] == "start"
            assert (premium.extension, premium.called_e164) == ("205", "449091234567")
            await until(lambda: len(sink.alerts) == 2, timeout=8)
            assert sidecar.store is not None
            [call] = sidecar.store.calls_in_progress()  # still up: the BYE is a minute away
            assert call["state"] == "answered" and call["extension"] == "205"
        finally:
            await sidecar.stop()

    asyncio.run(scenario())
    cost = sink.alerts[1]
    assert cost.rule == "expensive" and "cost_so_far" in cost.details
    assert sidecar.stats.sip_events == 2  # start and answer; the end never came
