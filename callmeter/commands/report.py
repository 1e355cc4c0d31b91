"""`callmeter report [--out DIR]`: render the summary of the current marts (legs and minutes per site
and direction, calls per PBX, costs, chargeback, budget vs actual, trunk busy hours) as text, and
as Markdown, CSV, XLSX and PDF files in DIR (default <data dir>/reports)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    report = commands.add_parser("report", help="render the summary report of the current marts")
    report.add_argument(
        "--out", type=Path, help="folder for the files (default <data dir>/reports)"
    )
    report.set_defaults(handler=run)


def render_reports(folder: Path) -> tuple[list[Any], list[Path]]:
    """Collect the summary from the serving snapshot (DuckDB) or the marts (Postgres), write it."""
    from callmeter.settings import load_warehouse
    from orchestration.lib.serving import serving_path
    from reports.documents import write_pdf, write_xlsx
    from reports.summary import collect, write_files

    warehouse = load_warehouse()
    if warehouse.kind == "duckdb" and serving_path().exists():
        warehouse = load_warehouse({"CALLMETER_WAREHOUSE": f"duckdb:///{serving_path()}"})
    sections = collect(warehouse)
    written = write_files(sections, folder)
    written += [
        write_xlsx(sections, folder / "summary.xlsx"),
        write_pdf(sections, folder / "summary.pdf"),
    ]
    return sections, written


def run(args: argparse.Namespace) -> int:
    from callmeter.settings import data_dir
    from reports.summary import render_text

    folder = args.out or data_dir() / "reports"
    sections, written = render_reports(folder)
    print(render_text(sections))
    print(f"\nreports written to {folder}: {', '.join(p.name for p in written)}")
    return 0
