"""The streaming API: DialogTracker.feed/expire/flush events, replay_pcap and live capture."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from extractors.sip import (
    DialogTracker,
    LiveCaptureError,
    live_capture,
    replay_pcap,
    replay_pcap_async,
)
from extractors.sip.live import check_live_capture
from tests.extractors.sip.captures import PBX, SBC, SDP, START, CallFlow, answered_call, write

T0 = datetime.fromtimestamp(START, UTC)


def _feed(tracker: DialogTracker, offset: float, src, dst, payload: bytes):  # type: ignore[no-untyped-def]
    return tracker.feed(T0 + timedelta(seconds=offset), src, dst, payload)


def test_events_come_as_the_call_starts_answers_and_ends() -> None:
    tracker = DialogTracker(capture_point="sensor-1")
    flow = CallFlow()
    started = _feed(tracker, 0, PBX, SBC, flow.invite())
    assert [e.kind for e in started] == ["call_start"]
    assert started[0].called_number == "07700900461"
    assert started[0].direction == "outbound" and started[0].extension == "205"
    assert _feed(tracker, 1, SBC, PBX, flow.response(180, "Ringing")) == []
    answered = _feed(tracker, 5, SBC, PBX, flow.response(200, "OK", body=SDP))
    assert [e.kind for e in answered] == ["call_answer"]
    assert answered[0].at == T0 + timedelta(seconds=5)
    ended = _feed(tracker, 65, PBX, SBC, flow.request("BYE", 2, "z9hG4bK-bye1"))
    assert [e.kind for e in ended] == ["call_end"]
    leg = ended[0].leg
    assert leg is not None and leg.duration_seconds == 60
    assert leg.source_record_id == "sensor-1:3c26e7a0b1f94e2d@192.0.2.10:a73kszlfl"
    assert tracker.open_dialogs == 0


def test_expire_closes_a_silent_dialog_once_its_timeout_passes() -> None:
    tracker = DialogTracker(options={"dialog_timeout_seconds": 60})
    flow = CallFlow()
    _feed(tracker, 0, PBX, SBC, flow.invite())
    _feed(tracker, 2, SBC, PBX, flow.response(200, "OK", body=SDP))
    assert tracker.expire(T0 + timedelta(seconds=61)) == []
    [event] = tracker.expire(T0 + timedelta(seconds=62))
    assert event.kind == "call_end" and event.leg is not None
    assert event.leg.extra["closed_by"] == "timeout"
    assert event.leg.ended_at == T0 + timedelta(seconds=2)


def test_epoch_second_timestamps_are_accepted_and_naive_datetimes_refused() -> None:
    tracker = DialogTracker()
    [event] = tracker.feed(START, PBX, SBC, CallFlow().invite())
    assert event.at == T0
    with pytest.raises(ValueError, match="tz-aware"):
        tracker.feed(datetime(2025, 7, 1), PBX, SBC, CallFlow().invite())


def test_a_payload_that_is_not_sip_gives_a_reject_event() -> None:
    tracker = DialogTracker()
    [event] = tracker.feed(START, PBX, SBC, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", frame=7)
    assert event.kind == "reject" and event.rejected is not None
    assert event.rejected.line_number == 7


def test_flush_closes_every_open_dialog_and_reports_orphans() -> None:
    tracker = DialogTracker()
    _feed(tracker, 0, PBX, SBC, CallFlow().invite())
    _feed(tracker, 1, PBX, SBC, CallFlow(call_id="gone@x").request("BYE", 9, "z9hG4bK-b"))
    kinds = sorted(e.kind for e in tracker.flush(T0 + timedelta(seconds=2)))
    assert kinds == ["call_end", "reject"]


def test_replay_paces_events_at_the_capture_speed(tmp_path: Path) -> None:
    path = tmp_path / "replay.pcap"
    write(path, answered_call(CallFlow(), talk=20))
    slept: list[float] = []
    fake_now = [0.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        fake_now[0] += seconds

    items = list(replay_pcap(path, speed=2.0, sleep=sleep, clock=lambda: fake_now[0]))
    kinds = [e.kind for _, events in items for e in events]
    assert kinds == ["call_start", "call_answer", "call_end"]
    assert sum(slept) == pytest.approx(26.5 / 2)  # BYE at 26.5 s of capture time, at 2x speed


def test_async_replay_yields_the_same_events(tmp_path: Path) -> None:
    path = tmp_path / "replay.pcap"
    write(path, answered_call(CallFlow(), talk=20))

    async def collect() -> list[str]:
        return [e.kind async for _, events in replay_pcap_async(path, speed=0) for e in events]

    assert asyncio.run(collect()) == ["call_start", "call_answer", "call_end"]


def test_live_capture_refuses_an_unknown_interface() -> None:
    with pytest.raises(LiveCaptureError, match="no network interface"):
        next(live_capture("no-such-if0"))


def test_live_capture_on_loopback_sees_a_call() -> None:
    try:
        check_live_capture("lo")
    except LiveCaptureError as error:
        pytest.skip(str(error))  # needs CAP_NET_RAW; the refusal itself is tested above
    port = _free_udp_port()
    caller, callee = ("127.0.0.1", port + 1 if port < 65000 else port - 1), ("127.0.0.1", port)
    flow = CallFlow(caller=caller, callee=callee)
    messages = [
        (caller, flow.invite()),
        (callee, flow.response(200, "OK", body=SDP)),
        (caller, flow.request("BYE", 2, "z9hG4bK-bye1")),
    ]
    stop, ready = threading.Event(), threading.Event()
    kinds: list[str] = []

    def consume() -> None:
        for _, events in live_capture("lo", sip_ports=[port], stop=stop, ready=ready):
            kinds.extend(e.kind for e in events)
            if "call_end" in kinds:
                stop.set()

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    assert ready.wait(10)
    time.sleep(0.2)
    for (host, src_port), payload in messages:
        dst = callee if (host, src_port) == caller else caller
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sender.bind((host, src_port))
            sender.sendto(payload, dst)
        time.sleep(0.05)
    worker.join(10)
    stop.set()
    assert kinds[:3] == ["call_start", "call_answer", "call_end"]


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_long_running_tracker_forgets_closed_calls_after_the_linger_time() -> None:
    tracker = DialogTracker(options={"linger_seconds": 60})
    for index in range(50):
        flow = CallFlow(call_id=f"c{index}@x", from_tag=f"t{index}")
        base = index * 10.0
        _feed(tracker, base, PBX, SBC, flow.invite())
        _feed(tracker, base + 1, SBC, PBX, flow.response(486, "Busy Here"))
    tracker.expire(T0 + timedelta(seconds=1000))
    assert tracker.open_dialogs == 0
    assert tracker._closed == {} and tracker._legs_per_call_id == {}
    assert tracker._correlation == {} and tracker._by_called == {}
