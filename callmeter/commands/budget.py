"""`callmeter budget import FILE --tenant T`: a tenant's monthly budgets (docs/imports.md).

The file is validated whole and refused with every problem listed, or it replaces the tenant's
budgets for the months it names (other months stay as they are)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    budget = commands.add_parser(
        "budget", help="import monthly budgets per department or cost centre"
    )
    actions = budget.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = actions.add_parser(
        "import", help="validate a budget file and replace its months", description=__doc__
    )
    imp.add_argument(
        "file",
        type=Path,
        help="CSV: department or cost_centre, month (YYYY-MM), amount[, currency]",
    )
    imp.add_argument("--tenant", required=True, help="tenant id from callmeter.yaml")
    imp.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from callmeter.cli import CommandError
    from callmeter.config import load_config
    from callmeter.settings import load_warehouse
    from extractors.reference import ImportRefused
    from extractors.reference.budgets import import_budgets

    if not args.file.is_file():
        raise CommandError(f"{args.file}: no such file")
    tenant = load_config(args.config).tenant(args.tenant)
    try:
        budgets = import_budgets(
            args.file,
            tenant.id,
            load_warehouse(),
            progress=lambda message: print(message, file=sys.stderr),
        )
    except ImportRefused as refused:
        raise CommandError(str(refused)) from None
    except OSError as error:
        raise CommandError(f"{args.file}: {error.strerror or error}") from None
    months = ", ".join(f"{month:%Y-%m}" for month in budgets.months)
    total = sum(b.amount for b in budgets.budgets)
    print(
        f"imported {len(budgets.budgets)} budgets of {tenant.id} for {months} "
        f"(total {total}); they replace the tenant's budgets for those months"
    )
    return 0
