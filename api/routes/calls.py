"""GET /calls (marts.fct_calls, filtered and paged) and GET /calls/{tenant}/{site}/{call_id}/legs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api.deps import WarehouseDep
from api.schemas import Call, CallLeg, CallPage, Direction, Disposition
from api.warehouse import CallFilters

router = APIRouter(prefix="/calls", tags=["calls"])

MAX_PAGE = 1000


@router.get("", response_model=CallPage)
def list_calls(
    warehouse: WarehouseDep,
    tenant: str | None = None,
    site: str | None = None,
    date_from: Annotated[date | None, Query(alias="from", description="first day, UTC")] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="last day (inclusive), UTC")
    ] = None,
    direction: Direction | None = None,
    disposition: Disposition | None = None,
    extension: Annotated[str | None, Query(description="first or answering extension")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CallPage:
    """Calls, newest first, one page at a time; `total` counts every match."""
    if date_from and date_to and date_from > date_to:
        raise HTTPException(status_code=422, detail=f"from ({date_from}) is after to ({date_to})")
    filters = CallFilters(tenant, site, date_from, date_to, direction, disposition, extension)
    total, rows = warehouse.calls_page(filters, limit, offset)
    items = [Call.model_validate(row) for row in rows]
    return CallPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{tenant}/{site}/{call_id:path}/legs", response_model=list[CallLeg])
def call_legs(tenant: str, site: str, call_id: str, warehouse: WarehouseDep) -> list[CallLeg]:
    """Every leg of one call (marts.fct_call_legs), in start order, with its cost and allocation."""
    rows = warehouse.legs_of_call(tenant, site, call_id)
    if not rows:
        raise HTTPException(
            status_code=404, detail=f"no call {call_id!r} for tenant {tenant!r}, site {site!r}"
        )
    return [CallLeg.model_validate(row) for row in rows]
