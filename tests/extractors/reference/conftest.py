"""Fixtures for the reference-import tests: a DuckDB warehouse and dlt folder in tmp_path, and
the warehouse the CLI writes to."""

from __future__ import annotations

from pathlib import Path

import pytest

from callmeter.settings import Warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    """An empty DuckDB warehouse of the test's own."""
    return Warehouse.from_url(f"duckdb:///{tmp_path / 'callmeter.duckdb'}")


@pytest.fixture
def pipelines_dir(tmp_path: Path) -> str:
    """dlt's working folder for the test."""
    return str(tmp_path / "dlt")


@pytest.fixture
def cli_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    """The empty DuckDB warehouse (and data folder) that `callmeter` commands use in the test."""
    target = Warehouse.from_url(f"duckdb:///{tmp_path / 'cli.duckdb'}")
    monkeypatch.setenv("CALLMETER_WAREHOUSE", target.url)
    monkeypatch.setenv("CALLMETER_DATA_DIR", str(tmp_path / "data"))
    return target
