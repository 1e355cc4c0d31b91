"""The Teams (Microsoft Graph) source against a local fake Graph: paging, 429, expired tokens,
idempotent merges into DuckDB and the incremental window with its overlap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from callmeter.settings import Warehouse
from extractors.destinations import raw_pipeline
from extractors.teams import teams_source
from tests.extractors.vendor_servers import FakeGraph, iso, parse_time

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def _dr_row(n: int, invite: datetime, seconds: int = 60, ok: bool = True) -> dict[str, Any]:
    answer = invite + timedelta(seconds=4)
    return {
        "id": f"dr-{n}",
        "correlationId": f"corr-{n}",
        "userPrincipalName": f"user{n}@contoso.com",
        "inviteDateTime": iso(invite).replace("Z", ".1234567Z"),
        "startDateTime": iso(answer),
        "failureDateTime": "0001-01-01T00:00:00Z" if ok else iso(answer),
        "endDateTime": iso(answer + timedelta(seconds=seconds)) if ok else "0001-01-01T00:00:00Z",
        "duration": seconds if ok else 0,
        "callType": "dr_out",
        "successfulCall": ok,
        "callerNumber": "+441234567890",
        "calleeNumber": "+442079460000",
        "finalSipCode": 0 if ok else 486,
        "trunkFullyQualifiedDomainName": "sbc.contoso.com",
    }


def _pstn_row(n: int, start: datetime, seconds: int = 120) -> dict[str, Any]:
    return {
        "id": f"pstn-{n}",
        "callId": f"call-{n}",
        "userPrincipalName": f"user{n}@contoso.com",
        "startDateTime": iso(start),
        "endDateTime": iso(start + timedelta(seconds=seconds)),
        "duration": seconds,
        "charge": 0.0123,
        "connectionCharge": 0.01,
        "currency": "GBP",
        "callType": "user_out",
        "calleeNumber": "+33123456789",
        "callerNumber": "+442079460001",
        "operator": "Microsoft",
    }


def _call_record(n: int, start: datetime) -> dict[str, Any]:
    def endpoint(upn: str) -> dict[str, Any]:
        return {"associatedIdentity": {"userPrincipalName": upn}}

    return {
        "id": f"rec-{n}",
        "version": 1,
        "type": "peerToPeer",
        "modalities": ["audio"],
        "startDateTime": iso(start),
        "endDateTime": iso(start + timedelta(seconds=30)),
        "sessions": [
            {
                "id": f"sess-{n}",
                "startDateTime": iso(start),
                "endDateTime": iso(start + timedelta(seconds=30)),
                "caller": endpoint("a@contoso.com"),
                "callee": endpoint("b@contoso.com"),
            }
        ],
    }


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    base = NOW - timedelta(days=2)
    fake = FakeGraph(
        page_size=2,
        direct_routing_rows=[_dr_row(n, base + timedelta(minutes=n)) for n in range(5)]
        + [_dr_row(5, base + timedelta(minutes=5), ok=False)]
        + [_dr_row(6, base + timedelta(minutes=6)) | {"id": "dr-bad", "endDateTime": "yesterday"}],
        pstn_rows=[_pstn_row(n, base + timedelta(minutes=n)) for n in range(3)],
        call_records=[_call_record(n, base + timedelta(minutes=n)) for n in range(2)],
        throttle_on_call=2,
        expire_token_after=3,
    )
    with fake:
        yield fake


def _run(graph: FakeGraph, tmp_path: Path, **options: Any) -> Any:
    warehouse = Warehouse.from_url(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    pipeline = raw_pipeline("teams_test", warehouse, str(tmp_path / "dlt"))
    source = teams_source(
        "acme",
        "london",
        azure_tenant_id="contoso-tenant",
        client_id=graph.client_id,
        client_secret=graph.client_secret,
        graph_url=graph.graph_url,
        token_url=graph.token_url,
        **options,
    )
    pipeline.run(source).raise_on_failed_jobs()
    return duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)


def _rows(con: Any, sql: str) -> list[tuple[Any, ...]]:
    try:
        return sorted(con.execute(sql).fetchall())
    finally:
        pass


def test_a_pull_lands_every_page_despite_a_429_and_an_expired_token(
    graph: FakeGraph, tmp_path: Path
) -> None:
    con = _run(graph, tmp_path, initial_days=7)
    legs = _rows(
        con, "select source_record_id, disposition, tenant_id, site_id from raw.teams_call_legs"
    )
    rejects = _rows(con, "select record_id, reason from raw.rejected_records")
    con.close()
    ids = [row[0] for row in legs]
    assert ids == sorted(
        [f"dr-{n}" for n in range(6)]
        + [f"pstn-{n}" for n in range(3)]
        + ["rec-0:sess-0", "rec-1:sess-1"]
    )
    assert ("dr-5", "busy", "acme", "london") in legs
    assert {row[2:] for row in legs} == {("acme", "london")}
    assert [r[0] for r in rejects] == ["dr-bad"] and "endDateTime" in rejects[0][1]
    statuses = [r.status for r in graph.api_requests()]
    assert 429 in statuses and 401 in statuses  # both happened, and the run still completed
    assert graph.tokens_issued >= 2
    assert any("$skip=2" in r.path or r.query.get("$skip") == ["2"] for r in graph.api_requests())


def test_loading_the_same_pages_twice_changes_nothing(graph: FakeGraph, tmp_path: Path) -> None:
    query = "select source_record_id, ended_at, duration_seconds, extra from raw.teams_call_legs"
    con = _run(graph, tmp_path, initial_days=7)
    first = _rows(con, query)
    first_rejects = _rows(con, "select record_id from raw.rejected_records")
    con.close()
    con = _run(graph, tmp_path, since=NOW - timedelta(days=7))  # a backfill re-reads everything
    assert _rows(con, query) == first
    assert _rows(con, "select record_id from raw.rejected_records") == first_rejects
    con.close()


def test_pstn_charges_land_exactly(graph: FakeGraph, tmp_path: Path) -> None:
    con = _run(graph, tmp_path, initial_days=7, endpoints=["pstn"])
    extra = con.execute(
        "select extra::json ->> 'charge' from raw.teams_call_legs where source_record_id = 'pstn-0'"
    ).fetchone()
    con.close()
    assert extra == ("0.0123",)


def test_the_next_run_asks_from_the_last_end_time_minus_the_overlap(
    graph: FakeGraph, tmp_path: Path
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    con = _run(graph, tmp_path, initial_days=7, endpoints=["pstn"], overlap_hours=1)
    after = datetime.now(UTC)
    (last_end,) = con.execute("select max(ended_at) from raw.teams_call_legs").fetchone()
    con.close()
    first = [unquote_path(r.path) for r in graph.api_requests() if "getPstnCalls" in r.path]
    first_start = parse_time(first[0].split("fromDateTime=")[1].split(",")[0])
    # The first run starts initial_days before its own clock (not the module's import time).
    assert before - timedelta(days=7) <= first_start <= after - timedelta(days=7)
    graph.requests.clear()
    _run(graph, tmp_path, endpoints=["pstn"], overlap_hours=1).close()
    asked = [unquote_path(r.path) for r in graph.api_requests() if "getPstnCalls" in r.path]
    start = parse_time(asked[0].split("fromDateTime=")[1].split(",")[0])
    assert start == last_end.astimezone(UTC) - timedelta(hours=1)


def unquote_path(path: str) -> str:
    from urllib.parse import unquote

    return unquote(path)
