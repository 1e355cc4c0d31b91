"""The single Dagster entry point. `dagster dev -m orchestration.definitions` shows the lineage."""

import os
from pathlib import Path

import dagster as dg

from callmeter.settings import load_warehouse, quiet_telemetry


@dg.definitions
def defs() -> dg.Definitions:
    """Load everything under orchestration/defs/. Keep this file free of business logic."""
    quiet_telemetry()
    os.environ.update(load_warehouse().dbt_env())  # dbt runs as a subprocess and reads these
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
