"""GET /costs/monthly/{YYYY-MM}, /costs/budget and /costs/unrated."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


def test_monthly_costs_per_cost_centre_are_exact_and_dearest_first(client: TestClient) -> None:
    rows = client.get("/costs/monthly/2026-01", params={"tenant": "acme"}).json()
    assert [(r["cost_centre"], r["cost"], r["legs"]) for r in rows] == [
        ("CC-200", "1.5000", 7),
        ("CC-100", "0.1234", 2),
    ]
    assert rows[0]["month"] == "2026-01-01"
    every_tenant = client.get("/costs/monthly/2026-01").json()
    assert {r["tenant_id"] for r in every_tenant} == {"acme", "globex"}


def test_a_month_without_costs_is_404_and_a_malformed_month_422(client: TestClient) -> None:
    assert client.get("/costs/monthly/2025-12").status_code == 404
    for bad in ("2026-13", "2026-1", "january"):
        response = client.get(f"/costs/monthly/{bad}")
        assert response.status_code == 422, bad
        assert "YYYY-MM" in response.json()["detail"]


def test_budget_vs_actual_filters_by_month_and_level(client: TestClient) -> None:
    rows = client.get("/costs/budget").json()
    assert [r["month"] for r in rows] == ["2026-02-01", "2026-01-01"]  # newest first
    january = client.get("/costs/budget", params={"month": "2026-01"}).json()
    assert len(january) == 1
    assert january[0]["budget"] == "10.0000" and january[0]["mtd_cost"] == "0.1234"
    departments = client.get("/costs/budget", params={"level": "department"}).json()
    assert [(r["department"], r["same_month_last_year_cost"]) for r in departments] == [
        ("Sales", None)
    ]
    assert client.get("/costs/budget", params={"level": "team"}).status_code == 422


def test_unrated_legs_say_why(client: TestClient) -> None:
    rows = client.get("/costs/unrated").json()
    assert [(r["source_record_id"], r["unrated_reason"]) for r in rows] == [
        ("c4-a", "no rate card row matches 88299")
    ]
    assert client.get("/costs/unrated", params={"site": "london"}).json() == []
