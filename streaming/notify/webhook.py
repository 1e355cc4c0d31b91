"""Signed webhooks (the contract in docs/design.md, "The sidecar's configuration and its webhook").

Each attempt is an HTTP POST of the alert's JSON body with:

- `X-Callmeter-Timestamp`: Unix seconds at the attempt;
- `X-Callmeter-Signature`: `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>`;
- `Idempotency-Key`: the alert_id (a retry carries the same one, and the same body);
- `X-Callmeter-Attempt`: 1 for the first attempt, 2 for the first retry, ...

A 2xx answer acknowledges the alert; anything else, a timeout or a connection error is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from email.utils import parsedate_to_datetime

import httpx

from streaming.notify.base import Job, Outcome, describe

TIMESTAMP_HEADER = "X-Callmeter-Timestamp"
SIGNATURE_HEADER = "X-Callmeter-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
ATTEMPT_HEADER = "X-Callmeter-Attempt"
USER_AGENT = "callmeter-notify/1"


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header value for a body sent at `timestamp`.

    Args:
        secret: The shared secret (the value of the variable `secret_env` names).
        timestamp: Unix seconds, as sent in X-Callmeter-Timestamp.
        body: The exact request body bytes.

    Returns:
        `sha256=` followed by the hex HMAC-SHA256 of `"<timestamp>.<body>"`.
    """
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: bytes,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """Check a received webhook: the signature matches and the timestamp is recent.

    Args:
        secret: The shared secret.
        timestamp: The X-Callmeter-Timestamp header.
        signature: The X-Callmeter-Signature header.
        body: The raw request body, before any JSON parsing.
        tolerance: Seconds a timestamp may differ from `now` (replay protection).
        now: The receiver's clock (Unix seconds); defaults to time.time().

    Returns:
        True when the webhook is authentic and fresh.
    """
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def signed_headers(secret: bytes | None, body: bytes, job: Job, attempt: int) -> dict[str, str]:
    """The headers of one attempt; unsigned (no secret) only for block URLs without secret_env."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        IDEMPOTENCY_HEADER: job.alert_id,
        ATTEMPT_HEADER: str(attempt),
    }
    if secret is not None:
        timestamp = int(time.time())
        headers[TIMESTAMP_HEADER] = str(timestamp)
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
    return headers


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date), if it has one."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when: float = parsedate_to_datetime(value).timestamp()
        return max(0.0, when - time.time())
    except (TypeError, ValueError):
        return None


async def http_attempt(
    client: httpx.AsyncClient, method: str, url: str, body: bytes | None, headers: dict[str, str]
) -> Outcome:
    """One HTTP attempt: 2xx is success; any other status or transport error is a failure."""
    try:
        response = await client.request(method, url, content=body, headers=headers)
    except httpx.TimeoutException as error:
        return Outcome(ok=False, error=f"timeout: {describe(error)}")
    except httpx.HTTPError as error:
        return Outcome(ok=False, error=describe(error))
    if 200 <= response.status_code < 300:
        return Outcome(ok=True, code=response.status_code)
    snippet = response.text[:200].strip()
    return Outcome(
        ok=False,
        code=response.status_code,
        error=f"HTTP {response.status_code}" + (f": {snippet}" if snippet else ""),
        retry_after=retry_after(response),
    )


def make_client(timeout: float, concurrency: int) -> httpx.AsyncClient:
    """An HTTP client for one target: keep-alive connections up to its concurrency."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    # HTTP(S)_PROXY / NO_PROXY from the environment apply, as for any httpx client.
    return httpx.AsyncClient(timeout=timeout, limits=limits)


class WebhookSender:
    """Delivers alerts to one webhook target."""

    def __init__(self, url: str, secret: bytes, timeout: float, concurrency: int) -> None:
        self.url = url
        self._secret = secret
        self._client = make_client(timeout, concurrency)

    async def send(self, job: Job, attempt: int) -> Outcome:
        """POST the alert's body, signed; never raises for a delivery failure."""
        body = job.payload.encode()
        headers = signed_headers(self._secret, body, job, attempt)
        return await http_attempt(self._client, "POST", self.url, body, headers)

    async def aclose(self) -> None:
        await self._client.aclose()
