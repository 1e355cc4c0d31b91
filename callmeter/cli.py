"""`callmeter …`: one command, with subcommands (docs/design.md, "CLI").

Each subcommand lives in its own module under callmeter/commands/ and registers itself with
`register(commands)`. Heavy imports (dagster, dbt, dlt) stay inside the handlers, so
`callmeter parse` starts in milliseconds."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

from callmeter import __version__
from callmeter.config import ConfigError


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 2, no traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callmeter", description="Open-source call accounting: CDR in, costs and alerts out."
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="callmeter.yaml to use (default: $CALLMETER_CONFIG, else ./callmeter.yaml)",
    )
    parser.add_argument("--version", action="version", version=f"callmeter {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    import callmeter.commands as package

    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{module.name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from callmeter.settings import quiet_telemetry

    quiet_telemetry()
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (CommandError, ConfigError) as error:
        print(f"callmeter {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
