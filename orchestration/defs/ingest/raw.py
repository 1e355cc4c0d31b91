"""Raw landing as Dagster sees it: the inbox asset (one key per raw table, so lineage joins the
dbt sources by itself), the config sync, a drop-folder sensor and the ingest + build schedule."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from callmeter.config import load_config
from callmeter.legs import FORMATS
from callmeter.settings import data_dir, load_warehouse
from extractors.raw_tables import LEG_TABLES

INBOX_TABLES = [*LEG_TABLES.values(), "rejected_records", "ingested_files"]
CONFIG_TABLES = ["tenants", "sites", "site_trunks"]


class InboxConfig(dg.Config):
    """Which files to land; empty = every file in the drop folder not landed before."""

    files: list[str] = []


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=["raw", table],
            group_name="ingest",
            kinds={"dlt"},
            description=f"raw.{table}, landed by dlt from the drop folder <data>/inbox/<tenant>/<site>/<format>/.",
        )
        for table in INBOX_TABLES
    ],
    name="raw_inbox",
)
def raw_inbox(
    context: dg.AssetExecutionContext, config: InboxConfig
) -> Iterator[dg.MaterializeResult]:
    """Parse and land new drop-folder files (each file once: its SHA-256 is kept in
    raw.ingested_files) and whatever the streaming sidecar spooled since the last run."""
    from extractors.inbox import inbox_files, land_files, land_spool

    inbox = data_dir() / "inbox"
    files = inbox_files(inbox)
    if config.files:
        wanted = {str(Path(f).resolve()) for f in config.files}
        files = [f for f in files if str(f.path.resolve()) in wanted]
    files = [f for f in files if f.source_format in FORMATS]
    summary = land_files(
        load_warehouse(),
        load_config(),
        files,
        only_new=True,
        progress=lambda f, legs, rejects: context.log.info(
            f"{f.path.name}: {legs} legs, {rejects} rejected"
        ),
    )
    spooled = land_spool(load_warehouse(), load_config(), data_dir() / "spool")
    context.log.info(f"spool: {spooled.total_legs} legs, {spooled.total_rejects} rejected")
    for fmt, count in spooled.legs.items():
        summary.legs[fmt] = summary.legs.get(fmt, 0) + count
    for fmt, count in spooled.rejects.items():
        summary.rejects[fmt] = summary.rejects.get(fmt, 0) + count
    for fmt, table in LEG_TABLES.items():
        yield dg.MaterializeResult(
            asset_key=["raw", table],
            metadata={"legs": summary.legs.get(fmt, 0), "rejects": summary.rejects.get(fmt, 0)},
        )
    yield dg.MaterializeResult(
        asset_key=["raw", "rejected_records"], metadata={"rejects": summary.total_rejects}
    )
    yield dg.MaterializeResult(
        asset_key=["raw", "ingested_files"],
        metadata={"files": summary.files, "already_landed": summary.skipped_files},
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=["raw", table],
            group_name="ingest",
            kinds={"dlt"},
            description=f"raw.{table}: callmeter.yaml as a table, replaced before every build.",
        )
        for table in CONFIG_TABLES
    ],
    name="raw_config",
)
def raw_config() -> Iterator[dg.MaterializeResult]:
    """Sync tenants, sites (dial plans, carriers) and trunks from callmeter.yaml into raw.*."""
    from extractors.config_tables import config_rows, land_config

    config = load_config()
    land_config(load_warehouse(), config)
    rows = config_rows(config)
    for table in CONFIG_TABLES:
        yield dg.MaterializeResult(asset_key=["raw", table], metadata={"rows": len(rows[table])})


ingest_and_build = dg.define_asset_job(
    "ingest_and_build",
    selection=dg.AssetSelection.groups("ingest", "reference", "staging", "intermediate", "marts"),
)

ingest_and_build_schedule = dg.ScheduleDefinition(
    name="ingest_and_build_every_15_minutes",
    job=ingest_and_build,
    cron_schedule="*/15 * * * *",
    execution_timezone="UTC",
)


@dg.sensor(job=ingest_and_build, minimum_interval_seconds=30)
def inbox_sensor(context: dg.SensorEvaluationContext) -> "dg.SensorResult | dg.SkipReason":
    """A run per new drop-folder file; the run key (path, size, mtime) makes each file run once."""
    from extractors.inbox import inbox_files

    inbox = data_dir() / "inbox"
    seen_until = float(context.cursor or 0)
    requests, newest = [], seen_until
    for source in inbox_files(inbox):
        stat = source.path.stat()
        if stat.st_mtime <= seen_until:
            continue
        newest = max(newest, stat.st_mtime)
        requests.append(
            dg.RunRequest(
                run_key=f"{source.path}:{stat.st_size}:{stat.st_mtime_ns}",
                run_config={"ops": {"raw_inbox": {"config": {"files": [str(source.path)]}}}},
                tags={"callmeter/file": source.path.name},
            )
        )
    if not requests:
        return dg.SkipReason(f"no new files in {inbox}")
    return dg.SensorResult(run_requests=requests, cursor=str(newest))
