"""`callmeter build`: the dbt build through Dagster, in process, then the serving snapshot."""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from callmeter.settings import load_warehouse
from callmeter.timing import Phases


@dataclass
class BuildResult:
    success: bool
    seconds: float
    materialized: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    serving_snapshot: Path | None = None
    phases: Phases = field(default_factory=Phases)


def run_build(job_name: str = "build_marts", verbose: bool = False) -> BuildResult:
    """Parse dbt, load the definitions, execute the job in process and publish the snapshot."""
    import dagster as dg

    from orchestration.lib.dbt_project import dbt_parse
    from orchestration.lib.serving import export_extension_baselines, publish_serving_snapshot

    started = time.monotonic()
    phases = Phases()
    with phases.phase("dbt parse"):
        dbt_parse()
    from orchestration.definitions import defs

    if not verbose:
        for name in ("dagster", "dagster.builtin"):
            logging.getLogger(name).setLevel(logging.ERROR)
            logging.getLogger(name).propagate = False
    with phases.phase("definitions"):
        job = defs().resolve_job_def(job_name)
    output = (
        contextlib.nullcontext()
        if verbose
        else contextlib.redirect_stdout(_DbtProgress(sys.stderr))
    )
    with output, dg.DagsterInstance.ephemeral() as instance, phases.phase("dagster run"):
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={
                "loggers": {"console": {"config": {"log_level": "INFO" if verbose else "ERROR"}}}
            },
        )
    materialized = sorted(
        event.asset_key.to_user_string()
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    )
    failed = [event.step_key or "?" for event in result.get_step_failure_events()]
    failed_checks = sorted(
        f"{e.asset_check_evaluation_data.asset_key.to_user_string()}:{e.asset_check_evaluation_data.check_name}"
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and not e.asset_check_evaluation_data.passed
    )
    snapshot = None
    warehouse = load_warehouse()
    if result.success:
        if warehouse.kind == "duckdb":  # Postgres mode: readers use the marts directly
            with phases.phase("serving snapshot"):
                snapshot = publish_serving_snapshot(warehouse)
        with phases.phase("baselines CSV"):
            export_extension_baselines(warehouse)
    return BuildResult(
        result.success,
        time.monotonic() - started,
        materialized,
        failed,
        failed_checks,
        snapshot,
        phases,
    )


class _DbtProgress(io.TextIOBase):
    """Stands in for stdout during a quiet build: dbt's per-node result lines become one short
    progress line each ("[12/150] OK stg_cucm__call_legs"); everything else is dropped."""

    _RESULT = re.compile(
        r"^\S*\s*(\d+) of (\d+) (OK|PASS|ERROR|FAIL|WARN|SKIP)\b.*?(?:model|seed|test|unit_test)?\s+([\w.]+)"
    )

    def __init__(self, target: TextIO) -> None:
        self._target = target
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            match = self._RESULT.match(line.strip())
            if match and match.group(3) in ("OK", "ERROR", "FAIL", "WARN"):
                number, total, status, name = match.groups()
                self._target.write(f"  [{number}/{total}] {status} {name}\n")
                self._target.flush()
        return len(text)
