"""What the reference-import commands share (`ratecard`, `directory`, `budget`, `accountcodes`):
the `NAME import FILE` parser, the file check, errors as one-line CommandErrors and progress on
stderr. The leading underscore keeps the CLI from registering this module as a command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from callmeter.config import Tenant
    from callmeter.settings import Warehouse

Imported = TypeVar("Imported")


def add_import_parser(
    commands: Any, name: str, *, help: str, import_help: str, description: str | None, file: str
) -> argparse.ArgumentParser:
    """`callmeter NAME import FILE`: the parser of the import action, for its options to follow.

    Args:
        commands: the CLI's subparsers.
        name: the command.
        help: the command's one-line help.
        import_help: the import action's one-line help.
        description: the import action's description (the command module's docstring).
        file: the help of the FILE argument.

    Returns:
        The import action's parser, with FILE added.
    """
    command = commands.add_parser(name, help=help)
    actions = command.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp: argparse.ArgumentParser = actions.add_parser(
        "import", help=import_help, description=description
    )
    imp.add_argument("file", type=Path, help=file)
    return imp


def add_tenant_import(
    commands: Any,
    name: str,
    run: Callable[[argparse.Namespace], int],
    *,
    help: str,
    import_help: str,
    description: str | None,
    file: str,
) -> None:
    """`callmeter NAME import FILE --tenant T`, handled by `run`."""
    imp = add_import_parser(
        commands, name, help=help, import_help=import_help, description=description, file=file
    )
    imp.add_argument("--tenant", required=True, help="tenant id from callmeter.yaml")
    imp.set_defaults(handler=run)


def require_file(path: Path) -> None:
    """A CommandError unless `path` is a file."""
    from callmeter.cli import CommandError

    if not path.is_file():
        raise CommandError(f"{path}: no such file")


@contextmanager
def import_errors(path: Path) -> Iterator[None]:
    """A refused or unreadable file as a CommandError (the refusal lists every problem)."""
    from callmeter.cli import CommandError
    from extractors.reference import ImportRefused

    try:
        yield
    except ImportRefused as refused:
        raise CommandError(str(refused)) from None
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror or error}") from None


def to_stderr(message: str) -> None:
    """Progress for the user, off stdout (which carries the result)."""
    print(message, file=sys.stderr)


def run_tenant_import(
    args: argparse.Namespace,
    load: Callable[[Tenant, Warehouse], Imported],
) -> tuple[Tenant, Imported]:
    """Check the file and the tenant, then import: the body of a `--tenant` import command.

    Args:
        args: the parsed `file`, `--tenant` and `--config`.
        load: imports args.file for the tenant into the warehouse.

    Returns:
        The tenant and what `load` returned.

    Raises:
        CommandError: no such file, or the file was refused or unreadable.
        ConfigError: no such tenant (or no readable configuration).
    """
    from callmeter.config import load_config
    from callmeter.settings import load_warehouse

    require_file(args.file)
    tenant = load_config(args.config).tenant(args.tenant)
    with import_errors(args.file):
        return tenant, load(tenant, load_warehouse())
