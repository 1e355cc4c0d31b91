"""Small read helpers over the warehouse for extractors and the CLI (DuckDB or Postgres)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from callmeter.settings import Warehouse


def query_rows(
    warehouse: Warehouse, sql: str, params: Sequence[Any] = (), *, missing_ok: bool = False
) -> list[tuple[Any, ...]]:
    """Run one read query; with missing_ok, a missing table or schema gives no rows."""
    if warehouse.kind == "duckdb":
        import duckdb

        if not warehouse.duckdb_path.exists():
            if missing_ok:
                return []
            raise FileNotFoundError(
                f"no warehouse at {warehouse.duckdb_path} (run callmeter ingest first)"
            )
        try:
            with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
                return con.execute(sql.replace("%s", "?"), list(params)).fetchall()
        except duckdb.CatalogException:
            if missing_ok:
                return []
            raise
    import psycopg2
    import psycopg2.errors

    with psycopg2.connect(warehouse.url) as con, con.cursor() as cursor:
        try:
            cursor.execute(sql, list(params))
        except (psycopg2.errors.UndefinedTable, psycopg2.errors.InvalidSchemaName):
            if missing_ok:
                return []
            raise
        return list(cursor.fetchall())
