"""`callmeter directory import FILE --tenant T`: replace a tenant's directory (docs/imports.md).

The file is the tenant's full directory history (rows with validity intervals); it is validated
whole and refused with every problem listed, or it replaces raw.directory for the tenant."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    directory = commands.add_parser("directory", help="import a tenant's directory (extensions)")
    actions = directory.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = actions.add_parser(
        "import", help="validate a directory file and replace the tenant's", description=__doc__
    )
    imp.add_argument(
        "file",
        type=Path,
        help="CSV: extension, name, email, department, cost_centre, site, valid_from[, valid_to, gl_account]",
    )
    imp.add_argument("--tenant", required=True, help="tenant id from callmeter.yaml")
    imp.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from callmeter.cli import CommandError
    from callmeter.config import load_config
    from callmeter.settings import load_warehouse
    from extractors.reference import ImportRefused
    from extractors.reference.directory import import_directory

    if not args.file.is_file():
        raise CommandError(f"{args.file}: no such file")
    tenant = load_config(args.config).tenant(args.tenant)
    try:
        directory = import_directory(
            args.file,
            tenant.id,
            load_warehouse(),
            known_sites={site.id for site in tenant.sites},
            progress=lambda message: print(message, file=sys.stderr),
        )
    except ImportRefused as refused:
        raise CommandError(str(refused)) from None
    except OSError as error:
        raise CommandError(f"{args.file}: {error.strerror or error}") from None
    print(
        f"imported the directory of {tenant.id}: {len(directory.entries)} rows, "
        f"{directory.extensions} extensions ({directory.current} current), "
        f"{directory.cost_centres} cost centres; it replaces the tenant's previous directory"
    )
    return 0
