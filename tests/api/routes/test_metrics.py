"""GET /metrics: the semantic layer over the serving snapshot, hand-computed answers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


def test_metrics_by_site_and_month_come_from_the_snapshot(client: TestClient) -> None:
    response = client.get(
        "/metrics", params={"metrics": "cost,legs", "group_by": "site,metric_time__month"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metrics"] == ["cost", "legs"]
    # fct_call_legs in the snapshot: c1-a 0.0584 + c1-b 0.0650 + c2-a 0.0000, all London, Jan.
    assert body["rows"] == [
        {"site": "london", "metric_time__month": "2026-01-01", "cost": "0.1234", "legs": 3}
    ]


def test_metrics_filter_with_where(client: TestClient) -> None:
    body = client.get(
        "/metrics",
        params={"metrics": "legs", "group_by": "direction", "where": "direction=inbound"},
    ).json()
    assert body["rows"] == [{"direction": "inbound", "legs": 1}]


def test_an_unknown_metric_is_a_422_naming_it(client: TestClient) -> None:
    response = client.get("/metrics", params={"metrics": "profit"})
    assert response.status_code == 422
    assert "profit" in response.json()["detail"]
    assert client.get("/metrics", params={"metrics": " , "}).status_code == 422
