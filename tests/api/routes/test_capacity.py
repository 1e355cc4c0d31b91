"""GET /capacity/trunks and /capacity/trunks/{trunk}/hourly."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


def test_busy_hour_per_trunk_keeps_erlangs_exact(client: TestClient) -> None:
    rows = client.get("/capacity/trunks", params={"tenant": "acme"}).json()
    assert [r["trunk"] for r in rows] == ["GW/1", "SIP-2"]
    assert rows[0]["busy_hour_erlangs"] == "0.019444"
    assert rows[0]["channels"] == 30 and rows[1]["channels"] is None
    assert client.get("/capacity/trunks", params={"site": "paris"}).json() == []


def test_hourly_load_of_a_trunk_whose_name_has_a_slash(client: TestClient) -> None:
    rows = client.get("/capacity/trunks/GW/1/hourly").json()
    assert [(r["hour_at"], r["minutes"], r["legs"]) for r in rows] == [
        ("2026-01-10T09:00:00Z", "2.0833", 2),
        ("2026-01-11T09:00:00Z", "0.0000", 1),
    ]
    one_day = client.get("/capacity/trunks/GW/1/hourly", params={"from": "2026-01-11"}).json()
    assert [r["hour_at"] for r in one_day] == ["2026-01-11T09:00:00Z"]


def test_hourly_load_of_an_unknown_trunk_is_404(client: TestClient) -> None:
    response = client.get("/capacity/trunks/NOPE/hourly")
    assert response.status_code == 404
    assert "NOPE" in response.json()["detail"]
