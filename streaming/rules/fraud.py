# ruff: noqa: ARG002  (rules share one signature; not every rule needs every argument)
"""Toll-fraud rules on single calls and bursts: premium destinations, high-cost destinations
(with a mid-call timer), after-hours calling, call bursts per extension."""

from __future__ import annotations

import bisect
import csv
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from streaming.alerts import Alert, Severity
from streaming.rules.base import CallEvent, RuleContext, StreamRule


class PremiumDestination(StreamRule):
    """An outbound call to an E.164 prefix on the list. One alert per call (start, answer and
    end of the same call give the same id)."""

    rule_type = "premium_destination"

    def __init__(
        self, rule_id: str, severity: Severity, notify: list[str] | None, prefixes: list[str]
    ) -> None:
        super().__init__(rule_id, severity, notify)
        self.prefixes = tuple(sorted(prefixes, key=len, reverse=True))

    def matching_prefix(self, e164: str | None) -> str | None:
        if not e164:
            return None
        return next((p for p in self.prefixes if e164.startswith(p)), None)

    def on_event(self, event: CallEvent, ctx: RuleContext, now: datetime) -> list[Alert]:
        prefix = self.matching_prefix(event.called_e164) if event.is_outbound else None
        if prefix is None:
            return []
        return [
            self.alert(
                event,
                now,
                (event.call_id,),
                f"call from {event.extension or '?'} to premium number +{event.called_e164}",
                {"prefix": prefix, "event": event.kind},
            )
        ]


def load_rate_card(path: Path) -> dict[str, Decimal]:
    """prefix -> rate_per_minute from a rate-card CSV (docs/design.md import format). The
    highest rate of a prefix wins (time bands differ; fraud errs high)."""
    rates: dict[str, Decimal] = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"prefix", "rate_per_minute"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: rate card lacks column(s) {sorted(missing)}")
        for line, row in enumerate(reader, start=2):
            prefix = (row["prefix"] or "").strip()
            try:
                rate = Decimal((row["rate_per_minute"] or "").strip())
            except InvalidOperation:
                raise ValueError(f"{path}: row {line}: rate_per_minute is not a number") from None
            if not prefix.isdigit():
                raise ValueError(f"{path}: row {line}: prefix must be digits, got {prefix!r}")
            rates[prefix] = max(rate, rates.get(prefix, rate))
    return rates


def rate_for(rates: Mapping[str, Decimal], e164: str | None) -> tuple[str, Decimal] | None:
    """Longest matching prefix and its rate."""
    if not e164:
        return None
    for length in range(len(e164), 0, -1):
        rate = rates.get(e164[:length])
        if rate is not None:
            return e164[:length], rate
    return None


class HighCost(StreamRule):
    """An outbound call to a destination at or above a rate per minute; with `max_cost`, a call
    in progress (SIP) is also flagged by the tick once its cost so far passes it."""

    rule_type = "high_cost"

    def __init__(
        self,
        rule_id: str,
        severity: Severity,
        notify: list[str] | None,
        rates: Mapping[str, Decimal],
        threshold: Decimal,
        max_cost: Decimal | None = None,
    ) -> None:
        super().__init__(rule_id, severity, notify)
        self.rates = rates
        self.threshold = threshold
        self.max_cost = max_cost
        self._in_progress: dict[str, tuple[CallEvent, Decimal]] = {}

    def on_event(self, event: CallEvent, ctx: RuleContext, now: datetime) -> list[Alert]:
        match = rate_for(self.rates, event.called_e164) if event.is_outbound else None
        if match is None:
            return []
        prefix, rate = match
        alerts: list[Alert] = []
        if rate >= self.threshold:
            alerts.append(
                self.alert(
                    event,
                    now,
                    (event.call_id,),
                    f"call from {event.extension or '?'} to +{event.called_e164} at {rate}/min",
                    {"prefix": prefix, "rate_per_minute": str(rate)},
                )
            )
        if self.max_cost is not None:
            if event.kind == "answer":
                self._in_progress[event.call_id] = (event, rate)
            elif event.kind == "end":
                self._in_progress.pop(event.call_id, None)
                cost = rate * event.duration_seconds / 60
                if cost > self.max_cost:
                    alerts.append(self._cost_alert(event, now, cost))
        return alerts

    def on_tick(self, ctx: RuleContext, now: datetime) -> list[Alert]:
        alerts: list[Alert] = []
        for call_id, (event, rate) in list(self._in_progress.items()):
            answered = event.answered_at or event.started_at
            cost = rate * Decimal(int((now - answered).total_seconds())) / 60
            if self.max_cost is not None and cost > self.max_cost:
                alerts.append(self._cost_alert(event, now, cost))
                del self._in_progress[call_id]  # once per call
        return alerts

    def _cost_alert(self, event: CallEvent, now: datetime, cost: Decimal) -> Alert:
        return self.alert(
            event,
            now,
            (event.call_id, "cost"),
            f"call from {event.extension or '?'} to +{event.called_e164} has cost over {self.max_cost}",
            {"cost_so_far": str(cost.quantize(Decimal("0.0001")))},
        )


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def is_after_hours(
    local: datetime, start: time, end: time, weekends: bool, holidays: frozenset[date]
) -> bool:
    """Whether a local time falls in the after-hours window (which may wrap midnight)."""
    if local.date() in holidays or (weekends and local.weekday() >= 5):
        return True
    moment = local.time()
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


class AfterHours(StreamRule):
    """An outbound call started in the site's after-hours window (site local time)."""

    rule_type = "after_hours"

    def __init__(
        self,
        rule_id: str,
        severity: Severity,
        notify: list[str] | None,
        start: str,
        end: str,
        weekends: bool = True,
        holidays: list[str] | None = None,
        include_inbound: bool = False,
    ) -> None:
        super().__init__(rule_id, severity, notify)
        self.start, self.end = _clock(start), _clock(end)
        self.weekends = weekends
        self.holidays = frozenset(date.fromisoformat(d) for d in holidays or [])
        self.include_inbound = include_inbound

    def on_event(self, event: CallEvent, ctx: RuleContext, now: datetime) -> list[Alert]:
        if event.direction == "internal" or not (event.is_outbound or self.include_inbound):
            return []
        local = event.started_at.astimezone(ctx.site(event.tenant_id, event.site_id).timezone)
        if not is_after_hours(local, self.start, self.end, self.weekends, self.holidays):
            return []
        return [
            self.alert(
                event,
                now,
                (event.call_id,),
                f"{event.direction} call by {event.extension or '?'} at {local:%a %H:%M} local time",
                {"local_time": local.isoformat()},
            )
        ]


class Burst(StreamRule):
    """At least `calls` calls started within `seconds` by one extension. The calls that fired
    an alert are forgotten, so the next alert needs a fresh burst."""

    rule_type = "burst"

    def __init__(
        self,
        rule_id: str,
        severity: Severity,
        notify: list[str] | None,
        calls: int,
        seconds: int,
        outbound_only: bool = True,
    ) -> None:
        super().__init__(rule_id, severity, notify)
        self.calls = calls
        self.window = timedelta(seconds=seconds)
        self.outbound_only = outbound_only
        self.memory_seconds = 2.0 * seconds
        self._starts: dict[tuple[str, str, str], list[tuple[datetime, str]]] = {}
        self._seen: dict[tuple[str, str, str], set[str]] = {}

    def on_event(self, event: CallEvent, ctx: RuleContext, now: datetime) -> list[Alert]:
        if not event.extension or (self.outbound_only and not event.is_outbound):
            return []
        key = (event.tenant_id, event.site_id, event.extension)
        seen = self._seen.setdefault(key, set())
        if event.call_id in seen:
            return []  # the same call's start, answer and end count once
        seen.add(event.call_id)
        starts = self._starts.setdefault(key, [])
        bisect.insort(starts, (event.started_at, event.call_id))
        # Forget what can no longer share a window with anything newer.
        horizon = starts[-1][0] - self.window * 2
        while starts and starts[0][0] < horizon:
            seen.discard(starts.pop(0)[1])
        index = bisect.bisect_left(starts, (event.started_at, event.call_id))
        # Only windows of `calls` starts that hold this one and fit in the list: O(calls), not
        # O(len(starts)) (a busy extension under a large `calls` made every event linear).
        for first in range(
            max(0, index - self.calls + 1), min(index, len(starts) - self.calls) + 1
        ):
            last = first + self.calls - 1
            if starts[last][0] - starts[first][0] <= self.window:
                fired = starts[first : last + 1]
                del starts[first : last + 1]
                return [
                    self.alert(
                        event,
                        now,
                        (event.extension, event.call_id),
                        f"{self.calls} calls by {event.extension} within {int(self.window.total_seconds())} s",
                        {"call_ids": [c for _, c in fired]},
                    )
                ]
        return []
