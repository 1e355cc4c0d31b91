"""What the dispatcher hands a sender (a Job) and what a sender hands back (an Outcome)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one delivery attempt.

    Attributes:
        ok: The target acknowledged the alert (2xx, exit status 0, apprise success).
        code: HTTP status or exit status, when there was one.
        error: Why it failed, short and readable.
        retry_after: Seconds the target asked us to wait (HTTP Retry-After), if any.
        permanent: Retrying cannot help (e.g. a block action for an alert without an extension).
    """

    ok: bool
    code: int | None = None
    error: str | None = None
    retry_after: float | None = None
    permanent: bool = False


@dataclass(frozen=True)
class Job:
    """One delivery of one alert to one target; `attempts` counts the attempts already made."""

    alert_id: str
    target_id: str
    payload: str  # the alert's JSON body, exactly as stored in the delivery log
    attempts: int = 0

    @cached_property
    def fields(self) -> dict[str, Any]:
        """The alert as a dict (for email text and block placeholders)."""
        value = json.loads(self.payload)
        return value if isinstance(value, dict) else {}


class Sender(Protocol):
    """Delivers jobs to one target; never raises for a delivery failure, returns an Outcome."""

    async def send(self, job: Job, attempt: int) -> Outcome: ...

    async def aclose(self) -> None: ...


def describe(error: BaseException) -> str:
    """`ConnectError: [Errno 111] Connection refused`: the class name and the message."""
    text = str(error).strip() or repr(error)
    return f"{type(error).__name__}: {text}"[:500]
