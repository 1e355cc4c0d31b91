"""GET /health and the 503 when nothing has been built yet."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings

pytestmark = pytest.mark.integration


def test_health_is_ok_when_snapshot_and_live_state_exist(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["problems"] == []
    assert body["warehouse"] == "duckdb" and body["live_store_present"] is True
    assert body["serving_snapshot_published_at"].endswith("Z")


def test_before_the_first_build_health_is_degraded_and_marts_are_503(
    settings: ApiSettings, tmp_path: Path
) -> None:
    unbuilt = replace(settings, serving_path=tmp_path / "serving" / "not_yet.duckdb")
    with TestClient(create_app(unbuilt)) as client:
        health = client.get("/health")
        calls = client.get("/calls")
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert calls.status_code == 503
    assert "callmeter build" in calls.json()["detail"]


def test_a_snapshot_missing_a_mart_is_503_not_a_traceback(
    settings: ApiSettings, tmp_path: Path
) -> None:
    import duckdb

    empty = tmp_path / "empty_serving.duckdb"
    with duckdb.connect(str(empty)) as con:
        con.execute("create schema marts")
    with TestClient(create_app(replace(settings, serving_path=empty))) as client:
        response = client.get("/costs/budget")
    assert response.status_code == 503
    assert "rpt_budget_vs_actual" in response.json()["detail"]


def test_openapi_docs_list_every_route(client: TestClient) -> None:
    paths = set(client.get("/openapi.json").json()["paths"])
    assert {
        "/health",
        "/calls",
        "/calls/{tenant}/{site}/{call_id}/legs",
        "/costs/monthly/{month}",
        "/costs/budget",
        "/costs/unrated",
        "/capacity/trunks",
        "/capacity/trunks/{trunk}/hourly",
        "/metrics",
        "/live/calls",
        "/live/extensions",
        "/live/trunks",
        "/live/alerts",
    } <= paths
    assert client.get("/docs").status_code == 200


def test_a_snapshot_locked_by_another_process_is_a_503_then_answers_again(
    settings: ApiSettings,
) -> None:
    import subprocess
    import sys

    # Another process holding a read-write connection: the lock a writer takes (docs/stack.md).
    holder = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "sys.stdin.read()",
            str(settings.serving_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with TestClient(create_app(settings)) as client:
            locked = client.get("/costs/monthly/2026-01")
            assert locked.status_code == 503
            assert "locked" in locked.json()["detail"]
            assert holder.stdin is not None
            holder.stdin.close()  # the writer finishes
            holder.wait(timeout=10)
            assert client.get("/costs/monthly/2026-01").status_code == 200
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
