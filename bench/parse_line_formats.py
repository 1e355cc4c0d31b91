"""Throughput of the line-based parsers (avaya, mitel, asterisk, freeswitch) on the bulk path.

Prints one JSON line: legs per second of `extractors.parsers.tables.parse_tables(fmt, data, ctx)`
on n synthetic records per format (best of `--repeat` runs, wall clock and CPU time:
the CPU figure is the one to compare on a shared machine), plus single-line `parse` latency.

    .venv/bin/python -m bench.parse_line_formats [--records 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

FORMATS = ("avaya", "mitel", "asterisk", "freeswitch")


def main() -> None:
    from extractors.parsers import ParseContext, get_parser
    from extractors.parsers.tables import parse_tables

    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--records", type=int, default=100_000)
    args.add_argument("--repeat", type=int, default=3)
    options = args.parse_args()
    ctx = ParseContext(timezone=ZoneInfo("Europe/London"), now=datetime(2025, 1, 1, tzinfo=UTC))
    figures: dict[str, object] = {"records": options.records}
    for fmt in FORMATS:
        data = importlib.import_module(f"bench.generators.{fmt}").generate(options.records, seed=1)
        best = cpu = float("inf")
        for _ in range(options.repeat):
            begin, begin_cpu = time.perf_counter(), time.process_time()
            tables = parse_tables(fmt, data, ctx)
            best = min(best, time.perf_counter() - begin)
            cpu = min(cpu, time.process_time() - begin_cpu)
        legs, rejects = tables.legs.num_rows, tables.rejects.num_rows
        first_line = data.split(b"\n", 1)[0] + b"\n"
        parse = get_parser(fmt)
        begin = time.perf_counter()
        for _ in range(1000):
            list(parse(first_line, ctx))
        single_us = (time.perf_counter() - begin) / 1000 * 1e6
        figures[fmt] = {
            "legs": legs,
            "rejects": rejects,
            "wall_seconds": round(best, 3),
            "cpu_seconds": round(cpu, 3),
            "legs_per_second_wall": round((legs + rejects) / best),
            "legs_per_second_cpu": round((legs + rejects) / cpu),
            "single_line_parse_us": round(single_us, 1),
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
