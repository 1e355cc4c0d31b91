"""The serving snapshot (docs/design.md): in DuckDB mode the API, board and reports read a copy of
the marts that each successful build publishes atomically, so they keep answering while a
pipeline run holds the warehouse's single writer lock."""

from __future__ import annotations

import os
from pathlib import Path

from callmeter.settings import Warehouse, data_dir

SERVING_FILE = "callmeter_serving.duckdb"


def serving_path() -> Path:
    return data_dir() / "serving" / SERVING_FILE


def publish_serving_snapshot(warehouse: Warehouse, target: Path | None = None) -> Path | None:
    """Copy every table of schema marts into a new file, then rename it into place (atomic)."""
    if warehouse.kind != "duckdb":
        return None  # Postgres mode: readers use the marts directly
    import duckdb

    target = target or serving_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    with duckdb.connect(str(staging)) as con:
        con.execute(f"attach '{warehouse.duckdb_path}' as warehouse (read_only)")
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'warehouse' "
                "and table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        con.execute("create schema marts")
        for table in tables:
            con.execute(f'create table marts."{table}" as select * from warehouse.marts."{table}"')
        con.execute("detach warehouse")
    os.replace(staging, target)
    return target


BASELINES_FILE = "extension_baselines.csv"


def export_extension_baselines(warehouse: Warehouse, target: Path | None = None) -> Path | None:
    """Write marts.rpt_extension_baselines as the CSV the sidecar's anomaly rule reads
    (`baselines:` in its rule; docs/streaming.md), atomically, next to the serving snapshot."""
    import csv

    from extractors.warehouse_sql import query_rows

    columns = ("tenant_id", "site_id", "extension", "hour_of_week", "metric", "mean", "stddev")
    rows = query_rows(
        warehouse,
        f"select {', '.join(columns)} from marts.rpt_extension_baselines order by 1, 2, 3, 4, 5",
        missing_ok=True,
    )
    target = target or data_dir() / "serving" / BASELINES_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with staging.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    os.replace(staging, target)
    return target
