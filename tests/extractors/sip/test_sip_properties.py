"""Property tests: random and mutated SIP payloads never crash the tracker, and every INVITE
dialog it starts ends as exactly one leg or one reject."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callmeter.legs import CallLeg
from extractors.sip import DialogTracker
from tests.extractors.sip.captures import PBX, SBC, SDP, CallFlow

T0 = datetime(2025, 7, 1, 9, tzinfo=UTC)
FLOWS = [CallFlow(call_id=f"c{i}@192.0.2.10", from_tag=f"t{i}") for i in range(3)]


def _templates(flow: CallFlow) -> list[tuple[bool, bytes]]:
    """(sent by the caller?, message) for the messages a call can carry."""
    return [
        (True, flow.invite()),
        (True, flow.invite(cseq=2, branch="z9hG4bK-inv2")),
        (False, flow.response(100, "Trying", to_tag=False)),
        (False, flow.response(180, "Ringing")),
        (False, flow.response(183, "Session Progress", body=SDP)),
        (False, flow.response(200, "OK", body=SDP)),
        (False, flow.response(200, "OK", 2, branch="z9hG4bK-inv2")),
        (False, flow.response(407, "Proxy Authentication Required")),
        (False, flow.response(486, "Busy Here")),
        (False, flow.response(487, "Request Terminated")),
        (True, flow.request("ACK", 1, "z9hG4bK-ack1")),
        (True, flow.request("CANCEL", 1, "z9hG4bK-inv1", to_tag=False)),
        (True, flow.request("BYE", 3, "z9hG4bK-bye")),
        (False, flow.bye_from_callee()),
    ]


TEMPLATES = [item for flow in FLOWS for item in _templates(flow)]


@st.composite
def payloads(draw: st.DrawFn) -> tuple[bool, bytes]:
    from_caller, payload = draw(st.sampled_from(TEMPLATES))
    mutation = draw(st.sampled_from(["none", "none", "cut", "flip", "insert", "random"]))
    if mutation == "cut":
        payload = payload[: draw(st.integers(0, len(payload)))]
    elif mutation == "flip":
        index = draw(st.integers(0, len(payload) - 1))
        payload = payload[:index] + bytes([draw(st.integers(0, 255))]) + payload[index + 1 :]
    elif mutation == "insert":
        index = draw(st.integers(0, len(payload)))
        payload = payload[:index] + draw(st.binary(max_size=12)) + payload[index:]
    elif mutation == "random":
        payload = draw(st.binary(max_size=200))
    return from_caller, payload


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(payloads(), st.floats(-5, 400, allow_nan=False)), max_size=40),
    st.integers(1, 10_000),
)
def test_any_message_sequence_ends_every_started_dialog_once(
    steps: list[tuple[tuple[bool, bytes], float]], timeout: int
) -> None:
    tracker = DialogTracker(
        options={"dialog_timeout_seconds": timeout, "auth_retry_seconds": 60}, live=False
    )
    events = []
    clock = T0
    for (from_caller, payload), gap in steps:
        clock += timedelta(seconds=gap)
        src, dst = (PBX, SBC) if from_caller else (SBC, PBX)
        events += tracker.feed(clock, src, dst, payload)
    events += tracker.flush(clock)
    started = [e.source_record_id for e in events if e.kind == "call_start"]
    finished = [
        e.source_record_id
        for e in events
        if e.kind == "call_end" or (e.kind == "reject" and e.source_record_id in started)
    ]
    assert sorted(started) == sorted(finished)
    assert len(set(started)) == len(started)
    for event in events:
        if event.kind == "call_end":
            assert isinstance(event.leg, CallLeg)
            assert event.leg.ended_at >= event.leg.started_at
        if event.kind == "reject":
            assert event.rejected is not None and event.rejected.reason
    assert tracker.open_dialogs == 0


_CAPTURE = None


def _capture() -> bytes:
    global _CAPTURE
    if _CAPTURE is None:
        from bench.generators.sip import generate

        _CAPTURE = generate(6, seed=2)
    return _CAPTURE


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_corrupted_capture_gives_legs_and_rejects_never_an_exception(data: st.DataObject) -> None:
    from zoneinfo import ZoneInfo

    from callmeter.legs import Rejected
    from extractors.parsers import ParseContext, get_parser

    capture = bytearray(_capture())
    for _ in range(data.draw(st.integers(1, 30))):
        index = data.draw(st.integers(0, len(capture) - 1))
        capture[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(capture)))
    ctx = ParseContext(timezone=ZoneInfo("UTC"), now=datetime(2026, 1, 1, tzinfo=UTC))
    items = list(get_parser("sip")(bytes(capture[:cut]), ctx))
    assert all(isinstance(item, CallLeg | Rejected) for item in items)
