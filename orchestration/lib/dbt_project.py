"""Where the dbt project is, and how to make sure its manifest exists before definitions load."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callmeter.settings import Warehouse, load_warehouse

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")  # the venv's dbt, whatever PATH says


# Where dbt finds the project and profiles.yml, for every in-process invocation.
_PROJECT_ARGS = ("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR))


def dbt_parse(quiet: bool = True) -> Path:
    """`dbt parse` in process, partial (only what changed is parsed again): dagster-dbt needs
    target/manifest.json to load.

    Unlike `run_dbt`, it leaves the warehouse's dbt variables set for the rest of the process,
    as orchestration/definitions.py does: the `dbt build` Dagster starts as a subprocess reads
    them."""
    from dbt.cli.main import dbtRunner

    os.environ.update(load_warehouse().dbt_env())
    args = ["parse", *_PROJECT_ARGS]
    result = dbtRunner().invoke([*args, "--quiet"] if quiet else args)
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")
    return DBT_PROJECT_DIR / "target" / "manifest.json"


@contextmanager
def warehouse_env(warehouse: Warehouse) -> Iterator[None]:
    """The variables profiles.yml reads set for this warehouse, and put back afterwards."""
    variables = warehouse.dbt_env()
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_dbt(warehouse: Warehouse, args: Sequence[str], target_path: Path) -> dbtRunnerResult:
    """dbt in process against the warehouse (`args` = the command and its own options), quiet,
    with its own target and log folder (runs side by side never share artifacts)."""
    from dbt.cli.main import dbtRunner

    with warehouse_env(warehouse):
        return dbtRunner().invoke(
            [
                *args,
                *_PROJECT_ARGS,
                "--target-path",
                str(target_path),
                "--log-path",
                str(target_path / "logs"),
                "--quiet",
            ]
        )


def failed_nodes(result: dbtRunnerResult) -> list[str]:
    """`name: status message` of every node of a dbt run that neither succeeded nor passed."""
    nodes: Any = result.result or []  # a RunExecutionResult for build, run and test
    return [
        f"{r.node.name}: {r.status} {r.message}"
        for r in nodes
        if str(r.status) not in ("success", "pass")
    ]
