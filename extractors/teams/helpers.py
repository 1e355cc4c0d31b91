"""Microsoft Graph plumbing for the Teams source: OAuth2 client credentials, `@odata.nextLink`
paging, 429 (Retry-After) and expired-token handling, and date windows.

The HTTP client, errors, the `ended_at` cursor and the conversion of API pages into hinted raw
rows are shared with the Zoom source."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import dlt
from dlt.sources.helpers.requests import Client, Response

from extractors.raw_tables import (
    LEG_COLUMNS,
    LEG_KEY,
    REJECT_COLUMNS,
    REJECT_KEY,
    legs_table_name,
)

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.microsoft.com/v1.0"
LOGIN_URL = "https://login.microsoftonline.com"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# getPstnCalls accepts at most 90 days per request; smaller windows keep pages and retries cheap.
MAX_WINDOW = timedelta(days=30)
FUNCTIONS = {"pstn": "getPstnCalls", "direct_routing": "getDirectRoutingCalls"}


class SourceError(RuntimeError):
    """A vendor API refused or failed a request; the message says which and why."""


def http_client(max_attempts: int = 5, max_delay: float = 120) -> Client:
    """A requests client that retries 429 and 5xx, waiting as long as `Retry-After` says."""
    return Client(
        raise_for_status=False,
        request_max_attempts=max_attempts,
        request_max_retry_delay=max_delay,
        respect_retry_after_header=True,
    )


def graph_iso(value: datetime) -> str:
    """Graph's DateTimeOffset literal in UTC: 2024-03-01T00:00:00Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def windows(start: datetime, end: datetime, span: timedelta) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive windows of at most `span`."""
    while start < end:
        stop = min(start + span, end)
        yield start, stop
        start = stop


def describe(response: Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return f"HTTP {response.status_code} from {response.url}: {text[:300]}"


class GraphClient:
    """GET JSON from Graph with a client-credentials token, renewed when Graph answers 401."""

    def __init__(
        self, token_url: str, client_id: str, client_secret: str, client: Client | None = None
    ) -> None:
        self.token_url = token_url
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": GRAPH_SCOPE,
        }
        self.client = client or http_client()
        self._token: str | None = None

    def token(self, renew: bool = False) -> str:
        if self._token is None or renew:
            response = self.client.post(self.token_url, data=self._form)
            if response.status_code != 200:
                raise SourceError(f"Graph token request failed: {describe(response)}")
            self._token = str(response.json()["access_token"])
        return self._token

    def get(self, url: str) -> bytes:
        """The body of one GET; a 401 renews the token once and retries."""
        for attempt in (1, 2):
            response = self.client.get(
                url,
                headers={
                    "Authorization": f"Bearer {self.token(renew=attempt == 2)}",
                    "Prefer": "include-unknown-enum-members",
                    "Accept": "application/json",
                },
            )
            if response.status_code == 401 and attempt == 1:
                log.info("Graph token rejected (expired?); fetching a new one")
                continue
            if response.status_code != 200:
                raise SourceError(f"Graph request failed: {describe(response)}")
            return bytes(response.content)
        raise AssertionError("unreachable")


def next_link(page: dict[str, Any]) -> str | None:
    """`@odata.nextLink`, which the docs also spell `@odata.NextLink`; followed verbatim."""
    link = page.get("@odata.nextLink") or page.get("@odata.NextLink")
    return link if isinstance(link, str) and link else None


def load_page(body: bytes, url: str) -> dict[str, Any]:
    try:
        page = json.loads(body, parse_float=Decimal)
    except ValueError as error:
        raise SourceError(
            f"Graph answered with something that is not JSON at {url}: {error}"
        ) from None
    if not isinstance(page, dict):
        raise SourceError(
            f"Graph answered with a JSON {type(page).__name__}, not an object, at {url}"
        )
    return page


def pages(graph: GraphClient, url: str) -> Iterator[tuple[str, bytes, dict[str, Any]]]:
    """(url, body, decoded page) for the first page and every `@odata.nextLink` after it."""
    next_url: str | None = url
    while next_url:
        body = graph.get(next_url)
        page = load_page(body, next_url)
        yield next_url, body, page
        next_url = next_link(page)


def function_url(graph_url: str, endpoint: str, start: datetime, end: datetime) -> str:
    """getPstnCalls / getDirectRoutingCalls over one window."""
    name = FUNCTIONS[endpoint]
    return (
        f"{graph_url}/communications/callRecords/{name}"
        f"(fromDateTime={graph_iso(start)},toDateTime={graph_iso(end)})"
    )


def call_records_url(graph_url: str, start: datetime, end: datetime) -> str:
    """callRecords that started in [start, end), with their sessions and segments expanded."""
    condition = f"startDateTime ge {graph_iso(start)} and startDateTime lt {graph_iso(end)}"
    return (
        f"{graph_url}/communications/callRecords?$filter={quote(condition)}"
        f"&$expand={quote('sessions($expand=segments)')}"
    )


def complete_sessions(graph: GraphClient, graph_url: str, record: dict[str, Any]) -> dict[str, Any]:
    """A callRecord with every session: fetched with $expand when the list left them out, then
    `sessions@odata.nextLink` followed until Graph has no more."""
    if "sessions" not in record:
        url = f"{graph_url}/communications/callRecords/{quote(str(record['id']))}?$expand={quote('sessions($expand=segments)')}"
        record = load_page(graph.get(url), url)
    while link := record.get("sessions@odata.nextLink"):
        page = load_page(graph.get(str(link)), str(link))
        record = dict(record)
        record["sessions"] = list(record.get("sessions") or []) + list(page.get("value") or [])
        if next_link(page):
            record["sessions@odata.nextLink"] = next_link(page)
        else:
            record.pop("sessions@odata.nextLink")
    return record


def parsed_rows(
    source_format: str,
    body: bytes,
    *,
    tenant_id: str,
    site_id: str,
    page_url: str,
    now: datetime,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """("leg" | "reject", row) for one API page, through the same parser as the files.

    Rows carry the raw-table columns (extractors.raw_tables): `extra` as JSON text, and a
    reject's `file_name` is the URL of the page it came from."""
    from zoneinfo import ZoneInfo

    from callmeter.legs import CallLeg
    from extractors.parsers import ParseContext, get_parser
    from extractors.parsers.tables import json_default

    ctx = ParseContext(timezone=ZoneInfo("UTC"), now=now, file_name=page_url)
    for item in get_parser(source_format)(body, ctx):
        row = {"tenant_id": tenant_id, "site_id": site_id, **item.as_row()}
        if isinstance(item, CallLeg):
            row["extra"] = json.dumps(item.extra, default=json_default, sort_keys=True)
            yield "leg", row
        else:
            row["file_name"] = row.get("file_name") or page_url
            yield "reject", row


def raw_hints(source_format: str) -> tuple[Any, Any]:
    """dlt table hints of a source's legs (raw.<format>_call_legs) and of its rejects
    (raw.rejected_records), both merged on their natural keys."""
    legs = dlt.mark.make_hints(
        table_name=legs_table_name(source_format),
        write_disposition="merge",
        primary_key=LEG_KEY,
        columns=LEG_COLUMNS,
    )
    rejects = dlt.mark.make_hints(
        table_name="rejected_records",
        write_disposition="merge",
        primary_key=REJECT_KEY,
        columns=REJECT_COLUMNS,
    )
    return legs, rejects


def utc(value: datetime) -> datetime:
    """A datetime in UTC; a naive one is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def ended_at_cursor(
    now: datetime, since: datetime | None, initial_days: int, overlap_hours: float
) -> dlt.sources.incremental[datetime]:
    """The incremental `ended_at` cursor of an API source.

    Args:
        now: the run's clock.
        since: a backfill: exactly [since, now] once, ignoring and keeping the saved state.
        initial_days: how far back a first run reaches.
        overlap_hours: later runs start this long before the last landed end time.

    Returns:
        The cursor (rows without `ended_at` are kept).
    """
    if since is not None:
        return dlt.sources.incremental[datetime](
            "ended_at",
            initial_value=utc(since),
            end_value=now + timedelta(minutes=1),
            on_cursor_value_missing="include",
            primary_key=(),
        )
    return dlt.sources.incremental[datetime](
        "ended_at",
        initial_value=now - timedelta(days=initial_days),
        lag=overlap_hours * 3600,
        on_cursor_value_missing="include",
        primary_key=(),
    )


def pull_start(
    cursor: dlt.sources.incremental[datetime], now: datetime, initial_days: int
) -> datetime:
    """Where a run's first window starts: the cursor's start (the last landed end time minus
    the overlap, or a backfill's `since`), else `initial_days` before `now`."""
    return utc(cursor.start_value or now - timedelta(days=initial_days))


def hinted_rows(
    rows: Iterable[tuple[str, dict[str, Any]]],
    seen: set[tuple[str, str]],
    hints: tuple[Any, Any],
) -> Iterator[Any]:
    """One API page's parsed_rows() as at most two hinted batches, legs then rejects, without
    the rows already `seen` in this run (which it adds to `seen`).

    Args:
        rows: parsed_rows() of the page.
        seen: (kind, record id) of the rows yielded so far.
        hints: raw_hints() of the source.
    """
    leg_hints, reject_hints = hints
    legs: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    for kind, row in rows:
        key = (kind, row["source_record_id"] if kind == "leg" else row["record_id"])
        if key in seen:  # windows share their edges: the APIs' `to` is inclusive
            continue
        seen.add(key)
        (legs if kind == "leg" else rejects).append(row)
    # Table hints travel with the rows (variants), so the legs' columns and keys do not leak
    # into raw.rejected_records, which the same resource writes.
    if legs:
        yield dlt.mark.with_hints(legs, leg_hints, create_table_variant=True)
    if rejects:
        yield dlt.mark.with_hints(rejects, reject_hints, create_table_variant=True)
