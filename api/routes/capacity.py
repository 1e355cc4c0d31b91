"""GET /capacity/trunks (marts.rpt_trunk_busy_hour) and /capacity/trunks/{trunk}/hourly
(marts.fct_trunk_hourly)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api.deps import WarehouseDep
from api.schemas import TrunkBusyHour, TrunkHour

router = APIRouter(prefix="/capacity", tags=["capacity"])


@router.get("/trunks", response_model=list[TrunkBusyHour])
def trunks(
    warehouse: WarehouseDep, tenant: str | None = None, site: str | None = None
) -> list[TrunkBusyHour]:
    """Busy hour, busiest hour, Erlang-B blocking and channels needed, per trunk."""
    return [TrunkBusyHour.model_validate(r) for r in warehouse.trunk_busy_hours(tenant, site)]


# {trunk:path}: trunk names are device names and may contain a slash.
@router.get("/trunks/{trunk:path}/hourly", response_model=list[TrunkHour])
def trunk_hourly(
    trunk: str,
    warehouse: WarehouseDep,
    tenant: str | None = None,
    site: str | None = None,
    date_from: Annotated[date | None, Query(alias="from", description="first day, UTC")] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="last day (inclusive), UTC")
    ] = None,
) -> list[TrunkHour]:
    """Legs, minutes, peak concurrency and offered erlangs per hour for one trunk."""
    if date_from and date_to and date_from > date_to:
        raise HTTPException(status_code=422, detail=f"from ({date_from}) is after to ({date_to})")
    rows = warehouse.trunk_hourly(trunk, tenant, site, date_from, date_to)
    if not rows:
        raise HTTPException(
            status_code=404, detail=f"no traffic on trunk {trunk!r} for that filter"
        )
    return [TrunkHour.model_validate(row) for row in rows]
