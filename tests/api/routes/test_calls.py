"""GET /calls and /calls/{tenant}/{site}/{call_id}/legs over the hand-made snapshot."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


def test_calls_come_newest_first_with_money_as_decimal_strings(client: TestClient) -> None:
    body = client.get("/calls").json()
    assert body["total"] == 5
    assert [c["call_id"] for c in body["items"]] == ["c4", "c3", "c2", "g1", "c1"]
    c1 = body["items"][-1]
    assert c1["cost"] == "0.1234" and c1["resale_price"] == "0.1481"
    assert c1["call_started_at"] == "2026-01-10T09:00:00Z"
    assert body["items"][0]["cost"] is None  # unrated: null, never 0


def test_calls_filter_by_tenant_site_direction_and_date_range(client: TestClient) -> None:
    def ids(**params: str) -> list[str]:
        return [c["call_id"] for c in client.get("/calls", params=params).json()["items"]]

    assert ids(tenant="acme", site="london") == ["c3", "c2", "c1"]
    assert ids(direction="outbound") == ["c4", "c3", "c1"]
    assert ids(**{"from": "2026-01-11", "to": "2026-01-12"}) == ["c3", "c2"]
    assert ids(to="2026-01-10") == ["g1", "c1"]  # `to` includes the whole day
    assert ids(extension="201", tenant="globex") == ["g1"]


def test_calls_page_with_limit_and_offset_and_count_every_match(client: TestClient) -> None:
    page = client.get("/calls", params={"tenant": "acme", "limit": 2, "offset": 2}).json()
    assert page["total"] == 4 and page["limit"] == 2 and page["offset"] == 2
    assert [c["call_id"] for c in page["items"]] == ["c2", "c1"]


def test_bad_call_filters_are_422_naming_the_parameter(client: TestClient) -> None:
    response = client.get("/calls", params={"direction": "sideways"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "direction"]
    assert client.get("/calls", params={"limit": 0}).status_code == 422
    reversed_range = client.get("/calls", params={"from": "2026-02-01", "to": "2026-01-01"})
    assert reversed_range.status_code == 422
    assert "after" in reversed_range.json()["detail"]


def test_legs_of_a_call_come_in_start_order_with_cost_and_allocation(client: TestClient) -> None:
    legs = client.get("/calls/acme/london/c1/legs").json()
    assert [leg["source_record_id"] for leg in legs] == ["c1-a", "c1-b"]
    assert [leg["cost"] for leg in legs] == ["0.0584", "0.0650"]
    assert legs[0]["cost_centre"] == "CC-100" and legs[0]["trunk"] == "GW/1"
    assert legs[0]["started_local_at"] == "2026-01-10T09:00:00"  # wall clock: no zone


def test_legs_of_an_unknown_call_are_404(client: TestClient) -> None:
    response = client.get("/calls/acme/paris/c1/legs")
    assert response.status_code == 404
    assert "c1" in response.json()["detail"]
