"""`callmeter metrics`: query the semantic layer (docs/semantic-layer.md).

    callmeter metrics --metrics cost,calls --by site,month
    callmeter metrics --metrics minutes --by cost_centre --where direction=outbound --where month>=2026-01-01
    callmeter metrics --list

Metrics and dimensions are those of dbt_project/models/marts/_semantic_models.yml; time grains
(day, week, month, quarter, year) group by the leg's start, UTC. Reads CALLMETER_WAREHOUSE."""

from __future__ import annotations

import argparse
from typing import Any


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def register(commands: Any) -> None:
    metrics = commands.add_parser(
        "metrics",
        help="query metrics (calls, minutes, cost, ...) by any dimension",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    metrics.add_argument(
        "--metrics", type=_names, metavar="M,M", help="metric names, comma-separated"
    )
    metrics.add_argument(
        "--by",
        type=_names,
        default=[],
        metavar="D,D",
        help="dimensions or time grains, comma-separated",
    )
    metrics.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="FILTER",
        help="name=value (or !=, >=, <=, >, <); repeatable",
    )
    metrics.add_argument(
        "--order-by",
        type=_names,
        metavar="N,N",
        help="metric or --by names; prefix - for descending",
    )
    metrics.add_argument("--limit", type=int, metavar="N", help="at most N rows")
    metrics.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output format"
    )
    metrics.add_argument(
        "--list", action="store_true", help="list the metrics and dimensions, then exit"
    )
    metrics.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from callmeter.cli import CommandError
    from callmeter.metrics import MetricsError, load_semantic_layer, query_metrics

    try:
        if args.list:
            layer = load_semantic_layer()
            print("metrics:    " + ", ".join(layer.metrics))
            print("dimensions: " + ", ".join(sorted(layer.dimensions)))
            print("time grains: day, week, month, quarter, year")
            return 0
        if not args.metrics:
            raise CommandError("give --metrics (e.g. --metrics cost,calls), or --list to see them")
        rows = query_metrics(args.metrics, args.by, args.where, args.order_by, args.limit)
    except (MetricsError, ValueError) as error:
        raise CommandError(str(error)) from None
    columns = [*args.by, *(name for name in args.metrics if name not in args.by)]
    _print(rows, columns, args.format)
    return 0


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _print(rows: list[dict[str, Any]], columns: list[str], output: str) -> None:
    import sys

    if output == "json":
        import json

        for row in rows:
            print(json.dumps({key: _json_value(value) for key, value in row.items()}))
        return
    if output == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_text(row[name]) for name in columns] for row in rows])
        return
    cells = [[_text(row[name]) for name in columns] for row in rows]
    widths = [max([len(name), *(len(line[i]) for line in cells)]) for i, name in enumerate(columns)]
    print("  ".join(name.ljust(width) for name, width in zip(columns, widths, strict=True)))
    print("  ".join("-" * width for width in widths))
    for line in cells:
        print("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def _json_value(value: Any) -> Any:
    from datetime import date
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)  # exact: money never passes through a float
    if isinstance(value, date):
        return value.isoformat()
    return value
