"""`callmeter ingest --format F --tenant T --site S FILE...`: land records in raw.* (idempotent).

`callmeter ingest --spool [DIR]` lands what the streaming sidecar spooled since the last run.

`callmeter ingest --inbox [DIR]` lands every new file of a drop folder laid out as
<DIR>/<tenant>/<site>/<format>/<file> (default: <data dir>/inbox)."""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    ingest = commands.add_parser("ingest", help="land call records in the warehouse's raw schema")
    ingest.add_argument("--format", dest="source_format", help="3cx, cucm, teams, …")
    ingest.add_argument("--tenant", help="tenant id from callmeter.yaml")
    ingest.add_argument("--site", help="site id from callmeter.yaml")
    ingest.add_argument(
        "--inbox",
        nargs="?",
        const="",
        metavar="DIR",
        help="land the new files of a drop folder <DIR>/<tenant>/<site>/<format>/ instead",
    )
    ingest.add_argument(
        "--spool",
        nargs="?",
        const="",
        metavar="DIR",
        help="land what the sidecar spooled since the last time (default: <data dir>/spool)",
    )
    ingest.add_argument("files", nargs="*", type=Path)
    ingest.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from callmeter.cli import CommandError
    from callmeter.config import load_config
    from callmeter.legs import FORMATS
    from callmeter.settings import data_dir, load_warehouse
    from extractors.inbox import LandingSummary, SourceFile, inbox_files, land_files

    config = load_config(args.config)
    warehouse = load_warehouse()
    if args.spool is not None:
        from extractors.inbox import land_spool

        spool = Path(args.spool) if args.spool else data_dir() / "spool"
        summary = land_spool(warehouse, config, spool)
        print(
            f"landed {summary.total_legs} legs and {summary.total_rejects} rejected records "
            f"from {summary.files} spooled feeds"
        )
        return 0
    if args.inbox is not None:
        inbox = Path(args.inbox) if args.inbox else data_dir() / "inbox"
        files = inbox_files(inbox)
        for source in files:
            if source.source_format not in FORMATS:
                raise CommandError(
                    f"{source.path}: folder {source.source_format!r} is not a format ({', '.join(FORMATS)})"
                )
            config.site(source.tenant_id, source.site_id)
        only_new = True
    else:
        missing = [name for name in ("source_format", "tenant", "site") if not getattr(args, name)]
        if missing or not args.files:
            raise CommandError("give --format, --tenant, --site and at least one FILE (or --inbox)")
        if args.source_format not in FORMATS:
            raise CommandError(
                f"unknown format {args.source_format!r} (known: {', '.join(FORMATS)})"
            )
        config.site(args.tenant, args.site)  # a clear error for an unknown tenant or site
        for path in args.files:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        files = [SourceFile(p, args.source_format, args.tenant, args.site) for p in args.files]
        only_new = False

    started = time.monotonic()
    total = len(files)

    done = itertools.count(1)

    def progress(source: SourceFile, legs: int, rejects: int) -> None:
        print(
            f"[{next(done)}/{total}] {source.path.name}: {legs} legs, {rejects} rejected",
            file=sys.stderr,
        )

    def landing(parsed: LandingSummary) -> None:
        # The look-up of landed keys and dlt's load come next, with no progress of their own.
        print(
            f"landing {parsed.total_legs} legs and {parsed.total_rejects} rejected records "
            f"in raw.* ({warehouse.kind})…",
            file=sys.stderr,
        )

    summary = land_files(
        warehouse, config, files, only_new=only_new, progress=progress, landing=landing
    )
    seconds = time.monotonic() - started
    print(
        f"landed {summary.total_legs} legs and {summary.total_rejects} rejected records "
        f"from {summary.files} files ({summary.skipped_files} already landed) in {seconds:.1f} s "
        f"({summary.phases})"
    )
    for fmt in sorted(summary.legs):
        print(f"  {fmt}: {summary.legs[fmt]} legs, {summary.rejects.get(fmt, 0)} rejected")
    if summary.total_rejects:
        print("rejected records are in raw.rejected_records with their reasons")
    return 0
