# ruff: noqa: ARG002  (rules share one signature; not every rule needs every argument)
"""What rules see (call events, site facts) and what they share (the alert builder)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from callmeter.config import Site
from callmeter.dialplan import to_e164
from callmeter.legs import CallLeg
from streaming.alerts import Alert, Severity, alert_id_for

EventKind = Literal["start", "answer", "end"]


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One moment of a call leg: its start or answer (SIP capture) or its end (a CDR line)."""

    kind: EventKind
    tenant_id: str
    site_id: str
    listener: str
    call_id: str
    record_id: str
    direction: str
    extension: str | None
    calling_number: str | None
    called_number: str | None
    called_e164: str | None
    trunk: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int
    arrived_at: datetime  # when the record reached the sidecar (UTC)

    @property
    def is_outbound(self) -> bool:
        """Outbound, or unknown with an external number (fraud rules err on the side of caution)."""
        return self.direction == "outbound" or (
            self.direction == "unknown" and self.called_e164 is not None
        )

    @property
    def event_time(self) -> datetime:
        """The call's own clock for this event, so a replay gives the same answers."""
        if self.kind == "end" and self.ended_at is not None:
            return self.ended_at
        if self.kind == "answer" and self.answered_at is not None:
            return self.answered_at
        return self.started_at


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """The facts about a site that rules use."""

    tenant_id: str
    site_id: str
    timezone: ZoneInfo
    trunk_channels: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Sites by (tenant, site), and listeners by name -> (tenant, site)."""

    sites: Mapping[tuple[str, str], SiteInfo]
    listeners: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def site(self, tenant_id: str, site_id: str) -> SiteInfo:
        return self.sites[(tenant_id, site_id)]


def event_from_leg(
    leg: CallLeg, tenant_id: str, site: Site, listener: str, arrived_at: datetime
) -> CallEvent:
    """A CDR line gives an ended leg: one `end` event."""
    return CallEvent(
        kind="end",
        tenant_id=tenant_id,
        site_id=site.id,
        listener=listener,
        call_id=leg.call_id,
        record_id=leg.source_record_id,
        direction=leg.direction,
        extension=leg.extension,
        calling_number=leg.calling_number,
        called_number=leg.called_number,
        called_e164=to_e164(leg.called_number, site) if leg.direction != "inbound" else None,
        trunk=leg.trunk,
        started_at=leg.started_at,
        answered_at=leg.answered_at,
        ended_at=leg.ended_at,
        duration_seconds=leg.duration_seconds,
        arrived_at=arrived_at,
    )


class StreamRule:
    """Base of every rule: an id, a type, a severity and notifier targets from the YAML."""

    rule_type = "rule"
    # How far back events shape this rule's state (windows, cool-downs): what a restart replays
    # from the spool to rebuild it. 0: the rule keeps nothing worth rebuilding.
    memory_seconds = 0.0

    def __init__(self, rule_id: str, severity: Severity, notify: list[str] | None) -> None:
        self.rule_id = rule_id
        self.severity: Severity = severity
        self.notify = notify

    def on_event(self, event: CallEvent, ctx: RuleContext, now: datetime) -> list[Alert]:
        """Alerts this event raises (and the rule's state updated)."""
        return []

    def on_tick(self, ctx: RuleContext, now: datetime) -> list[Alert]:
        """Alerts due at `now` without a new event (silence, long calls)."""
        return []

    def alert(
        self,
        event: CallEvent,
        now: datetime,
        key_parts: tuple[str, ...],
        message: str,
        details: dict[str, Any] | None = None,
    ) -> Alert:
        """An alert about one event; `key_parts` make the id (never the clock)."""
        return Alert(
            alert_id=alert_id_for(self.rule_id, event.tenant_id, event.site_id, *key_parts),
            rule=self.rule_id,
            rule_type=self.rule_type,
            tenant_id=event.tenant_id,
            site_id=event.site_id,
            extension=event.extension,
            called_number=event.called_number,
            called_e164=event.called_e164,
            event_at=event.arrived_at,
            detected_at=now,
            severity=self.severity,
            message=message,
            details={"call_id": event.call_id, "record_id": event.record_id, **(details or {})},
        )
