"""GET /health: is the API up, and can it read what it serves? No token needed."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import SettingsDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(settings: SettingsDep) -> Health:
    """Liveness plus what the API would read: the serving snapshot (DuckDB) and the live store.

    Always 200 while the process answers; `status` is "degraded" and `problems` says why when
    a source is missing.
    """
    problems: list[str] = []
    snapshot, published = None, None
    if settings.warehouse.kind == "duckdb":
        snapshot = str(settings.serving_path)
        if settings.serving_path.exists():
            published = datetime.fromtimestamp(settings.serving_path.stat().st_mtime, UTC)
        else:
            problems.append("no serving snapshot yet: run `callmeter build`")
    live_present = settings.live_store_path.exists()
    if not live_present:
        problems.append("no live state: the sidecar (`callmeter stream`) has not run here")
    return Health(
        status="degraded" if problems else "ok",
        warehouse=settings.warehouse.kind,
        serving_snapshot=snapshot,
        serving_snapshot_published_at=published,
        live_store=str(settings.live_store_path),
        live_store_present=live_present,
        problems=problems,
    )
