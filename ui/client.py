"""The board's only way to data: the Callmeter API over HTTP (docs/style.md, layering rule 6).

Responses are cached for a few seconds and shared by every viewer, so a wall of TVs costs the
API at most one request per endpoint per TTL. Errors become `ApiError` with a one-line message
that the pages show as a warning: the board runs unattended and must never crash."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

import httpx
import pandas as pd
import streamlit as st

CACHE_SECONDS = 5
TIMEOUT_SECONDS = 3.0

Params = tuple[tuple[str, str], ...]  # hashable, so st.cache_data can key on it


class ApiError(Exception):
    """The API could not be reached or said no; the message is fit for a warning box."""


def api_url() -> str:
    """CALLMETER_API_URL, default http://127.0.0.1:8000 (listed in .env.example)."""
    return os.environ.get("CALLMETER_API_URL", "http://127.0.0.1:8000").rstrip("/")


def refresh_seconds() -> float:
    """How often the live board refreshes: CALLMETER_BOARD_REFRESH, default 5 seconds."""
    try:
        return max(1.0, float(os.environ.get("CALLMETER_BOARD_REFRESH", "5")))
    except ValueError:
        return 5.0


@st.cache_resource
def _http(base_url: str, token: str) -> httpx.Client:
    # One pooled client per API and token for the whole server process.
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=base_url, headers=headers, timeout=TIMEOUT_SECONDS)


def get_json(path: str, params: Params = ()) -> Any:
    """GET one API path and return its JSON body (cached for CACHE_SECONDS).

    Raises:
        ApiError: the API is unreachable, answered non-JSON, or answered with an error status.
    """
    return _cached_get(api_url(), os.environ.get("CALLMETER_API_TOKEN", ""), path, params)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _cached_get(base_url: str, token: str, path: str, params: Params) -> Any:
    # The URL and token are part of the cache key: answers never leak between APIs.
    client = _http(base_url, token)
    try:
        response = client.get(path, params=list(params))
    except httpx.HTTPError as error:
        raise ApiError(f"the API at {base_url} is not answering ({error})") from None
    try:
        body = response.json()
    except ValueError:
        raise ApiError(f"{path}: HTTP {response.status_code}, not JSON") from None
    if response.status_code >= 400:
        detail = body.get("detail") if isinstance(body, dict) else body
        raise ApiError(f"{path}: HTTP {response.status_code}: {detail}")
    return body


def _params(**values: str | None) -> Params:
    return tuple((name, value) for name, value in values.items() if value)


def frame(path: str, **params: str | None) -> pd.DataFrame:
    """A list-returning route as a DataFrame (empty when the list is)."""
    return pd.DataFrame(get_json(path, _params(**params)))


def health() -> dict[str, Any]:
    return dict(get_json("/health"))


def live_calls() -> pd.DataFrame:
    return frame("/live/calls")


def live_extensions() -> pd.DataFrame:
    return frame("/live/extensions")


def live_trunks() -> pd.DataFrame:
    return frame("/live/trunks")


def live_alerts(limit: int = 20) -> pd.DataFrame:
    return frame("/live/alerts", limit=str(limit))


def monthly_costs(month: str, tenant: str | None = None) -> pd.DataFrame:
    """Chargeback per cost centre for "YYYY-MM"; empty when the month has no costs (404)."""
    try:
        return frame(f"/costs/monthly/{quote(month)}", tenant=tenant)
    except ApiError as error:
        if "HTTP 404" in str(error):
            return pd.DataFrame()
        raise


def budget(month: str | None = None, tenant: str | None = None) -> pd.DataFrame:
    return frame("/costs/budget", month=month, tenant=tenant)


def trunk_busy_hours(tenant: str | None = None, site: str | None = None) -> pd.DataFrame:
    return frame("/capacity/trunks", tenant=tenant, site=site)


def trunk_hourly(trunk: str, tenant: str | None, site: str | None) -> pd.DataFrame:
    return frame(f"/capacity/trunks/{quote(trunk, safe='/')}/hourly", tenant=tenant, site=site)
