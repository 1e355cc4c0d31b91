"""GET /costs/monthly/{YYYY-MM}, /costs/budget and /costs/unrated (the finance marts)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from api.deps import WarehouseDep
from api.schemas import BudgetLine, CostCentreCost, UnratedLeg

router = APIRouter(prefix="/costs", tags=["costs"])

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str) -> date:
    """ "2026-01" -> date(2026, 1, 1).

    Raises:
        HTTPException: 422 naming the value when it is not a real YYYY-MM month.
    """
    match = _MONTH.match(value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise HTTPException(status_code=422, detail=f"month must be YYYY-MM, got {value!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


@router.get("/monthly/{month}", response_model=list[CostCentreCost])
def monthly_costs(
    month: Annotated[str, Path(description="YYYY-MM", examples=["2026-01"])],
    warehouse: WarehouseDep,
    tenant: str | None = None,
) -> list[CostCentreCost]:
    """Cost per cost centre for one month (marts.fct_chargeback_monthly), dearest first."""
    first = parse_month(month)
    rows = warehouse.chargeback_for(first, tenant)
    if not rows:
        raise HTTPException(status_code=404, detail=f"no costs for {month} yet")
    return [CostCentreCost.model_validate(row) for row in rows]


@router.get("/budget", response_model=list[BudgetLine])
def budget_vs_actual(
    warehouse: WarehouseDep,
    month: Annotated[str | None, Query(description="YYYY-MM")] = None,
    tenant: str | None = None,
    level: Literal["cost_centre", "department"] | None = None,
) -> list[BudgetLine]:
    """Budget against month-to-date, projected and last year's cost (marts.rpt_budget_vs_actual)."""
    first = parse_month(month) if month else None
    rows = warehouse.budget(first, tenant, level)
    return [BudgetLine.model_validate(row) for row in rows]


@router.get("/unrated", response_model=list[UnratedLeg])
def unrated_legs(
    warehouse: WarehouseDep,
    tenant: str | None = None,
    site: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[UnratedLeg]:
    """Legs that should have a cost and have none, with the reason (marts.rpt_unrated_legs)."""
    return [UnratedLeg.model_validate(row) for row in warehouse.unrated(tenant, site, limit)]
