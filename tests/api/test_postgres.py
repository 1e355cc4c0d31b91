"""Postgres mode: the API reads marts.* directly (no snapshot), with the same answers."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings
from callmeter.settings import Warehouse
from tests.api.data import statements

pytestmark = pytest.mark.postgres


def test_monthly_costs_and_calls_from_postgres_marts(
    postgres_url: str, settings: ApiSettings
) -> None:
    import psycopg2

    con = psycopg2.connect(postgres_url)
    con.autocommit = True
    with con.cursor() as cursor:
        cursor.execute("create schema marts")
        for sql, rows in statements(["fct_chargeback_monthly", "fct_calls"]):
            if rows:
                cursor.executemany(sql.replace("?", "%s"), rows)
            elif not sql.startswith("insert"):
                cursor.execute(sql)
    con.close()
    pg = replace(settings, warehouse=Warehouse.from_url(postgres_url))
    with TestClient(create_app(pg)) as client:
        costs = client.get("/costs/monthly/2026-01", params={"tenant": "acme"})
        calls = client.get("/calls", params={"tenant": "acme", "limit": 1})
        health = client.get("/health").json()
    assert costs.status_code == 200
    assert [(r["cost_centre"], r["cost"]) for r in costs.json()] == [
        ("CC-200", "1.5000"),
        ("CC-100", "0.1234"),
    ]
    page = calls.json()
    assert page["total"] == 4 and page["items"][0]["call_id"] == "c4"
    assert page["items"][0]["call_started_at"] == "2026-02-01T10:00:00Z"
    assert health["warehouse"] == "postgres" and health["serving_snapshot"] is None


def test_an_unreachable_postgres_is_a_503(settings: ApiSettings) -> None:
    # Port 9 (discard) on localhost: nothing listens there.
    down = replace(
        settings, warehouse=Warehouse.from_url("postgresql://postgres:unused@127.0.0.1:9/x")
    )
    with TestClient(create_app(down)) as client:
        response = client.get("/costs/budget")
    assert response.status_code == 503
    assert "cannot connect" in response.json()["detail"]
