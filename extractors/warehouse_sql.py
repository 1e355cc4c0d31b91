"""Small read helpers over the warehouse for extractors, reports and checks (DuckDB or Postgres)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from callmeter.settings import Warehouse

Rows = list[tuple[Any, ...]]


def query_table(
    warehouse: Warehouse, sql: str, params: Sequence[Any] = (), *, missing_ok: bool = False
) -> tuple[tuple[str, ...], Rows]:
    """Run one read query on a short-lived read-only connection: (column names, rows).

    With missing_ok, a missing warehouse file, table or schema gives no columns and no rows."""
    if warehouse.kind == "duckdb":
        import duckdb

        if not warehouse.duckdb_path.exists():
            if missing_ok:
                return (), []
            raise FileNotFoundError(
                f"no warehouse at {warehouse.duckdb_path} (run callmeter ingest first)"
            )
        try:
            with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
                cursor = con.execute(sql.replace("%s", "?"), list(params))
                rows = cursor.fetchall()
                return tuple(d[0] for d in cursor.description), rows
        except duckdb.CatalogException:
            if missing_ok:
                return (), []
            raise
    import psycopg2
    import psycopg2.errors

    with psycopg2.connect(warehouse.url) as con, con.cursor() as cursor:
        try:
            cursor.execute(sql, list(params))
        except (psycopg2.errors.UndefinedTable, psycopg2.errors.InvalidSchemaName):
            if missing_ok:
                return (), []
            raise
        return tuple(d[0] for d in cursor.description), list(cursor.fetchall())


def query_rows(
    warehouse: Warehouse, sql: str, params: Sequence[Any] = (), *, missing_ok: bool = False
) -> Rows:
    """The rows of query_table."""
    return query_table(warehouse, sql, params, missing_ok=missing_ok)[1]
