# ruff: noqa: ARG002  (rules share one signature; not every rule needs every argument)
"""Concurrency rules: too many simultaneous legs per extension or trunk, trunk saturation, and
a feed that fell silent."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from streaming.alerts import Alert, Severity, alert_id_for
from streaming.rules.base import CallEvent, RuleContext, StreamRule

_HORIZON = timedelta(hours=12)  # legs that ended this long before the newest are forgotten
_FAR_PAST = datetime.min.replace(tzinfo=UTC)


def peak_concurrency(intervals: list[tuple[datetime, datetime | None]]) -> int:
    """The most intervals open at one moment; an open end (None) is a call in progress."""
    points: list[tuple[datetime, int]] = []
    for start, end in intervals:
        points.append((start.replace(tzinfo=None), 1))
        if end is not None:
            points.append((end.replace(tzinfo=None), -1))
    points.sort(key=lambda p: (p[0], p[1]))  # an end at the same moment frees the line first
    level = peak = 0
    for _, step in points:
        level += step
        peak = max(peak, level)
    return peak


class _Concurrency(StreamRule):
    """Shared machinery: legs per key as intervals; fire when the peak passes the limit, then
    stay quiet for that key for `cooldown`."""

    def __init__(
        self,
        rule_id: str,
        severity: Severity,
        notify: list[str] | None,
        cooldown_seconds: int = 300,
    ) -> None:
        super().__init__(rule_id, severity, notify)
        self.cooldown = timedelta(seconds=cooldown_seconds)
        self.memory_seconds = float(cooldown_seconds)
        self._legs: dict[tuple[str, ...], dict[str, tuple[datetime, datetime | None]]] = {}
        self._quiet_until: dict[tuple[str, ...], datetime] = {}

    def key_and_limit(
        self, event: CallEvent, ctx: RuleContext
    ) -> tuple[tuple[str, ...], int] | None:
        raise NotImplementedError

    def on_event(self, event: CallEvent, ctx: RuleContext, now: datetime) -> list[Alert]:
        found = self.key_and_limit(event, ctx)
        if found is None:
            return []
        key, limit = found
        legs = self._legs.setdefault(key, {})
        if event.kind == "end":
            legs.pop(event.call_id, None)  # a call tracked open since its start (SIP) has ended
        leg_id = event.record_id if event.kind == "end" else event.call_id
        legs[leg_id] = (event.started_at, event.ended_at if event.kind == "end" else None)
        newest = max(start for start, _ in legs.values())
        for leg_id, (_, end) in list(legs.items()):
            if end is not None and end < newest - _HORIZON:
                del legs[leg_id]
        # Only legs overlapping this one can raise the peak it is part of.
        mine_end = event.ended_at if event.kind == "end" else None
        overlapping = [
            (s, e)
            for s, e in legs.values()
            if (e is None or e > event.started_at) and (mine_end is None or s < mine_end)
        ]
        peak = peak_concurrency(overlapping)
        if peak <= limit or event.event_time < self._quiet_until.get(key, _FAR_PAST):
            return []
        self._quiet_until[key] = event.event_time + self.cooldown
        return [
            self.alert(
                event,
                now,
                (*key, event.call_id),
                self.describe(key, peak, limit),
                {"peak": peak, "limit": limit, "key": list(key)},
            )
        ]

    def describe(self, key: tuple[str, ...], peak: int, limit: int) -> str:
        return f"{peak} simultaneous legs on {'/'.join(key)} (limit {limit})"


class Concurrent(_Concurrency):
    """More than `max` legs at once on one extension or one trunk."""

    rule_type = "concurrent"

    def __init__(
        self, rule_id: str, severity: Severity, notify: list[str] | None, per: str, limit: int
    ) -> None:
        super().__init__(rule_id, severity, notify)
        self.per = per
        self.limit = limit

    def key_and_limit(
        self, event: CallEvent, ctx: RuleContext
    ) -> tuple[tuple[str, ...], int] | None:
        value = event.extension if self.per == "extension" else event.trunk
        if not value:
            return None
        return (self.per, value), self.limit


class TrunkSaturation(_Concurrency):
    """Active legs on a trunk reach `percent` of the site's trunk_channels."""

    rule_type = "trunk_saturation"

    def __init__(
        self, rule_id: str, severity: Severity, notify: list[str] | None, percent: int
    ) -> None:
        super().__init__(rule_id, severity, notify)
        self.percent = percent

    def key_and_limit(
        self, event: CallEvent, ctx: RuleContext
    ) -> tuple[tuple[str, ...], int] | None:
        if not event.trunk:
            return None
        channels = ctx.site(event.tenant_id, event.site_id).trunk_channels.get(event.trunk)
        if not channels:
            return None
        # Saturated at `percent`: fire when the peak reaches it, i.e. passes one less.
        return ("trunk", event.trunk), max(0, math.ceil(channels * self.percent / 100) - 1)

    def describe(self, key: tuple[str, ...], peak: int, limit: int) -> str:
        return f"trunk {key[1]} has {peak} legs in use ({self.percent}% threshold reached)"


class FeedSilence(StreamRule):
    """No record from a listener for `minutes`: one alert per silence."""

    rule_type = "feed_silence"

    def __init__(
        self,
        rule_id: str,
        severity: Severity,
        notify: list[str] | None,
        minutes: float,
        listeners: list[str] | None = None,
    ) -> None:
        super().__init__(rule_id, severity, notify)
        self.limit = timedelta(minutes=minutes)
        self.only = set(listeners) if listeners else None
        self._last: dict[str, datetime] = {}
        self._alerted: set[tuple[str, datetime]] = set()

    def watch(self, listener: str, since: datetime) -> None:
        """Start the clock for a listener that has sent nothing yet."""
        self._last.setdefault(listener, since)

    def on_event(self, event: CallEvent, ctx: RuleContext, now: datetime) -> list[Alert]:
        self.seen(event.listener, event.arrived_at)
        return []

    def seen(self, listener: str, arrived_at: datetime) -> None:
        """A record (read or rejected) arrived on a listener."""
        if arrived_at > self._last.get(listener, _FAR_PAST):
            self._last[listener] = arrived_at

    def on_tick(self, ctx: RuleContext, now: datetime) -> list[Alert]:
        alerts: list[Alert] = []
        for listener, last in self._last.items():
            if self.only is not None and listener not in self.only:
                continue
            if now - last < self.limit or (listener, last) in self._alerted:
                continue
            self._alerted.add((listener, last))
            tenant_id, site_id = ctx.listeners.get(listener, ("", ""))
            alerts.append(
                Alert(
                    alert_id=alert_id_for(self.rule_id, listener, last.isoformat()),
                    rule=self.rule_id,
                    rule_type=self.rule_type,
                    tenant_id=tenant_id,
                    site_id=site_id,
                    extension=None,
                    called_number=None,
                    called_e164=None,
                    event_at=last,
                    detected_at=now,
                    severity=self.severity,
                    message=f"no records from listener {listener} since {last:%Y-%m-%d %H:%M:%S}Z",
                    details={"listener": listener, "last_record_at": last.isoformat()},
                )
            )
        return alerts
