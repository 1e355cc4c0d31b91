"""Local stand-ins for Microsoft Graph and the Zoom Phone API, for the pulled-feed tests.

Each is a real ThreadingHTTPServer on 127.0.0.1 (random port) that serves pages shaped like the
vendor's: an OAuth2 token endpoint, paging (`@odata.nextLink` / `next_page_token`), one 429 with
`Retry-After: 1` on a chosen request, and a token that expires after a chosen number of API
calls (the client must fetch a new one). Every request is recorded for the tests to inspect."""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime:
    value = unquote(value).strip()
    if len(value) == 10:  # a bare date
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    status: int = 0


@dataclass
class _Vendor:
    """What both fakes share: tokens, the 429 and token-expiry switches, the request log."""

    page_size: int = 2
    throttle_on_call: int | None = None  # the n-th API call (1-based) answers 429 once
    expire_token_after: int | None = None  # the current token stops working after n API calls
    requests: list[Recorded] = field(default_factory=list)
    tokens_issued: int = 0
    api_calls: int = 0
    _valid_token: str | None = None
    _calls_on_token: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def api_requests(self) -> list[Recorded]:
        return [r for r in self.requests if "token" not in r.path]

    def issue_token(self) -> dict[str, Any]:
        self.tokens_issued += 1
        self._valid_token = f"token-{self.tokens_issued}"
        self._calls_on_token = 0
        return {"access_token": self._valid_token, "token_type": "Bearer", "expires_in": 3599}

    def check_api_call(self, headers: dict[str, str]) -> tuple[int, dict[str, str], Any] | None:
        """An error answer for this API call (401, 429), or None to serve it."""
        self.api_calls += 1
        if headers.get("authorization") != f"Bearer {self._valid_token}":
            return 401, {}, {"error": {"code": "InvalidAuthenticationToken", "message": "expired"}}
        if self.expire_token_after is not None and self._calls_on_token >= self.expire_token_after:
            self._valid_token = None
            return 401, {}, {"error": {"code": "InvalidAuthenticationToken", "message": "expired"}}
        if self.throttle_on_call == self.api_calls:
            return 429, {"Retry-After": "1"}, {"error": {"code": "TooManyRequests"}}
        self._calls_on_token += 1
        return None

    def start(self) -> None:
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:  # keep the test output quiet
                return

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                record = Recorded(
                    method,
                    parts.path,
                    parse_qs(parts.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()},
                )
                with vendor._lock:
                    vendor.requests.append(record)
                    status, headers, payload = vendor.route(method, parts.path, record, body)
                record.status = status
                data = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> _Vendor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def route(
        self, method: str, path: str, record: Recorded, body: str
    ) -> tuple[int, dict[str, str], Any]:
        raise NotImplementedError


_FUNCTION = re.compile(
    r"/v1\.0/communications/callRecords/(getPstnCalls|getDirectRoutingCalls)\((.*)\)"
)


@dataclass
class FakeGraph(_Vendor):
    """Microsoft Graph: token at /{tenant}/oauth2/v2.0/token, API under /v1.0."""

    pstn_rows: list[dict[str, Any]] = field(default_factory=list)
    direct_routing_rows: list[dict[str, Any]] = field(default_factory=list)
    call_records: list[dict[str, Any]] = field(default_factory=list)
    client_id: str = "graph-client"
    client_secret: str = "graph-secret"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/contoso-tenant/oauth2/v2.0/token"

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/v1.0"

    def route(
        self, method: str, path: str, record: Recorded, body: str
    ) -> tuple[int, dict[str, str], Any]:
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            form = parse_qs(body)
            if (
                form.get("client_id") != [self.client_id]
                or form.get("client_secret") != [self.client_secret]
                or form.get("grant_type") != ["client_credentials"]
            ):
                return 401, {}, {"error": "invalid_client"}
            return 200, {}, self.issue_token()
        refused = self.check_api_call(record.headers)
        if refused:
            return refused
        skip = int(record.query.get("$skip", ["0"])[0])
        match = _FUNCTION.fullmatch(unquote(path))
        if match:
            name, args = match.groups()
            params = dict(pair.split("=", 1) for pair in args.split(","))
            start = parse_time(params.get("fromDateTime") or params["from"])
            end = parse_time(params.get("toDateTime") or params["to"])
            if name == "getPstnCalls":  # from and to inclusive
                rows = [r for r in self.pstn_rows if start <= parse_time(r["startDateTime"]) <= end]
            else:  # to exclusive, on the invite (start of the call)
                rows = [
                    r
                    for r in self.direct_routing_rows
                    if start <= parse_time(r["inviteDateTime"]) < end
                ]
            return 200, {}, self._page(rows, skip, f"{self.base_url}{quote(unquote(path))}?")
        if path == "/v1.0/communications/callRecords":
            condition = record.query.get("$filter", [""])[0]
            bounds = re.findall(r"startDateTime (ge|lt) (\S+)", condition)
            start = next(parse_time(v) for op, v in bounds if op == "ge")
            end = next(parse_time(v) for op, v in bounds if op == "lt")
            rows = [r for r in self.call_records if start <= parse_time(r["startDateTime"]) < end]
            query = f"$filter={quote(condition)}&"
            return 200, {}, self._page(rows, skip, f"{self.base_url}{path}?{query}")
        return 404, {}, {"error": {"code": "NotFound", "message": path}}

    def _page(self, rows: list[dict[str, Any]], skip: int, next_prefix: str) -> dict[str, Any]:
        page: dict[str, Any] = {
            "@odata.count": len(rows),
            "value": rows[skip : skip + self.page_size],
        }
        if skip + self.page_size < len(rows):
            page["@odata.nextLink"] = f"{next_prefix}$skip={skip + self.page_size}"
        return page


@dataclass
class FakeZoom(_Vendor):
    """Zoom: token at /oauth/token (account_credentials, HTTP Basic), API under /v2."""

    call_history: list[dict[str, Any]] = field(default_factory=list)
    account_id: str = "zoom-account"
    client_id: str = "zoom-client"
    client_secret: str = "zoom-secret"
    max_window_days: int = 31

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth/token"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v2"

    def route(
        self,
        method: str,
        path: str,
        record: Recorded,
        body: str,  # noqa: ARG002 - same signature
    ) -> tuple[int, dict[str, str], Any]:
        if method == "POST" and path == "/oauth/token":
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if (
                record.headers.get("authorization") != f"Basic {expected}"
                or record.query.get("grant_type") != ["account_credentials"]
                or record.query.get("account_id") != [self.account_id]
            ):
                return (
                    401,
                    {},
                    {"reason": "Invalid client_id or client_secret", "error": "invalid_client"},
                )
            return 200, {}, self.issue_token()
        refused = self.check_api_call(record.headers)
        if refused:
            status, headers, _ = refused
            return status, headers, {"code": 124 if status == 401 else 429, "message": "refused"}
        if path != "/v2/phone/call_history":
            return 404, {}, {"code": 404, "message": path}
        start = parse_time(record.query["from"][0])
        end = parse_time(record.query["to"][0])
        if (end - start).days > self.max_window_days:
            return 400, {}, {"code": 300, "message": "The date range can only be within one month."}
        key = "end_time" if record.query.get("time_type") == ["end_time"] else "start_time"
        rows = [r for r in self.call_history if start <= parse_time(r[key]) <= end]
        offset = int(record.query.get("next_page_token", ["0"])[0] or 0)
        size = int(record.query.get("page_size", [str(self.page_size)])[0])
        size = min(size, self.page_size)
        page = rows[offset : offset + size]
        more = offset + size < len(rows)
        return (
            200,
            {},
            {
                "from": record.query["from"][0],
                "to": record.query["to"][0],
                "page_size": size,
                "total_records": len(rows),
                "next_page_token": str(offset + size) if more else "",
                "call_history": page,
            },
        )
