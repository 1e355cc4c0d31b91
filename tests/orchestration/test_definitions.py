from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from extractors.raw_tables import LEG_TABLES


@pytest.fixture(scope="module")
def loaded() -> dg.Definitions:
    from orchestration.lib.dbt_project import dbt_parse

    dbt_parse()
    from orchestration.definitions import defs

    return defs()


@pytest.mark.integration
def test_every_raw_table_feeds_its_staging_model(loaded: dg.Definitions) -> None:
    graph = loaded.resolve_asset_graph()
    for fmt, table in LEG_TABLES.items():
        staging = graph.get(dg.AssetKey(["staging", f"stg_{fmt}__call_legs"]))
        assert dg.AssetKey(["raw", table]) in staging.parent_keys


@pytest.mark.integration
def test_marts_fixed_by_the_design_are_assets(loaded: dg.Definitions) -> None:
    keys = {k.to_user_string() for k in loaded.resolve_asset_graph().get_all_asset_keys()}
    assert {
        "marts/fct_call_legs",
        "marts/dim_sites",
        "marts/dim_tenants",
        "marts/dim_extensions",
    } <= keys


@pytest.mark.integration
def test_the_ingest_schedule_and_the_drop_folder_sensor_are_registered(
    loaded: dg.Definitions,
) -> None:
    repo = loaded.get_repository_def()
    assert [(s.name, s.cron_schedule, s.execution_timezone) for s in repo.schedule_defs] == [
        ("ingest_and_build_every_15_minutes", "*/15 * * * *", "UTC")
    ]
    assert "inbox_sensor" in {s.name for s in repo.sensor_defs}


@pytest.mark.integration
def test_the_drop_folder_sensor_requests_one_run_per_new_file(
    loaded: dg.Definitions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLMETER_DATA_DIR", str(tmp_path))
    folder = tmp_path / "inbox/acme/london/cucm"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("x")
    sensor = loaded.get_repository_def().get_sensor_def("inbox_sensor")
    first = sensor(dg.build_sensor_context(cursor=None))
    assert isinstance(first, dg.SensorResult) and len(first.run_requests or []) == 1
    again = sensor(dg.build_sensor_context(cursor=first.cursor))
    assert isinstance(again, dg.SkipReason)


def test_a_sane_batch_passes_the_landing_checks() -> None:
    from orchestration.lib.batch_checks import validate_legs_batch

    frame = pd.DataFrame(
        {
            "started_at": [pd.Timestamp("2025-04-18 16:32:08", tz="UTC")],
            "answered_at": [pd.Timestamp("2025-04-18 16:32:10", tz="UTC")],
            "ended_at": [pd.Timestamp("2025-04-18 16:32:21", tz="UTC")],
            "duration_seconds": [11],
            "ring_seconds": [2],
        }
    )
    assert validate_legs_batch(frame).passed


def test_a_batch_with_impossible_legs_is_flagged_but_not_dropped() -> None:
    from orchestration.lib.batch_checks import validate_legs_batch

    start = pd.Timestamp("2025-04-18 16:00:00", tz="UTC")
    frame = pd.DataFrame(
        {
            "started_at": [start, pd.Timestamp("1970-01-01", tz="UTC"), start],
            "answered_at": [start + pd.Timedelta(hours=2), None, None],
            "ended_at": [
                start + pd.Timedelta(hours=1),
                pd.Timestamp("1970-01-01", tz="UTC"),
                start,
            ],
            "duration_seconds": [90_000, 0, -1],
            "ring_seconds": [None, None, None],
        }
    )
    result = validate_legs_batch(frame)
    assert not result.passed
    assert result.rows == 3
    assert result.failures["duration_under_24h"] == 2
    assert result.failures["answered_between_start_and_end"] == 1
    assert result.failures["started_at_in_range"] == 1
