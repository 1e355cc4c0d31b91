"""`callmeter accountcodes import FILE --tenant T`: a tenant's account-code map (docs/imports.md).

The file maps the account codes users key in to projects and clients; it is validated whole and
refused with every problem listed, or it replaces the tenant's map."""

from __future__ import annotations

import argparse
from typing import Any

from ._reference import add_tenant_import, run_tenant_import, to_stderr


def register(commands: Any) -> None:
    add_tenant_import(
        commands,
        "accountcodes",
        run,
        help="import account codes (project and client)",
        import_help="validate an account-code file and replace the tenant's map",
        description=__doc__,
        file="CSV: account_code, project, client[, valid_from]",
    )


def run(args: argparse.Namespace) -> int:
    from extractors.reference.account_codes import import_account_codes

    tenant, codes = run_tenant_import(
        args,
        lambda tenant, warehouse: import_account_codes(
            args.file, tenant.id, warehouse, progress=to_stderr
        ),
    )
    projects = len({c.project for c in codes.codes})
    print(
        f"imported {len(codes.codes)} account codes of {tenant.id} ({projects} projects); "
        "they replace the tenant's previous map"
    )
    return 0
