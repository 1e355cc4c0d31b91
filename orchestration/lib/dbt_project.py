"""Where the dbt project is, and how to make sure its manifest exists before definitions load."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from callmeter.settings import load_warehouse

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")  # the venv's dbt, whatever PATH says


def dbt_parse(quiet: bool = True) -> Path:
    """`dbt parse` in process (partial: only what changed is parsed again): dagster-dbt needs target/manifest.json to load."""
    from dbt.cli.main import dbtRunner

    os.environ.update(load_warehouse().dbt_env())
    args = [
        "parse",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    result = dbtRunner().invoke([*args, "--quiet"] if quiet else args)
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")
    return DBT_PROJECT_DIR / "target" / "manifest.json"
