"""`callmeter ratecard import FILE --carrier C --effective-from YYYY-MM-DD [--tenant T] [--resale]`.

Validates the whole card (CSV, or XLSX's first sheet) and refuses it with every problem listed,
or lands it as a new version in raw.rate_cards and raw.rate_card_versions (docs/imports.md)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from typing import Any

from ._reference import add_import_parser, import_errors, require_file, to_stderr

SHOWN_WARNINGS = 20  # a card with thousands of gaps must not flood the terminal


def register(commands: Any) -> None:
    imp = add_import_parser(
        commands,
        "ratecard",
        help="import carrier and resale rate cards",
        import_help="validate a rate card and land it as a new version",
        description=__doc__,
        file="the card: CSV, or XLSX (first sheet)",
    )
    imp.add_argument("--carrier", required=True, help="carrier name, as in callmeter.yaml")
    imp.add_argument(
        "--effective-from",
        required=True,
        metavar="YYYY-MM-DD",
        help="first day the card applies (the site's local date)",
    )
    imp.add_argument("--tenant", help="tenant id; without it the card applies to every tenant")
    imp.add_argument(
        "--resale", action="store_true", help="a resale (price) card for --tenant, not a cost card"
    )
    imp.set_defaults(handler=run)


def parse_date(value: str, option: str) -> date:
    """A YYYY-MM-DD option value, or a CommandError naming the option."""
    from callmeter.cli import CommandError

    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not a date in the form YYYY-MM-DD") from None


def run(args: argparse.Namespace) -> int:
    from callmeter.config import load_config
    from callmeter.settings import load_warehouse
    from extractors.reference.ratecards import RateCardVersion, import_rate_card

    effective_from = parse_date(args.effective_from, "--effective-from")
    require_file(args.file)
    config = load_config(args.config)
    if args.tenant:
        config.tenant(args.tenant)  # a clear error for an unknown tenant
    carriers = {
        carrier
        for tenant in config.tenants
        for site in tenant.sites
        for carrier in (site.carrier, *site.trunks.values())
    }
    if args.carrier not in carriers:
        print(
            f"warning: no site or trunk in the configuration uses carrier {args.carrier!r} "
            f"(known: {', '.join(sorted(carriers))}); the card is imported anyway",
            file=sys.stderr,
        )
    version = RateCardVersion(args.carrier, effective_from, args.tenant, args.resale)
    started = time.monotonic()
    with import_errors(args.file):
        card = import_rate_card(args.file, version, load_warehouse(), progress=to_stderr)
    bands = ", ".join(f"{band} {count}" for band, count in sorted(card.bands.items()))
    print(
        f"imported rate card {version.version_id}: {len(card.rates)} rows, "
        f"{card.prefixes} prefixes ({bands}), currency {', '.join(card.currencies)}, "
        f"peak {'-'.join(card.peak_window or ('08:00', '18:00'))}, "
        f"in {time.monotonic() - started:.1f} s"
    )
    for warning in card.warnings[:SHOWN_WARNINGS]:
        print(f"warning: {warning}", file=sys.stderr)
    if len(card.warnings) > SHOWN_WARNINGS:
        hidden = len(card.warnings) - SHOWN_WARNINGS
        print(f"warning: … and {hidden} more prefixes with bands missing", file=sys.stderr)
    return 0
