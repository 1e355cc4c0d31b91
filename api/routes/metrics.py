"""GET /metrics: the semantic layer (callmeter.metrics.query_metrics, MetricFlow) over the same
marts the other routes read: the serving snapshot in DuckDB mode, the marts in Postgres mode."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api.deps import SettingsDep
from api.schemas import MetricsResult
from api.warehouse import WarehouseUnavailable
from callmeter.settings import Warehouse as WarehouseUrl

router = APIRouter(tags=["metrics"])


def _names(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip()]


@router.get("/metrics", response_model=MetricsResult)
def metrics(
    settings: SettingsDep,
    metrics: Annotated[str, Query(description="comma-separated, e.g. cost,calls")],
    group_by: Annotated[
        str | None, Query(description="comma-separated, e.g. site,metric_time__month")
    ] = None,
    where: Annotated[
        list[str] | None, Query(description="repeatable filter, e.g. direction=outbound")
    ] = None,
    order_by: Annotated[str | None, Query(description="comma-separated; -name sorts down")] = None,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> MetricsResult:
    """Metrics by any dimension or time grain (calls, minutes, cost, answer rate, ...)."""
    from callmeter.metrics import MetricsError, query_metrics

    names, groups = _names(metrics), _names(group_by)
    if not names:
        raise HTTPException(status_code=422, detail="metrics: name at least one metric")
    warehouse = settings.warehouse
    if warehouse.kind == "duckdb":
        if not settings.serving_path.exists():
            raise WarehouseUnavailable(
                f"no serving snapshot at {settings.serving_path} yet: run `callmeter build`"
            )
        # Read the snapshot, never the live DuckDB file a build may be writing.
        warehouse = WarehouseUrl("duckdb", f"duckdb:///{settings.serving_path}")
    try:
        rows = query_metrics(
            names,
            groups,
            where=where,
            order_by=_names(order_by) or None,
            limit=limit,
            warehouse=warehouse,
        )
    except MetricsError as error:
        raise HTTPException(status_code=422, detail=str(error)) from None
    return MetricsResult(metrics=names, group_by=groups, rows=rows)
