"""An asset check on every raw leg table: the latest landed batch passes the GX expectations.
A failing check warns (severity WARN, not blocking): bad batches are flagged, data is kept."""

import dagster as dg

from callmeter.settings import load_warehouse
from extractors.raw_tables import LEG_TABLES


def _batch_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", table]),
        name="latest_batch_is_sane",
        blocking=False,
        description="Timestamps in a sane range, durations 0..24 h, answered_at within the leg.",
    )
    def check() -> dg.AssetCheckResult:
        from orchestration.lib.batch_checks import latest_batch, validate_legs_batch

        result = validate_legs_batch(latest_batch(load_warehouse(), table))
        return dg.AssetCheckResult(
            passed=result.passed,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "rows": result.rows,
                **{f"failing_{k}": v for k, v in result.failures.items()},
            },
        )

    return check


batch_checks = [_batch_check(table) for table in LEG_TABLES.values()]
