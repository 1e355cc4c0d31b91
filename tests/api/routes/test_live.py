"""GET /live/*: the sidecar's live store (written here by streaming.live_store.LiveStore itself),
never the warehouse."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings


def test_calls_in_progress_show_state_and_time_so_far(
    client: TestClient, live_now: datetime
) -> None:
    calls = client.get("/live/calls").json()
    assert [(c["call_id"], c["state"], c["extension"]) for c in calls] == [
        ("live-1", "answered", "201"),
        ("live-2", "ringing", "202"),
    ]
    assert calls[0]["other_party"] == "901632960123"  # outbound: the called number
    assert calls[1]["other_party"] == "01632960999"  # inbound: the caller
    assert calls[0]["started_at"].endswith("Z")
    assert 95 <= calls[0]["seconds_so_far"] < 95 + 120  # the clock moved on since seeding


def test_extension_status_follows_the_calls(client: TestClient) -> None:
    status = {e["extension"]: e["status"] for e in client.get("/live/extensions").json()}
    assert status == {"201": "on_call", "202": "ringing", "203": "idle"}


def test_trunk_load_counts_active_legs_against_channels(client: TestClient) -> None:
    trunks = client.get("/live/trunks").json()
    assert trunks == [
        {
            "tenant_id": "acme",
            "site_id": "london",
            "trunk": "SIP-GAMMA",
            "channels": 4,
            "active": 1,
            "utilisation": 0.25,
        }
    ]


def test_alerts_and_feeds_are_listed(client: TestClient) -> None:
    alerts = client.get("/live/alerts").json()
    assert [(a["alert_id"], a["rule_type"], a["severity"]) for a in alerts] == [
        ("premium-abc", "premium_destination", "high")
    ]
    assert client.get("/live/alerts", params={"tenant": "globex"}).json() == []
    feeds = client.get("/live/feeds").json()
    assert [(f["listener"], f["records"], f["rejects"]) for f in feeds] == [("cucm-london", 1, 0)]


def test_no_live_store_is_a_503_that_names_the_sidecar(
    settings: ApiSettings, tmp_path: Path
) -> None:
    missing = replace(settings, live_store_path=tmp_path / "nowhere" / "live.sqlite")
    with TestClient(create_app(missing)) as client:
        response = client.get("/live/calls")
    assert response.status_code == 503
    assert "callmeter stream" in response.json()["detail"]


@pytest.mark.integration
def test_live_routes_never_open_the_warehouse(settings: ApiSettings, tmp_path: Path) -> None:
    no_marts = replace(settings, serving_path=tmp_path / "absent.duckdb")
    with TestClient(create_app(no_marts)) as client:
        assert client.get("/live/calls").status_code == 200
        assert client.get("/calls").status_code == 503
