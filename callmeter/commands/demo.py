"""`callmeter demo`: the main job on the embedded DuckDB default, from the bundled sample feeds of
every format to rated, allocated marts and rendered reports, with a summary at the end.

It works in its own data folder (default ./data/demo, recreated each run), so it never mixes
sample calls into a real warehouse."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"


def register(commands: Any) -> None:
    demo = commands.add_parser("demo", help="run the whole pipeline on bundled sample feeds")
    demo.add_argument(
        "--workdir",
        type=Path,
        default=Path("data/demo"),
        help="data folder for the demo's warehouse, inbox and reports (recreated; default ./data/demo)",
    )
    demo.set_defaults(handler=run)


def _step(number: int, total: int, text: str) -> None:
    print(f"\n[{number}/{total}] {text}", flush=True)


def run(args: argparse.Namespace) -> int:
    from callmeter.cli import CommandError, main

    started = time.monotonic()
    workdir: Path = args.workdir.resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    config = (args.config or DEMO_DIR / "callmeter.yaml").resolve()
    os.environ["CALLMETER_DATA_DIR"] = str(workdir)
    os.environ["CALLMETER_WAREHOUSE"] = f"duckdb:///{workdir / 'callmeter.duckdb'}"
    os.environ["CALLMETER_CONFIG"] = str(config)
    os.environ.setdefault("DAGSTER_HOME", str(workdir / "dagster"))
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    dagster_yaml = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    if not dagster_yaml.exists():
        dagster_yaml.write_text("telemetry:\n  enabled: false\n")
    total = 5

    def call(*argv: str) -> None:
        status = main(["--config", str(config), *argv])
        if status != 0:
            raise CommandError(f"step `callmeter {' '.join(argv)}` failed (exit {status})")

    _step(1, total, f"dropping the sample feeds into {workdir / 'inbox'} and landing them")
    shutil.copytree(DEMO_DIR / "feeds", workdir / "inbox")
    call("ingest", "--inbox", str(workdir / "inbox"))

    _step(2, total, "importing rate cards, the directory, budgets and account codes")
    _import_reference(call)

    _step(3, total, "building the marts (dbt through Dagster)")
    call("build")

    _step(4, total, "rendering reports")
    from callmeter.commands.report import render_reports

    sections, written = render_reports(workdir / "reports")

    _step(5, total, "summary")
    from reports.summary import render_text

    print(render_text(sections))
    print(f"\nreports written to {workdir / 'reports'}:")
    for path in written:
        print(f"  {path.name}")
    print(
        f"\ndemo finished in {time.monotonic() - started:.0f} s; warehouse: {workdir / 'callmeter.duckdb'}"
    )
    missing = [s.title for s in sections if s.missing]
    if missing:
        print(f"sections not available: {', '.join(missing)}", file=sys.stderr)
    return 0


def _import_reference(call: Any) -> None:
    import yaml

    plan = yaml.safe_load((DEMO_DIR / "reference" / "imports.yaml").read_text())
    folder = DEMO_DIR / "reference"
    for card in plan.get("ratecards", []):
        argv = [
            "ratecard",
            "import",
            str(folder / card["file"]),
            "--carrier",
            card["carrier"],
            "--effective-from",
            card["effective_from"],
        ]
        if card.get("tenant"):
            argv += ["--tenant", card["tenant"]]
        if card.get("resale"):
            argv.append("--resale")
        call(*argv)
    for kind, command in (
        ("directory", "directory"),
        ("budgets", "budget"),
        ("account_codes", "accountcodes"),
    ):
        for item in plan.get(kind, []):
            call(command, "import", str(folder / item["file"]), "--tenant", item["tenant"])
