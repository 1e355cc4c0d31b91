"""dlt source for Microsoft Teams call records from Microsoft Graph (README.md in this folder).

One incremental resource, `teams_call_legs`, pulls getPstnCalls, getDirectRoutingCalls and
callRecords (sessions expanded) over a window from the last landed end time minus an overlap up
to now, and applies the `teams` parser to every page: legs land in raw.teams_call_legs, rejects
in raw.rejected_records, both merged on their natural keys, so re-fetched rows change nothing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.sources import DltResource

from extractors.raw_tables import legs_table_name

from .helpers import (
    GRAPH_URL,
    LOGIN_URL,
    MAX_WINDOW,
    GraphClient,
    call_records_url,
    complete_sessions,
    ended_at_cursor,
    function_url,
    hinted_rows,
    pages,
    parsed_rows,
    pull_start,
    raw_hints,
    windows,
)

ENDPOINTS = ("pstn", "direct_routing", "call_records")
HINTS = raw_hints("teams")


@dlt.source(name="teams", max_table_nesting=0)
def teams_source(
    tenant_id: str,
    site_id: str,
    azure_tenant_id: str = dlt.secrets.value,
    client_id: str = dlt.secrets.value,
    client_secret: str = dlt.secrets.value,
    endpoints: Sequence[str] = ENDPOINTS,
    initial_days: int = 30,
    overlap_hours: float = 48.0,
    since: datetime | None = None,
    graph_url: str = GRAPH_URL,
    token_url: str | None = None,
) -> DltResource:
    """Teams call legs of one Callmeter tenant and site, pulled from Microsoft Graph.

    Args:
        tenant_id: Callmeter tenant the legs belong to (callmeter.yaml), not the Azure tenant.
        site_id: Callmeter site the legs belong to.
        azure_tenant_id: Entra ID (Azure AD) directory id of the app registration.
        client_id: application (client) id; needs CallRecords.Read.All (application).
        client_secret: the app's client secret.
        endpoints: any of `pstn`, `direct_routing`, `call_records`.
        initial_days: how far back the first run reaches when there is no state and no `since`.
        overlap_hours: each run starts this long before the last landed end time. Graph reports
            rows 24-48 h late, hence the 48 h default; re-fetched rows merge on their keys.
        since: pull exactly [since, now] once (a backfill), ignoring and keeping the saved state.
        graph_url: Graph base URL (tests point it at a local server).
        token_url: OAuth2 token endpoint; default login.microsoftonline.com/<azure_tenant_id>.

    Returns:
        The `teams_call_legs` resource.
    """
    unknown = sorted(set(endpoints) - set(ENDPOINTS))
    if unknown:
        raise ValueError(f"unknown Teams endpoint(s) {unknown}; known: {', '.join(ENDPOINTS)}")
    graph_url = graph_url.rstrip("/")
    token_url = token_url or f"{LOGIN_URL}/{azure_tenant_id}/oauth2/v2.0/token"
    now = datetime.now(UTC)
    cursor = ended_at_cursor(now, since, initial_days, overlap_hours)

    def call_legs(ended_at: dlt.sources.incremental[datetime] = cursor) -> Iterator[Any]:
        graph = GraphClient(token_url, client_id, client_secret)
        seen: set[tuple[str, str]] = set()
        start = pull_start(ended_at, now, initial_days)
        for window_start, window_end in windows(start, datetime.now(UTC), MAX_WINDOW):
            for endpoint in endpoints:
                if endpoint == "call_records":
                    url = call_records_url(graph_url, window_start, window_end)
                    for page_url, _, page in pages(graph, url):
                        yield from _emit(_with_sessions(graph, graph_url, page), page_url, seen)
                else:
                    url = function_url(graph_url, endpoint, window_start, window_end)
                    for page_url, body, _ in pages(graph, url):
                        yield from _emit(body, page_url, seen)

    def _emit(body: bytes, page_url: str, seen: set[tuple[str, str]]) -> Iterator[Any]:
        rows = parsed_rows(
            "teams", body, tenant_id=tenant_id, site_id=site_id, page_url=page_url, now=now
        )
        return hinted_rows(rows, seen, HINTS)

    return dlt.resource(call_legs, name=legs_table_name("teams"), write_disposition="merge")


def _with_sessions(graph: GraphClient, graph_url: str, page: dict[str, Any]) -> bytes:
    """A callRecords page re-encoded with every record's sessions complete."""
    from extractors.parsers.teams import dumps_raw

    records = [
        complete_sessions(graph, graph_url, record)
        if isinstance(record, dict) and "id" in record
        else record
        for record in page.get("value") or []
    ]
    return dumps_raw({"value": records}).encode()
