"""The DuckDB warehouse the rating and chargeback tests share: built once per session (two dbt
builds: the first card version, then a second version that re-costs the legs it covers)."""

from __future__ import annotations

from typing import Any

import pytest

from callmeter.settings import Warehouse
from tests.dbt import warehouse as wh


@pytest.fixture(scope="session")
def duckdb_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, Any], dict[str, Any], set[str], Warehouse]:
    """(legs after v1, legs after v2, legs re-rated by v2, the warehouse)."""
    tmp_path = tmp_path_factory.mktemp("rating")
    warehouse = Warehouse.from_url(f"duckdb:///{tmp_path / 'callmeter.duckdb'}")
    return (*wh.build_and_recost(warehouse, tmp_path), warehouse)
