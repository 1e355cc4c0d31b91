"""Live state: calls in progress, extension status, trunk usage, rebuilt by replay; in SQLite
and in the `live` schema of Postgres (the same tests on both)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from streaming.alerts import Alert
from streaming.live_store import LiveStore, PostgresLiveStore
from tests.streaming.feeds import mitel_line, send
from tests.streaming.test_rules import T0, event
from tests.streaming.test_service import LISTENERS, PREMIUM, RecordingSink, make_sidecar, until

Opener = Callable[[], LiveStore]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Opens the store (again, after a close: the same database)."""
    if request.param == "sqlite":
        return lambda: LiveStore(tmp_path / "live.sqlite")
    url = request.getfixturevalue("postgres_url")
    return lambda: PostgresLiveStore(url)


def test_a_call_rings_is_answered_and_ends(open_store: Opener, tmp_path: Path) -> None:
    store = open_store()
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


def test_an_ended_call_leaves_the_extension_on_its_other_call(
    open_store: Opener, tmp_path: Path
) -> None:
    store = open_store()
    store.apply(event("c2", kind="answer"))
    store.apply(event("c1", kind="end"))  # a CDR for an older call of the same extension
    [ext] = store.extension_status()
    assert (ext["status"], ext["call_id"]) == ("on_call", "c2")


def test_replaying_events_after_a_restart_gives_the_same_state(
    open_store: Opener, tmp_path: Path
) -> None:
    events = [event("a", kind="start"), event("b", kind="end"), event("a", kind="answer")]
    store = open_store()
    for item in events:
        store.apply(item)
    before = (
        store.calls_in_progress(),
        store.extension_status(),
        store.query("select * from recent_calls"),
    )
    store.close()
    again = open_store()
    for item in events:
        again.apply(item)
    after = (
        again.calls_in_progress(),
        again.extension_status(),
        again.query("select * from recent_calls"),
    )
    assert before == after


def test_alerts_are_kept_once_and_feeds_count_records(open_store: Opener, tmp_path: Path) -> None:
    store = open_store()
    alert = Alert("p-1", "p", "premium_destination", "acme", "london", "201", None, None, T0, T0)
    assert store.record_alert(alert) is True
    assert store.record_alert(alert) is False
    store.record_feed("mitel-1752", "acme", "london", T0, reject=False)
    store.record_feed("mitel-1752", "acme", "london", T0 + timedelta(seconds=1), reject=True)
    [feed] = store.feeds()
    assert (feed["records"], feed["rejects"]) == (1, 1)
    if isinstance(store, PostgresLiveStore):
        assert store.query("select count(*) as n from live.alerts") == [{"n": 1}]
    else:
        reader = LiveStore.open_readonly(tmp_path / "live.sqlite")
        assert reader.execute("select count(*) from alerts").fetchone() == (1,)


@pytest.mark.postgres
def test_the_sidecar_keeps_live_state_in_postgres_and_rebuilds_it_after_a_restart(
    tmp_path: Path, postgres_url: str
) -> None:
    section = {"listeners": LISTENERS[:1], "rules": [PREMIUM], "live_store": {"url": postgres_url}}
    first = make_sidecar(tmp_path, section, RecordingSink())

    async def receive() -> None:
        await first.start()
        try:
            send(first.ports["mitel"], mitel_line(extension="501") + mitel_line(extension="502"))
            await until(lambda: first.stats.legs == 2)
        finally:
            await first.stop()

    asyncio.run(receive())
    store = PostgresLiveStore(postgres_url)
    state = store.query("select extension, status from extensions order by extension")
    alerts = store.query("select rule, extension from alerts order by extension")
    assert state == [{"extension": "501", "status": "idle"}, {"extension": "502", "status": "idle"}]
    assert alerts == [
        {"rule": "premium", "extension": "501"},
        {"rule": "premium", "extension": "502"},
    ]
    # Wipe the derived state and replay the whole spool, as a rebuild after losing it would.
    store.query("delete from extensions returning 1")
    store.close()
    (tmp_path / "spool" / "acme" / "london" / "mitel" / "cursor.stream").unlink()
    again = make_sidecar(tmp_path, section, RecordingSink())

    async def restart() -> None:
        await again.start()
        await again.stop()

    asyncio.run(restart())
    store = PostgresLiveStore(postgres_url)
    assert store.query("select extension, status from extensions order by extension") == state
    assert store.query("select count(*) as n from recent_calls") == [{"n": 2}]
    store.close()
