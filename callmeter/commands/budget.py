"""`callmeter budget import FILE --tenant T`: a tenant's monthly budgets (docs/imports.md).

The file is validated whole and refused with every problem listed, or it replaces the tenant's
budgets for the months it names (other months stay as they are)."""

from __future__ import annotations

import argparse
from typing import Any

from ._reference import add_tenant_import, run_tenant_import, to_stderr


def register(commands: Any) -> None:
    add_tenant_import(
        commands,
        "budget",
        run,
        help="import monthly budgets per department or cost centre",
        import_help="validate a budget file and replace its months",
        description=__doc__,
        file="CSV: department or cost_centre, month (YYYY-MM), amount[, currency]",
    )


def run(args: argparse.Namespace) -> int:
    from extractors.reference.budgets import import_budgets

    tenant, budgets = run_tenant_import(
        args,
        lambda tenant, warehouse: import_budgets(
            args.file, tenant.id, warehouse, progress=to_stderr
        ),
    )
    months = ", ".join(f"{month:%Y-%m}" for month in budgets.months)
    total = sum(b.amount for b in budgets.budgets)
    print(
        f"imported {len(budgets.budgets)} budgets of {tenant.id} for {months} "
        f"(total {total}); they replace the tenant's budgets for those months"
    )
    return 0
