"""Every dbt unit test (rating rules, dial plan, allocation, calls, capacity) and every data test
runs in CI on both engines: a whole-project `dbt build` on an empty warehouse. Production builds
through Dagster skip unit tests (ADR 0001), so this is where they run."""

from __future__ import annotations

from pathlib import Path

import pytest

from callmeter.config import load_config
from callmeter.settings import Warehouse
from extractors.config_tables import land_config
from orchestration.lib.dbt_project import run_dbt
from tests.paths import FIXTURES


def _build_everything(warehouse: Warehouse, tmp_path: Path) -> list[str]:
    land_config(warehouse, load_config(FIXTURES / "callmeter.yaml"), str(tmp_path / "dlt"))
    result = run_dbt(warehouse, ["build"], tmp_path / "target")
    outcomes = [(r.node.resource_type, r.node.name, str(r.status)) for r in (result.result or [])]
    failed = [
        f"{name}: {status}" for _, name, status in outcomes if status not in ("success", "pass")
    ]
    assert result.success and not failed, f"dbt build failed: {failed or result.exception}"
    return [name for kind, name, _ in outcomes if str(kind).endswith("unit_test")]


@pytest.mark.integration
def test_every_dbt_unit_test_passes_on_duckdb(tmp_path: Path) -> None:
    unit_tests = _build_everything(
        Warehouse.from_url(f"duckdb:///{tmp_path / 'wh.duckdb'}"), tmp_path
    )
    assert "test_dialled_numbers_become_e164_with_the_sites_dial_plan" in unit_tests
    assert len(unit_tests) >= 20


@pytest.mark.integration
@pytest.mark.postgres
def test_every_dbt_unit_test_passes_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    unit_tests = _build_everything(Warehouse.from_url(postgres_url), tmp_path)
    assert len(unit_tests) >= 20
