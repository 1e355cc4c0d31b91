"""Helpers for the notification tests: a sample alert, a webhook target, an async runner."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

from streaming.alerts import Alert

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one async test body on a fresh event loop."""
    return asyncio.run(coroutine)


def make_alert(alert_id: str = "premium-0001", **changes: Any) -> Alert:
    """A premium-rate alert for extension 2001 at acme/london."""
    fields: dict[str, Any] = {
        "alert_id": alert_id,
        "rule": "premium",
        "rule_type": "premium_destination",
        "tenant_id": "acme",
        "site_id": "london",
        "extension": "2001",
        "called_number": "909071234567",
        "called_e164": "449071234567",
        "event_at": datetime(2024, 3, 1, 22, 15, 4, tzinfo=UTC),
        "detected_at": datetime(2024, 3, 1, 22, 15, 5, tzinfo=UTC),
        "message": "Extension 2001 dialled a premium-rate number",
        "details": {"prefix": "44907"},
    }
    fields.update(changes)
    return Alert(**fields)


def webhook(url: str, **options: Any) -> dict[str, Any]:
    """A webhook target reading its secret from CALLMETER_TEST_WEBHOOK_SECRET, fast retries."""
    target = {
        "id": "soc",
        "type": "webhook",
        "url": url,
        "secret_env": "CALLMETER_TEST_WEBHOOK_SECRET",
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "timeout": 2,
    }
    target.update(options)
    return target
