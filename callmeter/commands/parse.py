"""`callmeter parse --format F [--timezone TZ] FILE...`: canonical legs as JSON lines on stdout,
rejected records as JSON lines with a reason on stderr. Exit 0 when the files could be read."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    parse = commands.add_parser("parse", help="print canonical legs as JSON lines")
    parse.add_argument("--format", required=True, dest="source_format", help="3cx, cucm, teams, …")
    parse.add_argument(
        "--timezone", default="UTC", help="the site's IANA zone, for formats that write local time"
    )
    parse.add_argument(
        "--trunk",
        action="append",
        default=[],
        metavar="DEVICE",
        help="a trunk or gateway device name (repeatable), for formats that derive direction from it",
    )
    parse.add_argument("files", nargs="+", type=Path)
    parse.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from callmeter.cli import CommandError
    from callmeter.legs import CallLeg
    from extractors.parsers import ParseContext, get_parser
    from extractors.parsers.tables import json_default

    try:
        parse_file = get_parser(args.source_format)
        zone = ZoneInfo(args.timezone)
    except ValueError as error:
        raise CommandError(str(error)) from None
    except Exception:  # ZoneInfoNotFoundError and friends
        raise CommandError(f"unknown timezone {args.timezone!r}") from None
    status = 0
    now = datetime.now(UTC)
    out, err = sys.stdout, sys.stderr
    for path in args.files:
        try:
            data = path.read_bytes()
        except OSError as error:
            print(f"callmeter parse: error: {path}: {error.strerror}", file=err)
            status = 1
            continue
        ctx = ParseContext(
            timezone=zone, now=now, trunk_devices=frozenset(args.trunk), file_name=str(path)
        )
        for item in parse_file(data, ctx):
            row = item.as_row()
            if isinstance(item, CallLeg):
                out.write(json.dumps(row, default=json_default) + "\n")
            else:
                row["file_name"] = row.get("file_name") or str(path)
                err.write(json.dumps(row, default=json_default) + "\n")
    return status
