"""Alerts through apprise: email (mailto://, mailtos://), SMS gateways, Slack, Teams, ...

apprise is blocking, so each attempt runs in a small thread pool of the target's own (its size is
the target's concurrency) and never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from streaming.notify.base import Job, Outcome, describe

_log = logging.getLogger(__name__)


def _text(value: Any, default: str = "-") -> str:
    return default if value in (None, "") else str(value)


def format_message(alert: dict[str, Any]) -> tuple[str, str]:
    """A readable subject and plain-text body for one alert.

    Args:
        alert: The alert's payload (Alert.as_payload()).

    Returns:
        (title, body), e.g. `[Callmeter] HIGH premium: extension 2001 called +449091234567
        (acme/london)`.
    """
    severity = _text(alert.get("severity"), "alert").upper()
    rule = _text(alert.get("rule"), "alert")
    extension = _text(alert.get("extension"), "unknown")
    called = alert.get("called_e164")
    called = f"+{called}" if called and not str(called).startswith("+") else called
    called = called or alert.get("called_number")
    where = f"{_text(alert.get('tenant_id'))}/{_text(alert.get('site_id'))}"
    title = f"[Callmeter] {severity} {rule}: extension {extension}"
    title += f" called {called} ({where})" if called else f" ({where})"
    lines = [
        _text(alert.get("message"), f"Rule {rule} fired."),
        "",
        f"Rule:          {rule} ({_text(alert.get('rule_type'))})",
        f"Severity:      {severity}",
        f"Tenant / site: {where}",
        f"Extension:     {extension}",
        f"Called number: {_text(alert.get('called_number'))}",
        f"Called E.164:  {_text(alert.get('called_e164'))}",
        f"Event at:      {_text(alert.get('event_at'))} (UTC)",
        f"Detected at:   {_text(alert.get('detected_at'))} (UTC)",
        f"Alert id:      {_text(alert.get('alert_id'))}",
    ]
    details = alert.get("details")
    if isinstance(details, dict) and details:
        lines += ["", "Details:"]
        lines += [f"  {key}: {value}" for key, value in sorted(details.items())]
    return title, "\n".join(lines) + "\n"


class AppriseSender:
    """Delivers alerts to one apprise URL."""

    def __init__(self, url: str, timeout: float, concurrency: int, target_id: str) -> None:
        self._url = url
        self._timeout = timeout
        self._target_id = target_id
        self._pool = ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix=f"callmeter-apprise-{target_id}"
        )

    async def send(self, job: Job, attempt: int) -> Outcome:  # noqa: ARG002 (Sender protocol)
        """Notify once in the thread pool; apprise's own error messages become the last error."""
        title, body = format_message(job.fields)
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(self._pool, self._notify, title, body),
                timeout=self._timeout + 5,  # apprise has its own timeout; this is the backstop
            )
        except TimeoutError:
            return Outcome(ok=False, error=f"timeout: apprise did not return in {self._timeout} s")

    def _notify(self, title: str, body: str) -> Outcome:
        import apprise  # imported here: it loads every plugin, and only this target needs it

        messages: list[str] = []

        def keep(entry: Any, _service: Any = None) -> None:
            if entry.level in ("WARNING", "ERROR", "CRITICAL"):
                messages.append(str(entry.message))

        try:
            notifier = apprise.Apprise()
            if not notifier.add(self._url):
                return Outcome(ok=False, error="apprise cannot use this URL", permanent=True)
            result = notifier.notify(
                body=body,
                title=title,
                body_format=apprise.NotifyFormat.TEXT,  # keep the line layout
                timeout=self._timeout,
                log_callback=keep,
                log_level=logging.WARNING,
            )
        except Exception as error:  # apprise plugins raise many kinds; all mean "not delivered"
            return Outcome(ok=False, error=describe(error))
        if result:
            return Outcome(ok=True)
        reason = "; ".join(messages[-3:]) or "apprise reported a failure"
        return Outcome(ok=False, error=reason[:500])

    async def aclose(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def check_url(url: str) -> bool:
    """True when apprise knows how to send to this URL (checked at startup)."""
    import apprise

    return bool(apprise.Apprise().add(url))
