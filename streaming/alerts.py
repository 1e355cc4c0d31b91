"""The alert a rule raises and every notifier delivers (docs/design.md, "its webhook")."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

Severity = Literal["info", "warning", "high", "critical"]


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert. `alert_id` is stable: derived from the rule and the records that fired it, so a
    retry, a restart or a second worker produces the same id and receivers can dedupe on it."""

    alert_id: str
    rule: str  # the rule's id from the `streaming.rules` section
    rule_type: str  # premium_destination, burst, after_hours, ...
    tenant_id: str
    site_id: str
    extension: str | None
    called_number: str | None
    called_e164: str | None
    event_at: datetime  # when the record arrived (UTC)
    detected_at: datetime  # when the rule fired (UTC)
    severity: Severity = "high"
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def as_payload(self) -> dict[str, Any]:
        """The webhook body: every field, datetimes as ISO-8601 UTC with a Z."""
        payload = asdict(self)
        for name in ("event_at", "detected_at"):
            payload[name] = payload[name].isoformat().replace("+00:00", "Z")
        return payload


def alert_id_for(rule: str, *parts: str) -> str:
    """Deterministic id: the same rule firing on the same records always gives the same id."""
    digest = hashlib.sha256("\x1f".join((rule, *parts)).encode()).hexdigest()[:24]
    return f"{rule}-{digest}"
