"""The sidecar's HTTP endpoint for cloud feeds: Zoom Phone webhooks and Microsoft Graph change
notifications, at POST /webhooks/<id> (one route per `streaming.webhooks` entry).

Zoom (vendor docs, "Verify webhook events"): every request carries `x-zm-request-timestamp`
and `x-zm-signature: v0=<hex HMAC-SHA256(secret token, "v0:<timestamp>:<body>")>`; a request
without a valid signature, or older than five minutes, is refused with 401. The
`endpoint.url_validation` event is answered with `{plainToken, encryptedToken}`, the token's
HMAC-SHA256 under the secret in hex.

Graph: the subscription handshake (`?validationToken=...`) is answered with the token as
text/plain; a notification whose `clientState` is not the configured secret is refused (403)
and nothing of it is kept.

An accepted payload is appended to the feed's spool and fsync'd before the answer goes out
(200 for Zoom, 202 for Graph), so an acknowledged payload is never lost; parsing and rules
follow asynchronously, in spool order. Built on Starlette served by uvicorn in the sidecar's
own event loop."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from streaming.settings import HttpEndpoint, Webhook

log = logging.getLogger(__name__)

ZOOM_TOLERANCE_SECONDS = 300
# Accept(body, arrived_at): spool durably; returns once the payload is on disk.
Accept = Callable[[bytes, datetime], Awaitable[None]]


def zoom_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`v0=` + hex HMAC-SHA256 of "v0:<timestamp>:<body>" under the secret token."""
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def zoom_encrypted_token(secret: str, plain_token: str) -> str:
    """The answer to Zoom's URL validation: hex HMAC-SHA256 of the plain token."""
    return hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()


def zoom_problem(
    secret: str, timestamp: str, signature: str, body: bytes, now: float
) -> str | None:
    """Why a Zoom request is not authentic, or None when it is."""
    if not timestamp or not signature:
        return "missing x-zm-request-timestamp or x-zm-signature"
    try:
        stamp = int(timestamp)
    except ValueError:
        return "x-zm-request-timestamp is not a number"
    seconds = stamp / 1000 if stamp > 10**11 else stamp  # milliseconds or seconds
    if abs(now - seconds) > ZOOM_TOLERANCE_SECONDS:
        return "x-zm-request-timestamp is more than five minutes away (replay?)"
    if not hmac.compare_digest(zoom_signature(secret, timestamp, body), signature):
        return "x-zm-signature does not match"
    return None


def graph_call_records(body: bytes) -> bytes | None:
    """The call records a Graph notification carries in `resourceData` (rich notifications),
    as a `value` document for the teams parser; None when it only names the resource (the batch
    extractor fetches those from Graph)."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return body  # let the parser reject it with its reason
    items = document.get("value") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return body
    records = [
        item["resourceData"]
        for item in items
        if isinstance(item, dict)
        and isinstance(item.get("resourceData"), dict)
        and "startDateTime" in item["resourceData"]
    ]
    return json.dumps({"value": records}).encode() if records else None


@dataclass
class Route:
    settings: Webhook
    secret: str
    accept: Accept


class WebhookEndpoint:
    """The uvicorn server for every configured webhook route."""

    def __init__(self, settings: HttpEndpoint, routes: dict[str, Route]) -> None:
        self.settings = settings
        self.routes = routes
        self.port: int | None = None
        self._server: Any = None
        self._task: Any = None
        self.refused = 0  # requests answered 4xx (bad signature, wrong clientState, ...)

    async def start(self) -> int:
        """Bind and serve in the running loop; returns the port (useful with port 0)."""
        import asyncio

        import uvicorn
        from starlette.applications import Starlette
        from starlette.routing import Route as StarletteRoute

        app = Starlette(routes=[StarletteRoute("/webhooks/{id}", self._handle, methods=["POST"])])
        config = uvicorn.Config(
            app, log_config=None, lifespan="off", access_log=False, server_header=False
        )
        self._server = uvicorn.Server(config)
        family = socket.AF_INET6 if ":" in self.settings.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.settings.host, self.settings.port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        sock.setblocking(False)
        self.port = int(sock.getsockname()[1])
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="webhooks")
        while not self._server.started and not self._task.done():
            await asyncio.sleep(0.01)
        if self._task.done():
            self._task.result()  # raises what stopped it
        log.info("webhook endpoint on %s:%d", self.settings.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    async def _handle(self, request: Any) -> Any:
        from starlette.responses import JSONResponse, PlainTextResponse

        route = self.routes.get(request.path_params["id"])
        if route is None:
            return JSONResponse({"error": "no such webhook"}, status_code=404)
        token = request.query_params.get("validationToken")
        if route.settings.format == "teams" and token is not None:
            return PlainTextResponse(token)  # Graph's subscription handshake
        body = await request.body()
        if len(body) > self.settings.max_body_bytes:
            return self._refuse(route, 413, f"body over {self.settings.max_body_bytes} bytes")
        if route.settings.format == "zoom":
            return await self._zoom(route, request, body)
        return await self._teams(route, body)

    async def _zoom(self, route: Route, request: Any, body: bytes) -> Any:
        from starlette.responses import JSONResponse, Response

        problem = zoom_problem(
            route.secret,
            request.headers.get("x-zm-request-timestamp", ""),
            request.headers.get("x-zm-signature", ""),
            body,
            time.time(),
        )
        if problem is not None:
            return self._refuse(route, 401, problem)
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return self._refuse(route, 400, "body is not JSON")
        if isinstance(document, dict) and document.get("event") == "endpoint.url_validation":
            plain = (document.get("payload") or {}).get("plainToken")
            if not isinstance(plain, str):
                return self._refuse(route, 400, "url_validation without payload.plainToken")
            return JSONResponse(
                {"plainToken": plain, "encryptedToken": zoom_encrypted_token(route.secret, plain)}
            )
        await route.accept(body, datetime.now(UTC))
        return Response(status_code=200)

    async def _teams(self, route: Route, body: bytes) -> Any:
        from starlette.responses import Response

        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return self._refuse(route, 400, "body is not JSON")
        items = document.get("value") if isinstance(document, dict) else None
        if not isinstance(items, list) or not items:
            return self._refuse(route, 400, "expected a Graph notification with a `value` list")
        for item in items:
            state = item.get("clientState") if isinstance(item, dict) else None
            if not isinstance(state, str) or not hmac.compare_digest(state, route.secret):
                return self._refuse(route, 403, "clientState does not match")
        await route.accept(body, datetime.now(UTC))
        return Response(status_code=202)

    def _refuse(self, route: Route, status: int, why: str) -> Any:
        from starlette.responses import JSONResponse

        self.refused += 1
        log.warning("webhook %s: refused (%d): %s", route.settings.id, status, why)
        return JSONResponse({"error": why}, status_code=status)
