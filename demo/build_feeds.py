"""Regenerate the demo's sample feeds (demo/feeds/) from the synthetic generators in bench/.

    .venv/bin/python -m demo.build_feeds

Deterministic (fixed seeds), so the committed files only change when a generator does. The real
CUCM fixture (a US lab's CDR file) is kept as it is, under acme/portland."""

from __future__ import annotations

import importlib
from pathlib import Path

FEEDS = Path(__file__).resolve().parent / "feeds"

# (tenant, site, format, generator module, records, file name)
PLAN: tuple[tuple[str, str, str, str, int, str], ...] = (
    ("acme", "london", "3cx", "three_cx", 400, "cdr_2026.log"),
    ("acme", "london", "cucm", "cucm", 400, "cdr_Cluster1_01_202603020900_1"),
    ("acme", "london", "avaya", "avaya", 300, "cm_cdr.txt"),
    ("acme", "london", "mitel", "mitel", 300, "smdr.txt"),
    ("acme", "london", "teams", "teams", 300, "getDirectRoutingCalls.json"),
    ("acme", "london", "sip", "sip", 120, "sbc_capture.pcap"),
    ("acme", "london", "asterisk", "asterisk", 300, "Master.csv"),
    ("acme", "portland", "zoom", "zoom", 300, "call_history.json"),
    ("globex", "berlin", "freeswitch", "freeswitch", 300, "Master.csv"),
)


def main() -> int:
    for tenant, site, fmt, module, records, name in PLAN:
        generate = importlib.import_module(f"bench.generators.{module}").generate
        folder = FEEDS / tenant / site / fmt
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(generate(records, seed=2026))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
