"""Request dependencies as `Annotated` aliases (docs/style.md, C12): settings, the bearer token,
a short-lived read-only warehouse connection and the live store."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.live import LiveState
from api.settings import ApiSettings
from api.warehouse import Warehouse

_bearer = HTTPBearer(auto_error=False, description="CALLMETER_API_TOKEN")


def get_settings(request: Request) -> ApiSettings:
    """The settings the app was created with (read once, not per request)."""
    settings: ApiSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]


def require_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Check `Authorization: Bearer <CALLMETER_API_TOKEN>` when a token is configured.

    Raises:
        HTTPException: 401 when the token is missing or wrong.
    """
    if not settings.api_token:
        return  # dev without a token (ApiSettings refuses this outside dev)
    given = credentials.credentials if credentials else ""
    if not secrets.compare_digest(given.encode(), settings.api_token.encode()):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong bearer token (Authorization: Bearer <CALLMETER_API_TOKEN>)",
            headers={"WWW-Authenticate": "Bearer"},
        )


def get_warehouse(settings: SettingsDep) -> Iterator[Warehouse]:
    """A read-only connection to the marts for this request, closed afterwards."""
    with Warehouse.connect(settings) as warehouse:
        yield warehouse


def get_live(settings: SettingsDep) -> Iterator[LiveState]:
    """A read-only connection to the sidecar's live store for this request."""
    with LiveState.open(settings.live_store_path) as live:
        yield live


WarehouseDep = Annotated[Warehouse, Depends(get_warehouse)]
LiveDep = Annotated[LiveState, Depends(get_live)]
