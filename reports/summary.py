"""The run summary `callmeter demo` prints and writes: legs and minutes per site and direction,
calls per PBX, costs, chargeback, budget vs actual and trunk busy hours, read from the marts
(the serving snapshot in DuckDB mode). A section whose mart is not built is reported as such."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from callmeter.settings import Warehouse
from extractors.warehouse_sql import query_table


@dataclass(frozen=True, slots=True)
class Section:
    """One table of the summary."""

    key: str
    title: str
    sql: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...] = ()
    missing: str | None = None  # why there is nothing to show


SECTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "legs_by_site_and_direction",
        "Legs and minutes per site and direction",
        "select tenant_id, site_id, direction, count(*) as legs, "
        "cast(round(cast(sum(duration_seconds) as numeric(18, 2)) / 60, 1) as numeric(18, 1)) as minutes "
        "from marts.fct_call_legs group by tenant_id, site_id, direction order by 1, 2, 3",
    ),
    (
        "calls_by_pbx",
        "Calls per PBX format",
        "select source_format, count(*) as calls, sum(leg_count) as legs "
        "from marts.fct_calls group by source_format order by 1",
    ),
    (
        "cost_by_tenant",
        "Costed legs per tenant",
        "select tenant_id, currency, count(*) as legs, "
        "sum(case when cost > 0 then 1 else 0 end) as costed_legs, sum(cost) as cost, "
        "sum(resale_price) as resale_price "
        "from marts.fct_call_legs where currency is not null group by tenant_id, currency order by 1, 2",
    ),
    (
        "unrated",
        "Outbound legs no rate card could price",
        "select tenant_id, regexp_replace(unrated_reason, '[0-9]{3,}', '…', 'g') as reason, "
        "count(*) as legs from marts.rpt_unrated_legs group by 1, 2 order by 3 desc",
    ),
    (
        "chargeback",
        "Chargeback per cost centre and month",
        "select tenant_id, cost_centre, month, legs, cost, currency from marts.fct_chargeback_monthly "
        "order by tenant_id, month, cost_centre",
    ),
    (
        "budget_vs_actual",
        "Budget vs actual",
        "select * from marts.rpt_budget_vs_actual order by 1, 2, 3",
    ),
    (
        "trunk_busy_hours",
        "Trunk busy hours",
        "select tenant_id, site_id, trunk, channels, busy_hour_of_day, busy_hour_erlangs, "
        "busiest_hour_local_at, busiest_hour_peak_concurrent_legs, "
        "busiest_hour_channels_needed as channels_needed_at_1pct from marts.rpt_trunk_busy_hour "
        "order by busiest_hour_erlangs desc, 1, 2, 3",
    ),
)


def collect(warehouse: Warehouse) -> list[Section]:
    """Run every section's query; a missing mart becomes a section with `missing` set."""
    sections = []
    for key, title, sql in SECTIONS:
        try:
            columns, rows = query_table(warehouse, sql)
        except Exception as error:  # a mart not built yet: report it, keep going
            sections.append(Section(key, title, sql, (), (), missing=str(error).splitlines()[0]))
            continue
        sections.append(Section(key, title, sql, columns, tuple(rows)))
    return sections


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def render_text(sections: Sequence[Section], max_rows: int = 25) -> str:
    """Plain-text tables for the terminal."""
    out: list[str] = []
    for section in sections:
        out.append(f"\n== {section.title} ==")
        if section.missing:
            out.append(f"  (not available: {section.missing})")
            continue
        if not section.rows:
            out.append("  (no rows)")
            continue
        cells = [list(section.columns)] + [
            [_cell(v) for v in row] for row in section.rows[:max_rows]
        ]
        widths = [max(len(row[i]) for row in cells) for i in range(len(section.columns))]
        for n, row in enumerate(cells):
            out.append(
                "  "
                + "  ".join(
                    c.rjust(w) if n and _numeric(c) else c.ljust(w)
                    for c, w in zip(row, widths, strict=True)
                )
            )
            if n == 0:
                out.append("  " + "  ".join("-" * w for w in widths))
        if len(section.rows) > max_rows:
            out.append(f"  … {len(section.rows) - max_rows} more rows in the CSV")
    return "\n".join(out)


def _numeric(text: str) -> bool:
    return text.replace(".", "", 1).replace("-", "", 1).isdigit()


def write_files(sections: Sequence[Section], folder: Path) -> list[Path]:
    """One CSV per section plus summary.md; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    markdown = ["# Callmeter run summary\n"]
    for section in sections:
        markdown.append(f"## {section.title}\n")
        if section.missing:
            markdown.append(f"_Not available: {section.missing}_\n")
            continue
        path = folder / f"{section.key}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(section.columns)
            writer.writerows([[_cell(v) for v in row] for row in section.rows])
        written.append(path)
        markdown.append("| " + " | ".join(section.columns) + " |")
        markdown.append("|" + "---|" * len(section.columns))
        markdown.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in section.rows)
        markdown.append("")
    summary = folder / "summary.md"
    summary.write_text("\n".join(markdown), encoding="utf-8")
    return [summary, *written]
