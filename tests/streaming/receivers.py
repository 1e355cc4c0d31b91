"""Real receivers for notification tests: an HTTP webhook receiver and an SMTP server.

Both listen on 127.0.0.1 on a free port and run in background threads, so the code under test
talks to them over real sockets. The webhook receiver checks every request against the contract
(docs/design.md): the HMAC-SHA256 of "<timestamp>.<body>" with the shared secret, computed here
independently of streaming.notify.

Use the fixtures (`webhook_receiver`, `smtp_server`) or the classes directly:

```python
with WebhookReceiver(secret="s3cret") as receiver:
    receiver.fail_next(2)             # answer 503 twice, then 200
    ...                               # point a webhook target at receiver.url
    [hit] = receiver.wait_for(1)      # ReceivedRequest(verified=True, json={...}, ...)
```
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def contract_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of "<timestamp>.<body>": the formula in docs/design.md."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    verified: bool  # signature matches and timestamp within the tolerance
    status: int  # what the receiver answered
    received_at: float  # time.time()

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class WebhookReceiver:
    """An HTTP server that verifies Callmeter webhook signatures.

    Answers 200 to a verified request, 401 to a bad or missing signature, and `status` to the next
    N requests after `fail_next(N, status)` (whatever their signature).
    """

    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    port: int = 0
    tolerance: float = 300.0
    requests: list[ReceivedRequest] = field(default_factory=list)
    _failures: list[int] = field(default_factory=list)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/alerts"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes; without this, Nagle's algorithm and the
                # client's delayed ACK add ~40 ms to every answer on a kept-alive connection.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                receiver._record(self, body)

            do_POST = do_PUT = do_GET = do_DELETE = _handle

            def log_message(self, *_args: Any) -> None:
                return None  # quiet: the test reads `requests`

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next `count` requests with `status` (a 5xx by default)."""
        with self._lock:
            self._failures.extend([status] * count)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Block until at least `count` requests arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.requests)} of {count} webhook requests arrived")
                self._lock.wait(left)
            return list(self.requests)

    def _record(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        timestamp = headers.get("x-callmeter-timestamp", "")
        signature = headers.get("x-callmeter-signature", "")
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= self.tolerance
        verified = bool(
            fresh
            and signature
            and hmac.compare_digest(contract_signature(self.secret, timestamp, body), signature)
        )
        with self._lock:
            status = self._failures.pop(0) if self._failures else (200 if verified else 401)
        answer = b'{"ok": true}' if status < 300 else b'{"error": "refused"}'
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)
        handler.wfile.flush()
        request = ReceivedRequest(
            method=handler.command,
            path=handler.path,
            headers=headers,
            body=body,
            verified=verified,
            status=status,
            received_at=time.time(),
        )
        with self._lock:
            self.requests.append(request)
            self._lock.notify_all()


@dataclass
class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 keeping every message it accepts."""

    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _controller: Any = None

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self._lock.notify_all()
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Block until at least `count` messages arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.messages)} of {count} emails arrived")
                self._lock.wait(left)
            return list(self.messages)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A started webhook receiver with a random secret."""
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """A started SMTP server (no TLS, no auth) collecting messages."""
    sink = SmtpSink().start()
    with contextlib.ExitStack() as stack:
        stack.callback(sink.stop)
        yield sink
