"""Foundation benchmark: N synthetic CUCM legs -> parse rate, then ingest + build time on DuckDB.

    .venv/bin/python -m bench.foundation [--legs 1000000]

Prints one JSON line: the parse rate, then the ingest and build times of the CLI commands with
the phases they print (ingest: parse, land; build: dbt parse, definitions, dagster run, serving
snapshot, baselines CSV). Targets (2-core machine): parse >= 300,000 legs/s; ingest + build of
1M legs within 60 s."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.machine import describe
from callmeter.timing import read_phases

ROOT = Path(__file__).resolve().parents[1]


def _run(command: list[str], env: dict[str, str], summary: str) -> dict[str, float]:
    """Run a CLI command; the phases it printed on its summary line (starting with `summary`)."""
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"{' '.join(command[2:])} failed")
    lines = [line for line in result.stdout.splitlines() if summary in line]
    return {name: round(seconds, 1) for name, seconds in read_phases(lines[-1]).items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--legs", type=int, default=1_000_000)
    parser.add_argument("--skip-build", action="store_true", help="measure parsing only")
    args = parser.parse_args()

    from bench.generators.cucm import generate
    from extractors.parsers import ParseContext, parser_module
    from extractors.parsers.tables import parse_tables

    parser_module("cucm")  # imports (polars, numba) are start-up, not parsing: done before timing

    started = time.perf_counter()
    data = generate(args.legs, seed=1)
    generate_seconds = time.perf_counter() - started

    ctx = ParseContext(
        ZoneInfo("America/Los_Angeles"), datetime.now(UTC), frozenset({"CUBE-PDX-01"})
    )
    started = time.perf_counter()
    parsed = parse_tables("cucm", data, ctx)
    parse_seconds = time.perf_counter() - started
    legs = parsed.legs.num_rows
    result: dict[str, object] = {
        "benchmark": "foundation",
        "machine": describe(),
        "legs_generated": args.legs,
        "legs_parsed": legs,
        "rejects": parsed.rejects.num_rows,
        "input_mb": round(len(data) / 1e6, 1),
        "generate_seconds": round(generate_seconds, 2),
        "parse_seconds": round(parse_seconds, 2),
        "parse_legs_per_second": round(legs / parse_seconds),
    }
    if not args.skip_build:
        with tempfile.TemporaryDirectory(prefix="callmeter-bench-") as scratch:
            folder = Path(scratch) / "inbox/acme/portland/cucm"
            folder.mkdir(parents=True)
            (folder / "cdr_bench").write_bytes(data)
            del data, parsed
            env = os.environ | {
                "CALLMETER_WAREHOUSE": f"duckdb:///{Path(scratch) / 'bench.duckdb'}",
                "CALLMETER_DATA_DIR": scratch,
                "CALLMETER_CONFIG": str(ROOT / "tests/fixtures/callmeter.yaml"),
            }
            cli = [sys.executable, "-m", "callmeter"]
            started = time.perf_counter()
            ingest = _run([*cli, "ingest", "--inbox", str(Path(scratch) / "inbox")], env, "landed ")
            ingest_seconds = time.perf_counter() - started
            started = time.perf_counter()
            build = _run([*cli, "build"], env, "assets materialized")
            build_seconds = time.perf_counter() - started
        result |= {
            "ingest_seconds": round(ingest_seconds, 1),
            "build_seconds": round(build_seconds, 1),
            "ingest_plus_build_seconds": round(ingest_seconds + build_seconds, 1),
            # as the commands printed them; the rest of each total is process start-up
            "ingest_phases": ingest,
            "build_phases": build,
        }
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["peak_rss_mb"] = round(
        max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, children) / 1024
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
