"""Regenerate the demo's sample feeds (demo/feeds/) from the synthetic generators in bench/, and
a directory per tenant (demo/reference/<tenant>_directory.csv) that covers every extension the
feeds charge calls to, so the demo's chargeback lands on real cost centres.

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


# Cost centres per site, handed out round-robin: (department, cost centre, GL account).
COST_CENTRES: dict[tuple[str, str], tuple[tuple[str, str, str], ...]] = {
    ("acme", "london"): (
        ("Sales", "CC-100", "6100"),
        ("Marketing", "CC-200", "6200"),
        ("Finance", "CC-300", "6300"),
        ("Engineering", "CC-400", "6400"),
        ("Support", "CC-500", "6500"),
    ),
    ("acme", "portland"): (("Sales", "CC-110", "6110"), ("Operations", "CC-120", "6120")),
    ("globex", "berlin"): (("Vertrieb", "DE-100", "4100"), ("Technik", "DE-200", "4200")),
}
MOVE_ON = "2026-03-16"  # the first extension of each site moves to the next cost centre this day


def main() -> int:
    extensions: dict[tuple[str, str], set[str]] = {key: set() for key in COST_CENTRES}
    for tenant, site, fmt, module, records, name in PLAN:
        generate = importlib.import_module(f"bench.generators.{module}").generate
        folder = FEEDS / tenant / site / fmt
        folder.mkdir(parents=True, exist_ok=True)
        data = generate(records, seed=2026)
        (folder / name).write_bytes(data)
        extensions[(tenant, site)] |= _extensions(fmt, data)
    for tenant in sorted({t for t, _ in COST_CENTRES}):
        _write_directory(tenant, {k: v for k, v in extensions.items() if k[0] == tenant})
    return 0


def _extensions(fmt: str, data: bytes) -> set[str]:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from extractors.parsers import ParseContext
    from extractors.parsers.tables import parse_tables

    ctx = ParseContext(ZoneInfo("UTC"), datetime.now(UTC))
    legs = parse_tables(fmt, data, ctx).legs
    return {e for e in legs.column("extension").to_pylist() if e}


def _write_directory(tenant: str, extensions: dict[tuple[str, str], set[str]]) -> None:
    import csv

    path = FEEDS.parent / "reference" / f"{tenant}_directory.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "extension",
                "name",
                "email",
                "department",
                "cost_centre",
                "site",
                "valid_from",
                "valid_to",
                "gl_account",
            ]
        )
        for (_, site), found in sorted(extensions.items()):
            centres = COST_CENTRES[(tenant, site)]
            for n, extension in enumerate(sorted(found)):
                department, centre, gl = centres[n % len(centres)]
                name = f"User {extension.split('@')[0]}"
                email = extension if "@" in extension else ""
                if n == 0 and len(centres) > 1:  # one person moves department mid-month
                    later = centres[1]
                    writer.writerow(
                        [
                            extension,
                            name,
                            email,
                            department,
                            centre,
                            site,
                            "2020-01-01",
                            MOVE_ON,
                            gl,
                        ]
                    )
                    writer.writerow(
                        [extension, name, email, later[0], later[1], site, MOVE_ON, "", later[2]]
                    )
                else:
                    writer.writerow(
                        [extension, name, email, department, centre, site, "2020-01-01", "", gl]
                    )


if __name__ == "__main__":
    raise SystemExit(main())
