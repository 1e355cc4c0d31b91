"""Great Expectations checks on a landed batch of legs: they flag a bad batch, never drop data.

A batch is one dlt load (its _dlt_load_id). The expectations: timestamps parse and fall in a
sane range, durations are non-negative and under 24 h, answered_at lies between started_at and
ended_at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from callmeter.settings import Warehouse
from extractors.warehouse_sql import query_frame

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
DAY_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class BatchResult:
    passed: bool
    rows: int
    failures: dict[str, int]  # expectation -> failing rows


def latest_batch(warehouse: Warehouse, table: str) -> pd.DataFrame:
    """The rows of the most recent dlt load of raw.<table> (empty if none)."""
    columns = "started_at, answered_at, ended_at, duration_seconds, ring_seconds"
    sql = (
        f"select {columns} from raw.{table} "
        f"where _dlt_load_id = (select max(_dlt_load_id) from raw.{table})"
    )
    return query_frame(warehouse, sql, columns.split(", "), missing_ok=True)


def validate_legs_batch(frame: pd.DataFrame, now: datetime | None = None) -> BatchResult:
    """Run the expectations through Great Expectations (ephemeral context, pandas batch)."""
    import great_expectations as gx

    now = now or datetime.now(UTC)
    if frame.empty:
        return BatchResult(True, 0, {})
    frame = frame.copy()
    for name in ("started_at", "answered_at", "ended_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    # Derived flags so each rule is one column expectation.
    frame["answered_in_range"] = frame["answered_at"].isna() | (
        (frame["answered_at"] >= frame["started_at"]) & (frame["answered_at"] <= frame["ended_at"])
    )
    frame["ends_after_start"] = frame["ended_at"] >= frame["started_at"]
    lower, upper = pd.Timestamp(EARLIEST), pd.Timestamp(now + timedelta(days=1))

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("landed")
    asset = source.add_dataframe_asset("legs")
    batch = asset.add_batch_definition_whole_dataframe("batch")
    suite = context.suites.add(gx.ExpectationSuite("landed_legs"))
    expectations: dict[str, Any] = {
        "started_at_in_range": gx.expectations.ExpectColumnValuesToBeBetween(
            column="started_at", min_value=lower, max_value=upper
        ),
        "ended_at_in_range": gx.expectations.ExpectColumnValuesToBeBetween(
            column="ended_at", min_value=lower, max_value=upper
        ),
        "timestamps_present": gx.expectations.ExpectColumnValuesToNotBeNull(column="started_at"),
        "duration_under_24h": gx.expectations.ExpectColumnValuesToBeBetween(
            column="duration_seconds", min_value=0, max_value=DAY_SECONDS
        ),
        "answered_between_start_and_end": gx.expectations.ExpectColumnValuesToBeInSet(
            column="answered_in_range", value_set=[True]
        ),
        "ends_after_start": gx.expectations.ExpectColumnValuesToBeInSet(
            column="ends_after_start", value_set=[True]
        ),
    }
    for expectation in expectations.values():
        suite.add_expectation(expectation)
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name="landed_legs_check", data=batch, suite=suite)
    )
    result = validation.run(batch_parameters={"dataframe": frame})
    failures: dict[str, int] = {}
    for name, outcome in zip(expectations, result.results, strict=True):
        if not outcome.success:
            failures[name] = int(outcome.result.get("unexpected_count") or 0)
    return BatchResult(not failures, len(frame), failures)
