"""dlt source for Zoom Phone call history (README.md in this folder).

One incremental resource, `zoom_call_legs`, pulls GET /phone/call_history (calls that ended in
the window, `time_type=end_time`) in one-month windows from the last landed end time minus an
overlap up to now, and applies the `zoom` parser to every page: legs land in
raw.zoom_call_legs, rejects in raw.rejected_records, both merged on their natural keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.sources import DltResource

from extractors.raw_tables import legs_table_name
from extractors.teams.helpers import (
    ended_at_cursor,
    hinted_rows,
    parsed_rows,
    pull_start,
    raw_hints,
)

from .helpers import API_URL, PAGE_SIZE, TOKEN_URL, ZoomClient, call_history_pages, month_windows

HINTS = raw_hints("zoom")


@dlt.source(name="zoom", max_table_nesting=0)
def zoom_source(
    tenant_id: str,
    site_id: str,
    account_id: str = dlt.secrets.value,
    client_id: str = dlt.secrets.value,
    client_secret: str = dlt.secrets.value,
    initial_days: int = 30,
    overlap_hours: float = 1.0,
    since: datetime | None = None,
    page_size: int = PAGE_SIZE,
    api_url: str = API_URL,
    token_url: str = TOKEN_URL,
) -> DltResource:
    """Zoom Phone call legs of one Callmeter tenant and site, one per call history row.

    Args:
        tenant_id: Callmeter tenant the legs belong to (callmeter.yaml).
        site_id: Callmeter site the legs belong to.
        account_id: Zoom account id of the server-to-server OAuth app.
        client_id: the app's client id; needs phone:read:list_call_logs:admin.
        client_secret: the app's client secret.
        initial_days: how far back the first run reaches when there is no state and no `since`
            (Zoom keeps six months).
        overlap_hours: each run starts this long before the last landed end time; re-fetched
            rows merge on their keys.
        since: pull exactly [since, now] once (a backfill), ignoring and keeping the saved state.
        page_size: rows per page (at most 300).
        api_url: API base URL (tests point it at a local server).
        token_url: OAuth token endpoint.

    Returns:
        The `zoom_call_legs` resource.
    """
    api_url = api_url.rstrip("/")
    now = datetime.now(UTC)
    cursor = ended_at_cursor(now, since, initial_days, overlap_hours)

    def call_legs(ended_at: dlt.sources.incremental[datetime] = cursor) -> Iterator[Any]:
        zoom = ZoomClient(token_url, account_id, client_id, client_secret)
        seen: set[tuple[str, str]] = set()
        start = pull_start(ended_at, now, initial_days)
        for window_start, window_end in month_windows(start, datetime.now(UTC)):
            for label, body in call_history_pages(
                zoom, api_url, window_start, window_end, page_size
            ):
                rows = parsed_rows(
                    "zoom", body, tenant_id=tenant_id, site_id=site_id, page_url=label, now=now
                )
                yield from hinted_rows(rows, seen, HINTS)

    return dlt.resource(call_legs, name=legs_table_name("zoom"), write_disposition="merge")
