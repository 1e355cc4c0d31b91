"""dlt source for Zoom Phone call history (README.md in this folder).

One incremental resource, `zoom_call_legs`, pulls GET /phone/call_history (calls that ended in
the window, `time_type=end_time`) in one-month windows from the last landed end time minus an
overlap up to now, and applies the `zoom` parser to every page: legs land in
raw.zoom_call_legs, rejects in raw.rejected_records, both merged on their natural keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
from dlt.sources import DltResource

from extractors.raw_tables import (
    LEG_COLUMNS,
    LEG_KEY,
    REJECT_COLUMNS,
    REJECT_KEY,
    legs_table_name,
)
from extractors.teams.helpers import parsed_rows

from .helpers import API_URL, PAGE_SIZE, TOKEN_URL, ZoomClient, call_history_pages, month_windows

LEG_HINTS = dlt.mark.make_hints(
    table_name=legs_table_name("zoom"),
    write_disposition="merge",
    primary_key=LEG_KEY,
    columns=LEG_COLUMNS,
)
REJECT_HINTS = dlt.mark.make_hints(
    table_name="rejected_records",
    write_disposition="merge",
    primary_key=REJECT_KEY,
    columns=REJECT_COLUMNS,
)


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
    if since is not None:
        cursor = dlt.sources.incremental[datetime](
            "ended_at",
            initial_value=_utc(since),
            end_value=now + timedelta(minutes=1),
            on_cursor_value_missing="include",
            primary_key=(),
        )
    else:
        cursor = dlt.sources.incremental[datetime](
            "ended_at",
            initial_value=now - timedelta(days=initial_days),
            lag=overlap_hours * 3600,
            on_cursor_value_missing="include",
            primary_key=(),
        )

    def call_legs(ended_at: dlt.sources.incremental[datetime] = cursor) -> Iterator[Any]:
        zoom = ZoomClient(token_url, account_id, client_id, client_secret)
        seen: set[tuple[str, str]] = set()
        start = _utc(ended_at.start_value or now - timedelta(days=initial_days))
        for window_start, window_end in month_windows(start, datetime.now(UTC)):
            for label, body in call_history_pages(
                zoom, api_url, window_start, window_end, page_size
            ):
                legs: list[dict[str, Any]] = []
                rejects: list[dict[str, Any]] = []
                for kind, row in parsed_rows(
                    "zoom", body, tenant_id=tenant_id, site_id=site_id, page_url=label, now=now
                ):
                    key = (kind, row["source_record_id"] if kind == "leg" else row["record_id"])
                    if key in seen:  # windows share their edge second (`to` is inclusive)
                        continue
                    seen.add(key)
                    (legs if kind == "leg" else rejects).append(row)
                if legs:
                    yield dlt.mark.with_hints(legs, LEG_HINTS, create_table_variant=True)
                if rejects:
                    yield dlt.mark.with_hints(rejects, REJECT_HINTS, create_table_variant=True)

    # Table hints travel with the rows (variants), so the legs' columns and keys do not leak
    # into raw.rejected_records, which the same resource writes.
    return dlt.resource(call_legs, name=legs_table_name("zoom"), write_disposition="merge")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
