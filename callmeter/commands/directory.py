"""`callmeter directory import FILE --tenant T`: replace a tenant's directory (docs/imports.md).

The file is the tenant's full directory history (rows with validity intervals); it is validated
whole and refused with every problem listed, or it replaces raw.directory for the tenant."""

from __future__ import annotations

import argparse
from typing import Any

from ._reference import add_tenant_import, run_tenant_import, to_stderr


def register(commands: Any) -> None:
    add_tenant_import(
        commands,
        "directory",
        run,
        help="import a tenant's directory (extensions)",
        import_help="validate a directory file and replace the tenant's",
        description=__doc__,
        file="CSV: extension, name, email, department, cost_centre, site, valid_from[, valid_to, gl_account]",
    )


def run(args: argparse.Namespace) -> int:
    from extractors.reference.directory import import_directory

    tenant, directory = run_tenant_import(
        args,
        lambda tenant, warehouse: import_directory(
            args.file,
            tenant.id,
            warehouse,
            known_sites={site.id for site in tenant.sites},
            progress=to_stderr,
        ),
    )
    print(
        f"imported the directory of {tenant.id}: {len(directory.entries)} rows, "
        f"{directory.extensions} extensions ({directory.current} current), "
        f"{directory.cost_centres} cost centres; it replaces the tenant's previous directory"
    )
    return 0
