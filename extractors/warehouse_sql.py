"""Small read helpers over the warehouse for extractors, reports and checks (DuckDB or Postgres)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from callmeter.settings import Warehouse

if TYPE_CHECKING:
    import pandas as pd

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


def query_frame(
    warehouse: Warehouse, sql: str, columns: Sequence[str], *, missing_ok: bool = False
) -> pd.DataFrame:
    """The rows of a read query as a pandas frame with these columns (empty if missing_ok and
    the table is missing). DuckDB hands its result over as Arrow: a million rows of timestamps
    took 23 s as Python tuples and take well under a second this way."""
    import pandas as pd

    if warehouse.kind == "duckdb":
        import duckdb

        if warehouse.duckdb_path.exists():
            try:
                with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
                    frame: pd.DataFrame = con.sql(sql).to_arrow_table().to_pandas()
                    return frame
            except duckdb.CatalogException:
                if not missing_ok:
                    raise
        elif not missing_ok:
            raise FileNotFoundError(
                f"no warehouse at {warehouse.duckdb_path} (run callmeter ingest first)"
            )
        return pd.DataFrame(columns=list(columns))
    names, rows = query_table(warehouse, sql, missing_ok=missing_ok)
    return pd.DataFrame(rows, columns=list(names or columns))
