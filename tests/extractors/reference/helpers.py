"""Helpers for the reference-import tests: table counts and small files."""

from __future__ import annotations

from pathlib import Path

from callmeter.settings import Warehouse
from extractors.warehouse_sql import query_rows
from tests.paths import FIXTURES

REFERENCE = FIXTURES / "reference"


def count(
    warehouse: Warehouse, table: str, where: str = "", params: tuple[object, ...] = ()
) -> int:
    """Rows in raw.<table> (0 when it does not exist yet)."""
    sql = f"select count(*) from raw.{table}" + (f" where {where}" if where else "")
    rows = query_rows(warehouse, sql, params, missing_ok=True)
    return int(rows[0][0]) if rows else 0


def rows(
    warehouse: Warehouse, sql: str, params: tuple[object, ...] = ()
) -> list[tuple[object, ...]]:
    """All rows of a query on the warehouse."""
    return query_rows(warehouse, sql, params)


def write(path: Path, text: str) -> Path:
    """Write a small CSV for a test and return its path."""
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path
