"""`callmeter accountcodes import FILE --tenant T`: a tenant's account-code map (docs/imports.md).

The file maps the account codes users key in to projects and clients; it is validated whole and
refused with every problem listed, or it replaces the tenant's map."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    codes = commands.add_parser("accountcodes", help="import account codes (project and client)")
    actions = codes.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = actions.add_parser(
        "import",
        help="validate an account-code file and replace the tenant's map",
        description=__doc__,
    )
    imp.add_argument("file", type=Path, help="CSV: account_code, project, client[, valid_from]")
    imp.add_argument("--tenant", required=True, help="tenant id from callmeter.yaml")
    imp.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from callmeter.cli import CommandError
    from callmeter.config import load_config
    from callmeter.settings import load_warehouse
    from extractors.reference import ImportRefused
    from extractors.reference.account_codes import import_account_codes

    if not args.file.is_file():
        raise CommandError(f"{args.file}: no such file")
    tenant = load_config(args.config).tenant(args.tenant)
    try:
        codes = import_account_codes(
            args.file,
            tenant.id,
            load_warehouse(),
            progress=lambda message: print(message, file=sys.stderr),
        )
    except ImportRefused as refused:
        raise CommandError(str(refused)) from None
    except OSError as error:
        raise CommandError(f"{args.file}: {error.strerror or error}") from None
    projects = len({c.project for c in codes.codes})
    print(
        f"imported {len(codes.codes)} account codes of {tenant.id} ({projects} projects); "
        "they replace the tenant's previous map"
    )
    return 0
