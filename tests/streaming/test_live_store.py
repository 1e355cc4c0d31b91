"""Live state: calls in progress, extension status, trunk usage, rebuilt by replay."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from streaming.alerts import Alert
from streaming.live_store import LiveStore
from tests.streaming.test_rules import T0, event


def test_a_call_rings_is_answered_and_ends(tmp_path: Path) -> None:
    store = LiveStore(tmp_path / "live.sqlite")
    store.set_trunks({("acme", "london", "SIP-GAMMA"): 30})
    store.apply(event("c1", kind="start"))
    [call] = store.calls_in_progress()
    assert (call["state"], call["extension"], call["other_party"]) == (
        "ringing",
        "201",
        "442071234567",
    )
    assert store.extension_status()[0]["status"] == "ringing"
    store.apply(event("c1", kind="answer"))
    assert store.extension_status()[0]["status"] == "on_call"
    assert store.trunk_usage() == [
        {
            "tenant_id": "acme",
            "site_id": "london",
            "trunk": "SIP-GAMMA",
            "channels": 30,
            "active": 1,
        }
    ]
    store.apply(event("c1", kind="end", seconds=90))
    assert store.calls_in_progress() == []
    [ext] = store.extension_status()
    assert ext["status"] == "idle" and ext["last_call_ended_at"].startswith("2026-03-04T10:01:30")
    assert store.trunk_usage()[0]["active"] == 0
    assert len(store.query("select * from recent_calls")) == 1


def test_an_ended_call_leaves_the_extension_on_its_other_call(tmp_path: Path) -> None:
    store = LiveStore(tmp_path / "live.sqlite")
    store.apply(event("c2", kind="answer"))
    store.apply(event("c1", kind="end"))  # a CDR for an older call of the same extension
    [ext] = store.extension_status()
    assert (ext["status"], ext["call_id"]) == ("on_call", "c2")


def test_replaying_events_after_a_restart_gives_the_same_state(tmp_path: Path) -> None:
    events = [event("a", kind="start"), event("b", kind="end"), event("a", kind="answer")]
    store = LiveStore(tmp_path / "live.sqlite")
    for item in events:
        store.apply(item)
    before = (
        store.calls_in_progress(),
        store.extension_status(),
        store.query("select * from recent_calls"),
    )
    store.close()
    again = LiveStore(tmp_path / "live.sqlite")
    for item in events:
        again.apply(item)
    after = (
        again.calls_in_progress(),
        again.extension_status(),
        again.query("select * from recent_calls"),
    )
    assert before == after


def test_alerts_are_kept_once_and_feeds_count_records(tmp_path: Path) -> None:
    store = LiveStore(tmp_path / "live.sqlite")
    alert = Alert("p-1", "p", "premium_destination", "acme", "london", "201", None, None, T0, T0)
    assert store.record_alert(alert) is True
    assert store.record_alert(alert) is False
    store.record_feed("mitel-1752", "acme", "london", T0, reject=False)
    store.record_feed("mitel-1752", "acme", "london", T0 + timedelta(seconds=1), reject=True)
    [feed] = store.feeds()
    assert (feed["records"], feed["rejects"]) == (1, 1)
    reader = LiveStore.open_readonly(tmp_path / "live.sqlite")
    assert reader.execute("select count(*) from alerts").fetchone() == (1,)
