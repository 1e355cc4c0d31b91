"""`callmeter pull --source teams|zoom --tenant T --site S [--since ISO]`: one pull of a vendor
call-record API into raw.<source>_call_legs and raw.rejected_records of the configured warehouse.

Credentials come from the environment as dlt reads them (SOURCES__TEAMS__CLIENT_SECRET, …; see
extractors/teams/README.md and extractors/zoom/README.md). Each tenant and site keeps its own dlt
state, so the next pull resumes from the last landed end time minus the overlap."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

SOURCES = ("teams", "zoom")


def register(commands: Any) -> None:
    pull = commands.add_parser(
        "pull", help="pull call records from the Teams or Zoom Phone API into raw.*"
    )
    pull.add_argument("--source", required=True, choices=SOURCES, help="which vendor API")
    pull.add_argument("--tenant", required=True, help="tenant id in callmeter.yaml")
    pull.add_argument("--site", required=True, help="site id of the tenant in callmeter.yaml")
    pull.add_argument(
        "--since",
        help="ISO date or time (UTC unless it has an offset): pull [since, now] once as a backfill; "
        "default: resume after the last pull",
    )
    pull.set_defaults(handler=run)


def parse_since(text: str) -> datetime:
    """`2024-03-01` or `2024-03-01T08:00:00+01:00` -> an aware UTC datetime."""
    from callmeter.cli import CommandError

    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(
            f"--since: not an ISO date or time: {text!r} (e.g. 2024-03-01)"
        ) from None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if value > datetime.now(UTC):
        raise CommandError(f"--since: {text} is in the future")
    return value


def run(args: argparse.Namespace) -> int:
    from callmeter.cli import CommandError
    from callmeter.config import load_config
    from callmeter.settings import load_warehouse

    config = load_config(args.config)
    config.site(args.tenant, args.site)  # a ConfigError naming the known ids if either is wrong
    since = parse_since(args.since) if args.since else None
    try:
        warehouse = load_warehouse()
    except ValueError as error:
        raise CommandError(str(error)) from None

    from dlt.common.configuration.exceptions import ConfigFieldMissingException
    from dlt.pipeline.exceptions import PipelineStepFailed

    from extractors.destinations import raw_pipeline
    from extractors.raw_tables import legs_table_name

    try:
        if args.source == "teams":
            from extractors.teams import teams_source

            source = teams_source(args.tenant, args.site, since=since)
        else:
            from extractors.zoom import zoom_source

            source = zoom_source(args.tenant, args.site, since=since)
    except ConfigFieldMissingException as error:
        missing = ", ".join(f"SOURCES__{args.source.upper()}__{f.upper()}" for f in error.fields)
        raise CommandError(f"missing credentials for {args.source}: set {missing}") from None
    pipeline = raw_pipeline(f"callmeter_{args.source}_{args.tenant}_{args.site}", warehouse)
    try:
        pipeline.run(source)
    except PipelineStepFailed as error:
        raise CommandError(_cause(error)) from None
    counts = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
    legs_table = legs_table_name(args.source)
    legs = counts.get(legs_table, 0)
    rejects = counts.get("rejected_records", 0)
    window = f"from {since.isoformat()}" if since else "resuming after the last pull"
    print(
        f"callmeter pull: {args.source} for {args.tenant}/{args.site} ({window}): "
        f"{legs} legs -> raw.{legs_table}, {rejects} rejected -> raw.rejected_records"
    )
    return 0


def _cause(error: BaseException) -> str:
    """The innermost message worth showing: our SourceError if there is one, else dlt's."""
    from extractors.teams.helpers import SourceError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, SourceError):
            return str(seen)
        seen = getattr(seen, "exception", None) or seen.__cause__ or seen.__context__
    return str(error).splitlines()[0]
