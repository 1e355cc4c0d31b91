"""The landing checks read the latest dlt load of a raw leg table from the warehouse itself."""

from pathlib import Path

import pytest

from callmeter.settings import Warehouse
from orchestration.lib.batch_checks import latest_batch, validate_legs_batch
from tests.landing import cucm_sample_records, land_cucm_records


def _check_latest_landing(warehouse: Warehouse, tmp_path: Path) -> None:
    assert latest_batch(warehouse, "cucm_call_legs").empty  # nothing landed yet
    records = cucm_sample_records()
    land_cucm_records(warehouse, tmp_path, "cdr_1.txt", records[:1])
    land_cucm_records(warehouse, tmp_path, "cdr_2.txt", records[1:])
    batch = latest_batch(warehouse, "cucm_call_legs")
    assert len(batch) == len(records) - 1  # the second file's legs only
    assert str(batch["started_at"].dt.tz) in ("UTC", "Etc/UTC")
    assert validate_legs_batch(batch).passed


@pytest.mark.integration
def test_the_latest_landed_batch_is_read_with_utc_timestamps_and_passes_on_duckdb(
    tmp_path: Path,
) -> None:
    _check_latest_landing(Warehouse.from_url(f"duckdb:///{tmp_path / 'wh.duckdb'}"), tmp_path)


@pytest.mark.integration
@pytest.mark.postgres
def test_the_latest_landed_batch_is_read_with_utc_timestamps_and_passes_on_postgres(
    tmp_path: Path, postgres_url: str
) -> None:
    _check_latest_landing(Warehouse.from_url(postgres_url), tmp_path)
