"""GET /live/calls, /live/extensions, /live/trunks, /live/alerts, /live/feeds: the sidecar's live
state (never the warehouse), for the wallboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import LiveDep
from api.schemas import ExtensionStatus, FeedHealth, LiveAlert, LiveCall, TrunkUsage

router = APIRouter(prefix="/live", tags=["live"])


@router.get("/calls", response_model=list[LiveCall])
def calls(live: LiveDep, tenant: str | None = None, site: str | None = None) -> list[LiveCall]:
    """Calls in progress, oldest first."""
    return [LiveCall.model_validate(row) for row in live.calls(tenant, site)]


@router.get("/extensions", response_model=list[ExtensionStatus])
def extensions(
    live: LiveDep, tenant: str | None = None, site: str | None = None
) -> list[ExtensionStatus]:
    """Idle, ringing or on a call, per extension, and since when."""
    return [ExtensionStatus.model_validate(row) for row in live.extensions(tenant, site)]


@router.get("/trunks", response_model=list[TrunkUsage])
def trunks(live: LiveDep, tenant: str | None = None, site: str | None = None) -> list[TrunkUsage]:
    """Legs in progress per trunk against its configured channels."""
    return [TrunkUsage.model_validate(row) for row in live.trunks(tenant, site)]


@router.get("/alerts", response_model=list[LiveAlert])
def alerts(
    live: LiveDep,
    tenant: str | None = None,
    site: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[LiveAlert]:
    """The latest alerts raised by the sidecar's rules, newest first."""
    return [LiveAlert.model_validate(row) for row in live.alerts(tenant, site, limit)]


@router.get("/feeds", response_model=list[FeedHealth])
def feeds(live: LiveDep) -> list[FeedHealth]:
    """Per listener: records and rejects received, and the time since the last one."""
    return [FeedHealth.model_validate(row) for row in live.feeds()]
