"""The FastAPI app: `create_app()`; `callmeter serve` runs it with uvicorn. Read-only; OpenAPI
docs at /docs. Every route except /health needs the bearer token when one is configured."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from api.deps import require_token
from api.live import LiveStoreUnavailable
from api.routes import calls, capacity, costs, health, live, metrics
from api.settings import ApiSettings
from api.warehouse import WarehouseUnavailable
from callmeter import __version__


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """Build the app.

    Args:
        settings: default ApiSettings.from_env(), read once here.

    Raises:
        ApiSettingsError: the environment is unusable (no token outside dev).
    """
    app = FastAPI(
        title="Callmeter API",
        version=__version__,
        summary="Calls, costs, capacity and live state from Callmeter's marts and sidecar.",
    )
    app.state.settings = settings or ApiSettings.from_env()
    app.include_router(health.router)
    protected = [Depends(require_token)]
    for router in (calls.router, costs.router, capacity.router, metrics.router, live.router):
        app.include_router(router, dependencies=protected)

    @app.exception_handler(WarehouseUnavailable)
    @app.exception_handler(LiveStoreUnavailable)
    async def unavailable(_request: Request, error: Exception) -> JSONResponse:
        # Not a bug: the data is not there yet (or locked for a moment). Say so; no traceback.
        return JSONResponse(status_code=503, content={"detail": str(error)})

    return app
