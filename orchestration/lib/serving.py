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
