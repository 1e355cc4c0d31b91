"""Throughput of the `sip` capture parser on a synthetic pcap (bench/generators/sip.py).

Prints one JSON line: packets/s and legs/s of `extractors.parsers.sip.parse` (best of
`--repeat` runs; wall clock and CPU time, the CPU figure is the one to compare on a shared
machine), plus the pcap's size.

    .venv/bin/python -m bench.parse_sip [--calls 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import struct
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def main() -> None:
    from bench.generators.sip import generate
    from callmeter.legs import CallLeg
    from extractors.parsers import ParseContext, get_parser

    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--calls", type=int, default=5000)
    args.add_argument("--repeat", type=int, default=3)
    options = args.parse_args()
    data = generate(options.calls, seed=1)
    packets = _count_packets(data)
    ctx = ParseContext(
        timezone=ZoneInfo("UTC"), now=datetime(2026, 1, 1, tzinfo=UTC), file_name="bench.pcap"
    )
    parse = get_parser("sip")
    best = cpu = float("inf")
    legs = rejects = 0
    for _ in range(options.repeat):
        begin, begin_cpu = time.perf_counter(), time.process_time()
        items = list(parse(data, ctx))
        best = min(best, time.perf_counter() - begin)
        cpu = min(cpu, time.process_time() - begin_cpu)
        legs = sum(isinstance(item, CallLeg) for item in items)
        rejects = len(items) - legs
    figures = {
        "format": "sip",
        "calls": options.calls,
        "packets": packets,
        "pcap_bytes": len(data),
        "legs": legs,
        "rejects": rejects,
        "wall_seconds": round(best, 3),
        "cpu_seconds": round(cpu, 3),
        "packets_per_second_wall": round(packets / best),
        "packets_per_second_cpu": round(packets / cpu),
        "legs_per_second_wall": round(legs / best),
        "legs_per_second_cpu": round(legs / cpu),
    }
    print(json.dumps(figures))


def _count_packets(data: bytes) -> int:
    count, position = 0, 24
    while position + 16 <= len(data):
        captured = struct.unpack_from("<I", data, position + 8)[0]
        position += 16 + captured
        count += 1
    return count


if __name__ == "__main__":
    main()
