"""`callmeter statement --tenant T --month YYYY-MM [--cost-centre C] --out DIR [--xlsx]`: chargeback
statements per cost centre (CSV) and the GL journal `gl_journal_YYYY-MM.csv`, from the marts."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    statement = commands.add_parser(
        "statement", help="write cost-centre statements and the GL journal for a month (CSV)"
    )
    statement.add_argument("--tenant", required=True, help="tenant id from callmeter.yaml")
    statement.add_argument("--month", required=True, help="YYYY-MM, in the sites' local time")
    statement.add_argument("--cost-centre", help="only this cost centre ('-1' = unallocated legs)")
    statement.add_argument("--out", required=True, type=Path, help="folder for the files")
    statement.add_argument("--xlsx", action="store_true", help="also write one XLSX workbook")
    statement.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from callmeter.cli import CommandError
    from callmeter.settings import load_warehouse
    from reports import chargeback

    try:
        month = chargeback.Month.parse(args.month)
        warehouse = load_warehouse()
        lines = chargeback.statement_lines(warehouse, args.tenant, month, args.cost_centre)
    except (chargeback.StatementError, ValueError) as error:
        raise CommandError(str(error)) from None
    if not lines:
        scope = f" cost centre {args.cost_centre!r}" if args.cost_centre else ""
        raise CommandError(f"no legs for tenant {args.tenant!r}{scope} in {month}")
    journal = chargeback.journal_lines(lines, month)
    files = chargeback.write_statements(args.out, args.tenant, month, lines)
    files.append(chargeback.write_journal(args.out, month, journal))
    if args.xlsx:
        workbook = args.out / f"chargeback_{args.tenant}_{month}.xlsx"
        files.append(chargeback.write_xlsx(workbook, lines, journal))
    for path in files:
        print(path)
    return 0
