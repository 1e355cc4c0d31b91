"""Zoom Phone plumbing for the Zoom source: server-to-server OAuth (account_credentials),
`next_page_token` paging, one-month windows, 429 (Retry-After) and expired-token handling.

The HTTP client, errors and row conversion are shared with the Teams source
(extractors.teams.helpers)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from dlt.sources.helpers.requests import Client

from extractors.teams.helpers import SourceError, describe, http_client

log = logging.getLogger(__name__)

API_URL = "https://api.zoom.us/v2"
TOKEN_URL = "https://zoom.us/oauth/token"
PAGE_SIZE = 300  # the API's maximum


def zoom_time(value: datetime) -> str:
    """Zoom's `yyyy-MM-dd'T'HH:mm:ss'Z'`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_month(value: datetime) -> datetime:
    """The same day and time one calendar month later (clamped to the month's last day)."""
    year, month = (value.year + 1, 1) if value.month == 12 else (value.year, value.month + 1)
    for day in (value.day, 30, 29, 28):
        try:
            return value.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def month_windows(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[start, end] cut into windows of at most one month: the API refuses longer ranges."""
    while start < end:
        stop = min(add_month(start), end)
        yield start, stop
        start = stop


class ZoomClient:
    """GET JSON from the Zoom API with a server-to-server OAuth token, renewed on 401."""

    def __init__(
        self,
        token_url: str,
        account_id: str,
        client_id: str,
        client_secret: str,
        client: Client | None = None,
    ) -> None:
        self.token_url = token_url
        self.account_id = account_id
        self._auth = (client_id, client_secret)
        self.client = client or http_client()
        self._token: str | None = None

    def token(self, renew: bool = False) -> str:
        if self._token is None or renew:
            response = self.client.post(
                self.token_url,
                params={"grant_type": "account_credentials", "account_id": self.account_id},
                auth=self._auth,
            )
            if response.status_code != 200:
                raise SourceError(f"Zoom token request failed: {describe(response)}")
            self._token = str(response.json()["access_token"])
        return self._token

    def get(self, url: str, params: dict[str, Any]) -> bytes:
        """The body of one GET; a 401 renews the token once and retries."""
        for attempt in (1, 2):
            response = self.client.get(
                url,
                params=params,
                headers={"Authorization": f"Bearer {self.token(renew=attempt == 2)}"},
            )
            if response.status_code == 401 and attempt == 1:
                log.info("Zoom token rejected (expired?); fetching a new one")
                continue
            if response.status_code != 200:
                raise SourceError(f"Zoom request failed: {describe(response)}")
            return bytes(response.content)
        raise AssertionError("unreachable")


def call_history_pages(
    zoom: ZoomClient, api_url: str, start: datetime, end: datetime, page_size: int = PAGE_SIZE
) -> Iterator[tuple[str, bytes]]:
    """(label, body) of every call history page of calls that ended in [start, end]."""
    url = f"{api_url}/phone/call_history"
    params: dict[str, Any] = {
        "from": zoom_time(start),
        "to": zoom_time(end),
        "time_type": "end_time",
        "page_size": page_size,
    }
    while True:
        body = zoom.get(url, params)
        try:
            page = json.loads(body, parse_float=Decimal)
        except ValueError as error:
            raise SourceError(
                f"Zoom answered with something that is not JSON at {url}: {error}"
            ) from None
        token = page.get("next_page_token") if isinstance(page, dict) else None
        label = f"{url}?from={params['from']}&to={params['to']}"
        if params.get("next_page_token"):
            label += f"&next_page_token={params['next_page_token']}"
        yield label, body
        if not token:
            return
        params = params | {"next_page_token": token}
