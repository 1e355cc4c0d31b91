# ruff: noqa: ARG002  (rules share one signature; not every rule needs every argument)
"""Volume rules: a metric over a sliding window passing a threshold (with a cool-down), and an
anomaly against per-extension baselines per hour of week.

Baselines have the shape of `marts.rpt_extension_baselines` (written by the batch layer):
``tenant_id, site_id, extension, hour_of_week, metric, mean, stddev``, where hour_of_week is 0
for Monday 00:00-00:59 site local time up to 167 for Sunday 23:00, and metric is one of
calls, minutes, distinct_destinations. The sidecar loads a CSV export of it (or a DuckDB
snapshot exported to CSV), never the warehouse itself."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from streaming.alerts import Alert, Severity
from streaming.rules.base import CallEvent, RuleContext, StreamRule

METRICS = ("calls", "minutes", "distinct_destinations")
BASELINE_COLUMNS = ("tenant_id", "site_id", "extension", "hour_of_week", "metric", "mean", "stddev")

BaselineKey = tuple[str, str, str, int, str]  # tenant, site, extension, hour_of_week, metric


@dataclass
class _Window:
    """Calls of one scope: call_id -> (started_at, minutes, destination)."""

    calls: dict[str, tuple[datetime, Decimal, str | None]] = field(default_factory=dict)

    def add(self, event: CallEvent) -> None:
        minutes = Decimal(event.duration_seconds) / 60 if event.kind == "end" else Decimal(0)
        previous = self.calls.get(event.call_id)
        if previous is not None and event.kind != "end":
            return
        self.calls[event.call_id] = (event.started_at, minutes, event.called_e164)

    def prune(self, since: datetime) -> None:
        for call_id in [c for c, (start, _, _) in self.calls.items() if start < since]:
            del self.calls[call_id]

    def value(self, metric: str, since: datetime | None = None) -> Decimal:
        rows = [r for r in self.calls.values() if since is None or r[0] >= since]
        if metric == "calls":
            return Decimal(len(rows))
        if metric == "minutes":
            return sum((m for _, m, _ in rows), Decimal(0))
        return Decimal(len({d for _, _, d in rows if d}))


def metric_label(metric: str, value: Decimal) -> str:
    return (
        f"{value.quantize(Decimal('0.1'))} minutes" if metric == "minutes" else f"{value} {metric}"
    )


class Threshold(StreamRule):
    """`metric` over the last `window_seconds` (by call start) per extension, site or trunk
    passes `max`; the same scope fires again only after `cooldown_seconds`."""

    rule_type = "threshold"

    def __init__(
        self,
        rule_id: str,
        severity: Severity,
        notify: list[str] | None,
        metric: str,
        per: str,
        window_seconds: int,
        limit: Decimal,
        cooldown_seconds: int,
    ) -> None:
        super().__init__(rule_id, severity, notify)
        self.metric, self.per, self.limit = metric, per, limit
        self.window = timedelta(seconds=window_seconds)
        self.cooldown = timedelta(seconds=cooldown_seconds)
        self.memory_seconds = float(window_seconds + cooldown_seconds)
        self._windows: dict[tuple[str, ...], _Window] = {}
        self._quiet_until: dict[tuple[str, ...], datetime] = {}

    def on_event(self, event: CallEvent, ctx: RuleContext, now: datetime) -> list[Alert]:
        scope = {"extension": event.extension, "trunk": event.trunk, "site": event.site_id}[
            self.per
        ]
        if not scope:
            return []
        key = (event.tenant_id, event.site_id, self.per, scope)
        window = self._windows.setdefault(key, _Window())
        window.add(event)
        window.prune(event.started_at - self.window * 2)
        value = window.value(self.metric, since=event.started_at - self.window)
        quiet = self._quiet_until.get(key)
        if value <= self.limit or (quiet is not None and event.started_at < quiet):
            return []
        self._quiet_until[key] = event.started_at + self.cooldown
        return [
            self.alert(
                event,
                now,
                (self.per, scope, event.call_id),
                f"{self.per} {scope}: {metric_label(self.metric, value)} in "
                f"{int(self.window.total_seconds())} s (limit {self.limit})",
                {"metric": self.metric, "value": str(value), "limit": str(self.limit)},
            )
        ]


def load_baselines(path: Path) -> dict[BaselineKey, tuple[Decimal, Decimal]]:
    """Read a CSV of marts.rpt_extension_baselines; errors name the row and column."""
    baselines: dict[BaselineKey, tuple[Decimal, Decimal]] = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = set(BASELINE_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: baselines lack column(s) {sorted(missing)}")
        for line, row in enumerate(reader, start=2):
            try:
                hour = int(row["hour_of_week"])
                mean, stddev = Decimal(row["mean"]), Decimal(row["stddev"])
            except (ValueError, InvalidOperation):
                raise ValueError(
                    f"{path}: row {line}: hour_of_week, mean and stddev must be numbers"
                ) from None
            if not 0 <= hour < 168:
                raise ValueError(f"{path}: row {line}: hour_of_week must be 0..167, got {hour}")
            if row["metric"] not in METRICS:
                raise ValueError(f"{path}: row {line}: metric must be one of {METRICS}")
            key = (row["tenant_id"], row["site_id"], row["extension"], hour, row["metric"])
            baselines[key] = (mean, stddev)
    return baselines


def hour_of_week(local: datetime) -> int:
    return local.weekday() * 24 + local.hour


class Anomaly(StreamRule):
    """An extension's calls, minutes or distinct destinations in the current local hour pass
    mean + k * stddev of its baseline for that hour of week. Once per extension, hour, metric.
    An extension without a baseline row is never anomalous (the batch layer has not seen it)."""

    rule_type = "anomaly"

    def __init__(
        self,
        rule_id: str,
        severity: Severity,
        notify: list[str] | None,
        baselines: Mapping[BaselineKey, tuple[Decimal, Decimal]],
        k: Decimal,
        min_value: Decimal,
        metrics: list[str],
    ) -> None:
        super().__init__(rule_id, severity, notify)
        self.baselines, self.k, self.min_value, self.metrics = baselines, k, min_value, metrics
        self.memory_seconds = 3600.0  # the current local hour
        self._hours: dict[tuple[str, str, str, datetime], _Window] = {}
        self._fired: set[tuple[str, str, str, datetime, str]] = set()

    def on_event(self, event: CallEvent, ctx: RuleContext, now: datetime) -> list[Alert]:
        if not event.extension:
            return []
        zone = ctx.site(event.tenant_id, event.site_id).timezone
        local = event.started_at.astimezone(zone)
        hour_start = local.replace(minute=0, second=0, microsecond=0)
        key = (event.tenant_id, event.site_id, event.extension, hour_start)
        window = self._hours.setdefault(key, _Window())
        window.add(event)
        for old in [k for k in self._hours if k[3] < hour_start - timedelta(hours=3)]:
            del self._hours[old]
        alerts: list[Alert] = []
        for metric in self.metrics:
            baseline = self.baselines.get(
                (event.tenant_id, event.site_id, event.extension, hour_of_week(local), metric)
            )
            fired_key = (*key, metric)
            if baseline is None or fired_key in self._fired:
                continue
            mean, stddev = baseline
            value = window.value(metric)
            limit = mean + self.k * stddev
            if value > limit and value >= self.min_value:
                self._fired.add(fired_key)
                alerts.append(
                    self.alert(
                        event,
                        now,
                        (event.extension, metric, hour_start.isoformat()),
                        f"extension {event.extension}: {metric_label(metric, value)} this hour, "
                        f"baseline {mean} +/- {stddev}",
                        {
                            "metric": metric,
                            "value": str(value),
                            "mean": str(mean),
                            "stddev": str(stddev),
                        },
                    )
                )
        return alerts
