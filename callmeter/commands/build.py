"""`callmeter build`: run the dbt build through Dagster (in process) so the marts are current."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(commands: Any) -> None:
    build = commands.add_parser("build", help="build the marts (dbt through Dagster, in process)")
    build.add_argument("--verbose", action="store_true", help="show Dagster's and dbt's event log")
    build.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import os

    from callmeter.config import config_path, load_config

    if args.config:
        os.environ["CALLMETER_CONFIG"] = str(args.config.resolve())
    load_config(config_path())  # a config error is reported before anything starts
    from orchestration.lib.build import run_build

    print("building the marts (dbt through Dagster)…", file=sys.stderr)
    result = run_build(verbose=args.verbose)
    print(
        f"{len(result.materialized)} assets materialized in {result.seconds:.1f} s "
        f"({result.phases})"
    )
    for check in result.failed_checks:
        print(f"  failed check: {check}")
    if not result.success:
        print(
            f"build failed in: {', '.join(result.failed_steps)} (rerun with --verbose)",
            file=sys.stderr,
        )
        return 1
    if result.serving_snapshot:
        print(f"serving snapshot published: {result.serving_snapshot}")
    return 0
