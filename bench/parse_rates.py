"""Parse rate per format on synthetic records (issue 3: the README's performance table).

For every format with a generator in bench/generators/, generates `--records` records (SIP: a
pcap of `--sip-calls` calls), times `extractors.parsers.tables.parse_tables(fmt, data, ctx)`
(best of `--repeat`, wall clock and CPU time; on a shared machine compare CPU time) and prints
one JSON line per format, then a summary line with every figure, the machine and its load.

    .venv/bin/python -m bench.parse_rates [--records 100000] [--repeat 3] [--formats avaya,mitel]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import struct
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bench.machine import describe

GENERATORS = {
    "3cx": "three_cx",
    "cucm": "cucm",
    "avaya": "avaya",
    "mitel": "mitel",
    "asterisk": "asterisk",
    "freeswitch": "freeswitch",
    "teams": "teams",
    "zoom": "zoom",
    "sip": "sip",
}
LINE_BASED = ("3cx", "cucm", "avaya", "mitel", "asterisk", "freeswitch")
TARGET = 100_000  # legs/s: no line-based format below this (issue 3)


def pcap_packets(data: bytes) -> int:
    """Packets in a classic little-endian pcap (the SIP generator's output)."""
    count, position = 0, 24
    while position + 16 <= len(data):
        captured = struct.unpack_from("<I", data, position + 8)[0]
        position += 16 + captured
        count += 1
    return count


def measure(fmt: str, data: bytes, repeat: int) -> dict[str, Any]:
    """Best-of-`repeat` wall and CPU seconds of the bulk path on `data`, and its output size."""
    from extractors.parsers import ParseContext
    from extractors.parsers.tables import parse_tables

    ctx = ParseContext(
        timezone=ZoneInfo("UTC" if fmt == "sip" else "Europe/London"),
        now=datetime(2026, 1, 1, tzinfo=UTC),
        file_name=f"bench.{fmt}",
    )
    wall = cpu = float("inf")
    legs = rejects = 0
    for _ in range(repeat):
        begin, begin_cpu = time.perf_counter(), time.process_time()
        tables = parse_tables(fmt, data, ctx)
        wall = min(wall, time.perf_counter() - begin)
        cpu = min(cpu, time.process_time() - begin_cpu)
        legs, rejects = tables.legs.num_rows, tables.rejects.num_rows
    records = legs + rejects
    return {
        "format": fmt,
        "legs": legs,
        "rejects": rejects,
        "input_mb": round(len(data) / 1e6, 2),
        "wall_seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "legs_per_second_wall": round(records / wall),
        "legs_per_second_cpu": round(records / cpu),
    }


def single_line_us(fmt: str, data: bytes, runs: int = 1000) -> float:
    """Microseconds of the row parser (`parse`) on one record, as the streaming sidecar calls
    it (the first line of the input)."""
    from extractors.parsers import ParseContext, get_parser

    record = data.split(b"\n", 1)[0]
    ctx = ParseContext(timezone=ZoneInfo("Europe/London"), now=datetime(2026, 1, 1, tzinfo=UTC))
    parse = get_parser(fmt)
    begin = time.perf_counter()
    for _ in range(runs):
        list(parse(record + b"\n", ctx))
    return round((time.perf_counter() - begin) / runs * 1e6, 1)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--records", type=int, default=100_000)
    args.add_argument("--sip-calls", type=int, default=10_000)
    args.add_argument("--repeat", type=int, default=3)
    args.add_argument("--formats", default=",".join(GENERATORS))
    options = args.parse_args()
    load_before = os.getloadavg()
    results = []
    for fmt in options.formats.split(","):
        generator = importlib.import_module(f"bench.generators.{GENERATORS[fmt]}")
        count = options.sip_calls if fmt == "sip" else options.records
        data = generator.generate(count, seed=1)
        figures = measure(fmt, data, options.repeat)
        if fmt == "sip":
            packets = pcap_packets(data)
            figures |= {
                "calls": count,
                "packets": packets,
                "packets_per_second_wall": round(packets / figures["wall_seconds"]),
                "packets_per_second_cpu": round(packets / figures["cpu_seconds"]),
            }
        else:
            figures["records"] = count
        if fmt in LINE_BASED:
            figures["meets_target_wall"] = figures["legs_per_second_wall"] >= TARGET
            if fmt != "cucm":  # a CUCM file needs its header: no single-record figure
                figures["single_line_parse_us"] = single_line_us(fmt, data)
        print(json.dumps(figures), flush=True)
        results.append(figures)
    summary = {
        "benchmark": "parse_rates",
        "machine": describe() | {"load_average_before": [round(x, 2) for x in load_before]},
        "records": options.records,
        "repeat": options.repeat,
        "formats": {figures["format"]: figures for figures in results},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
