"""Trunk capacity report: each trunk's busy hour (marts.rpt_trunk_busy_hour) sized with Erlang-B
(callmeter.erlang) at a chosen grade of service, with a verdict per trunk (docs/capacity.md).

Sizing uses the time-consistent busy hour (the hour of day with the highest average traffic),
the traffic-engineering convention; the single busiest hour is shown next to it as the worst
case. The mart already carries Erlang-B at its configured grade of service; this report
recomputes it in Python so any grade of service can be asked for without a rebuild."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from callmeter import erlang
from callmeter.settings import Warehouse

__all__ = ["TrunkSizing", "load_sizing", "render_text", "size_trunk", "write_csv"]

_SQL = (
    "select tenant_id, site_id, trunk, channels, days, peak_concurrent_legs, busy_hour_of_day, "
    "busy_hour_erlangs, busiest_hour_at, busiest_hour_erlangs "
    "from marts.rpt_trunk_busy_hour order by tenant_id, site_id, trunk"
)


@dataclass(frozen=True, slots=True)
class TrunkSizing:
    """One trunk's busy hour and what Erlang-B makes of it."""

    tenant_id: str
    site_id: str
    trunk: str
    channels: int | None
    days: int
    peak_concurrent_legs: int
    busy_hour_of_day: int
    busy_hour_erlangs: Decimal
    busiest_hour_at: datetime
    busiest_hour_erlangs: Decimal
    grade_of_service: float
    blocking: float | None  # of the configured channels at the busy-hour traffic
    channels_needed: int  # for the grade of service at the busy-hour traffic
    busiest_hour_channels_needed: int
    verdict: str


def _needed(traffic: Decimal, grade_of_service: float) -> int:
    return 0 if traffic <= 0 else erlang.channels_needed(float(traffic), grade_of_service)


def size_trunk(row: dict[str, Any], grade_of_service: float = 0.01) -> TrunkSizing:
    """Size one trunk from its rpt_trunk_busy_hour row.

    Args:
        row: the mart's columns (tenant_id, site_id, trunk, channels, days, peak_concurrent_legs,
            busy_hour_of_day, busy_hour_erlangs, busiest_hour_at, busiest_hour_erlangs).
        grade_of_service: target blocking probability, strictly between 0 and 1.

    Returns:
        The sizing, with a one-line verdict.

    Raises:
        ValueError: the grade of service is out of range.
    """
    traffic = Decimal(row["busy_hour_erlangs"])
    channels = row["channels"]
    needed = _needed(traffic, grade_of_service)
    busiest_needed = _needed(Decimal(row["busiest_hour_erlangs"]), grade_of_service)
    blocking: float | None = None
    if channels:
        blocking = 0.0 if traffic <= 0 else erlang.blocking(float(traffic), channels)
    if not channels:
        verdict = f"channels not configured; {needed} needed"
    elif blocking is not None and blocking > grade_of_service:
        verdict = f"undersized: {needed} channels needed, has {channels} (blocking {blocking:.2%})"
    elif busiest_needed > channels:
        verdict = f"ok for the busy hour; the busiest hour needed {busiest_needed}"
    elif needed < channels:
        verdict = f"ok; {needed} would do"
    else:
        verdict = "ok"
    return TrunkSizing(
        tenant_id=row["tenant_id"],
        site_id=row["site_id"],
        trunk=row["trunk"],
        channels=channels,
        days=row["days"],
        peak_concurrent_legs=row["peak_concurrent_legs"],
        busy_hour_of_day=row["busy_hour_of_day"],
        busy_hour_erlangs=traffic,
        busiest_hour_at=row["busiest_hour_at"],
        busiest_hour_erlangs=Decimal(row["busiest_hour_erlangs"]),
        grade_of_service=grade_of_service,
        blocking=blocking,
        channels_needed=needed,
        busiest_hour_channels_needed=busiest_needed,
        verdict=verdict,
    )


def load_sizing(warehouse: Warehouse, grade_of_service: float = 0.01) -> list[TrunkSizing]:
    """Read marts.rpt_trunk_busy_hour and size every trunk.

    Args:
        warehouse: where the marts are (in DuckDB mode, pass the serving snapshot to read while a
            build runs).
        grade_of_service: target blocking probability (0.01 = 1 %).

    Returns:
        One sizing per trunk with traffic, ordered by tenant, site and trunk.
    """
    if warehouse.kind == "duckdb":
        import duckdb

        with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
            cursor = con.execute(_SQL)
            names = [column[0] for column in cursor.description or ()]
            rows = cursor.fetchall()
    else:
        import psycopg2

        con = psycopg2.connect(warehouse.url)
        try:
            with con.cursor() as cursor:
                cursor.execute(_SQL)
                names = [column.name for column in cursor.description or ()]
                rows = list(cursor.fetchall())
        finally:
            con.close()
    return [size_trunk(dict(zip(names, row, strict=True)), grade_of_service) for row in rows]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


_COLUMNS = (
    ("tenant_id", "tenant"),
    ("site_id", "site"),
    ("trunk", "trunk"),
    ("channels", "channels"),
    ("busy_hour_of_day", "busy hour"),
    ("busy_hour_erlangs", "erlangs"),
    ("blocking", "blocking"),
    ("channels_needed", "needed"),
    ("busiest_hour_at", "busiest hour (UTC)"),
    ("busiest_hour_erlangs", "erlangs"),
    ("busiest_hour_channels_needed", "needed"),
    ("peak_concurrent_legs", "peak legs"),
    ("verdict", "verdict"),
)


def render_text(sizings: Sequence[TrunkSizing]) -> str:
    """A plain-text table for the terminal."""
    if not sizings:
        return "no trunk traffic yet (marts.rpt_trunk_busy_hour is empty)"
    gos = sizings[0].grade_of_service
    header = [title for _, title in _COLUMNS]
    cells = [[_cell(getattr(s, name)) for name, _ in _COLUMNS] for s in sizings]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    lines = [
        f"Trunk sizing at {gos:.2%} blocking (Erlang-B, time-consistent busy hour, local time)"
    ]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells)
    return "\n".join(lines)


def write_csv(sizings: Sequence[TrunkSizing], path: Path) -> Path:
    """All sizing fields as CSV (one row per trunk); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [f.name for f in fields(TrunkSizing)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        writer.writerows([[_cell(getattr(s, name)) for name in names] for s in sizings])
    return path
