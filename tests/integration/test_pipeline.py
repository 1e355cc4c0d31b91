"""parse -> ingest -> build, end to end through the CLI, on DuckDB and on PostgreSQL.

The CLI runs in a subprocess, as a user runs it: the warehouse decision is made once per process
(Dagster's dbt project binds its target at import)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callmeter.settings import Warehouse
from callmeter.timing import read_phases
from extractors.warehouse_sql import query_rows
from tests.paths import FIXTURES, PBX

CALLMETER = [sys.executable, "-m", "callmeter"]
LEGS_SQL = (
    "select source_record_id, started_at, answered_at, duration_seconds, disposition, "
    "called_e164 from marts.fct_call_legs order by source_record_id"
)


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*CALLMETER, *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (
        f"callmeter {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    )
    return result


def _pipeline(warehouse_url: str, tmp_path: Path) -> list[tuple[object, ...]]:
    env = os.environ | {
        "CALLMETER_WAREHOUSE": warehouse_url,
        "CALLMETER_DATA_DIR": str(tmp_path / "data"),
        "CALLMETER_CONFIG": str(FIXTURES / "callmeter.yaml"),
    }
    parsed = _run(["parse", "--format", "cucm", str(PBX / "cucm/cdr.txt")], env)
    assert len(parsed.stdout.splitlines()) == 3
    ingested = _run(
        [
            "ingest",
            "--format",
            "cucm",
            "--tenant",
            "acme",
            "--site",
            "portland",
            str(PBX / "cucm/cdr.txt"),
        ],
        env,
    )
    built = _run(["build"], env)
    assert "assets materialized" in built.stdout
    # Each long command says where its time went, and announces the landing before it starts.
    assert "landing 3 legs and 0 rejected records in raw.*" in ingested.stderr
    assert list(_phases(ingested.stdout, "landed ")) == ["parse", "land"]
    assert list(_phases(built.stdout, "assets materialized")) == [
        "dbt parse",
        "definitions",
        "dagster run",
        *(["serving snapshot"] if warehouse_url.startswith("duckdb") else []),
        "baselines CSV",
    ]
    return query_rows(Warehouse.from_url(warehouse_url), LEGS_SQL)


def _phases(stdout: str, summary: str) -> dict[str, float]:
    [line] = [line for line in stdout.splitlines() if summary in line]
    return read_phases(line)


def _check_legs(rows: list[tuple[object, ...]]) -> None:
    assert len(rows) == 3
    answered = [r for r in rows if r[4] == "answered"]
    assert len(answered) == 1
    assert str(answered[0][1]) == "2025-04-18 16:32:08"
    assert answered[0][3] == 11


@pytest.mark.integration
def test_a_cucm_file_becomes_marts_on_duckdb_and_the_serving_snapshot_is_published(
    tmp_path: Path,
) -> None:
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    rows = _pipeline(url, tmp_path)
    _check_legs(rows)
    snapshot = tmp_path / "data/serving/callmeter_serving.duckdb"
    assert query_rows(Warehouse.from_url(f"duckdb:///{snapshot}"), LEGS_SQL) == rows
    baselines = (tmp_path / "data/serving/extension_baselines.csv").read_text().splitlines()
    assert baselines[0] == "tenant_id,site_id,extension,hour_of_week,metric,mean,stddev"


@pytest.mark.integration
@pytest.mark.postgres
def test_a_cucm_file_becomes_the_same_marts_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    rows = _pipeline(postgres_url, tmp_path)
    _check_legs(rows)
    schemas = {
        r[0]
        for r in query_rows(
            Warehouse.from_url(postgres_url), "select schema_name from information_schema.schemata"
        )
    }
    assert {"raw", "staging", "intermediate", "marts"} <= schemas
