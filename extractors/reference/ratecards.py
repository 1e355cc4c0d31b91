"""Rate cards (docs/design.md, "Import formats"; docs/imports.md): read, validate, land.

A card is imported with a carrier, an effective-from date, optionally a tenant (else it applies
to every tenant using the carrier) and a resale flag. Each import is a complete version, keyed
by version_id; re-importing the same key replaces that version entirely. Rows land in
raw.rate_cards and the version in raw.rate_card_versions; the dbt models pick the version in
force at each leg's start."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from callmeter.settings import Warehouse

from .landing import UTC_TIMESTAMP, RawTable, import_file
from .tabular import (
    ImportRefused,
    Problem,
    RowReader,
    currency,
    decimal,
    read_sheet,
    text,
    whole_number,
)

REQUIRED = ("prefix", "destination", "rate_per_minute")
OPTIONAL = (
    "connection_fee",
    "minimum_seconds",
    "initial_increment",
    "subsequent_increment",
    "time_band",
    "currency",
    "peak_start",
    "peak_end",
)
BANDS = ("peak", "offpeak", "weekend", "any")
RATE_PLACES = 6  # raw.rate_cards stores money as decimal(18, 6)
_PREFIX = re.compile(r"\d{1,15}")
_HHMM = re.compile(r"(\d{1,2}):(\d{2})")
PIPELINE = "callmeter_rate_cards"

MONEY = pa.decimal128(18, RATE_PLACES)
VERSION_SCHEMA = pa.schema(
    [
        pa.field("version_id", pa.string(), nullable=False),
        pa.field("carrier", pa.string(), nullable=False),
        pa.field("tenant_id", pa.string()),
        pa.field("is_resale", pa.bool_(), nullable=False),
        pa.field("effective_from", pa.date32(), nullable=False),
        pa.field("imported_at", UTC_TIMESTAMP, nullable=False),
        pa.field("source_file", pa.string()),
        pa.field("row_count", pa.int64(), nullable=False),
    ]
)
RATE_SCHEMA = pa.schema(
    [
        pa.field("version_id", pa.string(), nullable=False),
        pa.field("carrier", pa.string(), nullable=False),
        pa.field("tenant_id", pa.string()),
        pa.field("is_resale", pa.bool_(), nullable=False),
        pa.field("effective_from", pa.date32(), nullable=False),
        pa.field("row_number", pa.int64(), nullable=False),
        pa.field("prefix", pa.string(), nullable=False),
        pa.field("destination", pa.string(), nullable=False),
        pa.field("rate_per_minute", MONEY, nullable=False),
        pa.field("connection_fee", MONEY, nullable=False),
        pa.field("minimum_seconds", pa.int64(), nullable=False),
        pa.field("initial_increment", pa.int64(), nullable=False),
        pa.field("subsequent_increment", pa.int64(), nullable=False),
        pa.field("time_band", pa.string(), nullable=False),
        pa.field("currency", pa.string()),
        # The card's peak window (local time, HH:MM; null = the default 08:00 to 18:00).
        pa.field("peak_start", pa.string()),
        pa.field("peak_end", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class RateCardVersion:
    """Which version a card is: carrier, tenant (None = every tenant), resale, effective date."""

    carrier: str
    effective_from: date
    tenant_id: str | None = None
    is_resale: bool = False

    @property
    def version_id(self) -> str:
        """carrier|tenant or *|resale or cost|YYYY-MM-DD: the key re-imports replace."""
        kind = "resale" if self.is_resale else "cost"
        return f"{self.carrier}|{self.tenant_id or '*'}|{kind}|{self.effective_from.isoformat()}"

    def problems(self) -> list[Problem]:
        """What is wrong with the version itself (the command's options)."""
        found = []
        if not self.carrier.strip():
            found.append(Problem(None, "--carrier", "a carrier name is required"))
        for option, value in (("--carrier", self.carrier), ("--tenant", self.tenant_id or "")):
            if "|" in value or value != value.strip():
                found.append(
                    Problem(None, option, f"{value!r} may not contain '|' or surrounding spaces")
                )
        if self.is_resale and not self.tenant_id:
            found.append(
                Problem(None, "--resale", "a resale card is per tenant: give --tenant as well")
            )
        return found


@dataclass(frozen=True, slots=True)
class Rate:
    """One validated row of a card, with the defaults applied."""

    row_number: int
    prefix: str
    destination: str
    rate_per_minute: Decimal
    connection_fee: Decimal = Decimal(0)
    minimum_seconds: int = 0
    initial_increment: int = 1
    subsequent_increment: int = 1
    time_band: str = "any"
    currency: str | None = None


@dataclass
class RateCard:
    """A validated card: its version, rows and what the summary shows."""

    version: RateCardVersion
    source_file: str
    rates: list[Rate]
    warnings: list[str] = field(default_factory=list)
    peak_window: tuple[str, str] | None = None  # (start, end) local HH:MM; None = 08:00-18:00

    @property
    def bands(self) -> dict[str, int]:
        """Rows per time band."""
        return dict(Counter(rate.time_band for rate in self.rates))

    @property
    def prefixes(self) -> int:
        """Distinct prefixes."""
        return len({rate.prefix for rate in self.rates})

    @property
    def currencies(self) -> list[str]:
        """Currencies named on the card ('tenant' for blank cells)."""
        return sorted({rate.currency or "tenant" for rate in self.rates})


def read_rate_card(
    data: bytes,
    file_name: str,
    version: RateCardVersion,
    progress: Callable[[str], None] | None = None,
) -> RateCard:
    """Validate a whole card (CSV or XLSX) without writing anything.

    Args:
        data: the file's bytes.
        file_name: its name, for messages, the XLSX check and raw.rate_card_versions.
        version: the version the card becomes.
        progress: called with a short message while a big card is read.

    Returns:
        The validated card.

    Raises:
        ImportRefused: with every problem found, each naming the row and the column.
    """
    sheet = read_sheet(
        data,
        file_name,
        required=REQUIRED,
        optional=OPTIONAL,
        progress=(lambda n: progress(f"read {n} rows")) if progress else None,
    )
    problems = version.problems() + sheet.problems
    rates: list[Rate] = []
    first_row: dict[tuple[str, str], int] = {}
    window: tuple[str, str] | None = None
    window_row = 0
    for number, row in sheet.rows:
        reader = RowReader(number, row, problems)
        prefix = reader.get("prefix", _prefix, required=True)
        destination = reader.get("destination", text, required=True)
        rate = Rate(
            row_number=number,
            prefix=prefix,
            destination=destination,
            rate_per_minute=reader.get("rate_per_minute", _money, required=True),
            connection_fee=reader.get("connection_fee", _money, default=Decimal(0)),
            minimum_seconds=reader.get("minimum_seconds", _seconds(0), default=0),
            initial_increment=reader.get("initial_increment", _seconds(1), default=1),
            subsequent_increment=reader.get("subsequent_increment", _seconds(1), default=1),
            time_band=reader.get("time_band", _band, default="any"),
            currency=reader.get("currency", currency),
        )
        key = (prefix, rate.time_band)
        if prefix is not None and not reader.failed("time_band"):
            if key in first_row:
                reader.fail(
                    "prefix",
                    f"prefix {prefix} with time_band {rate.time_band} is already on row "
                    f"{first_row[key]} (one row per prefix and band)",
                )
            else:
                first_row[key] = number
        start = reader.get("peak_start", _hhmm)
        end = reader.get("peak_end", _hhmm)
        if (start is None) != (end is None) and not (
            reader.failed("peak_start") or reader.failed("peak_end")
        ):
            reader.fail(
                "peak_start" if start is None else "peak_end", "give both peak_start and peak_end"
            )
        elif start is not None and end is not None:
            if start >= end:
                reader.fail("peak_end", f"{end} must be after peak_start {start}")
            elif window is None:
                window, window_row = (start, end), number
            elif window != (start, end):
                reader.fail(
                    "peak_start",
                    f"peak window {start}-{end} differs from {window[0]}-{window[1]} on row "
                    f"{window_row} (one peak window per card)",
                )
        if reader.ok:
            rates.append(rate)
    if problems:
        raise ImportRefused(file_name, problems)
    return RateCard(version, Path(file_name).name, rates, _band_gaps(rates), window)


def _hhmm(value: object) -> str:
    """A local time of day HH:MM (24:00 allowed as an end); XLSX time cells are accepted."""
    if isinstance(value, time):
        if value.second or value.microsecond:
            raise ValueError(f"{value.isoformat()} has seconds: give HH:MM")
        return f"{value.hour:02d}:{value.minute:02d}"
    raw = text(value) or ""
    match = _HHMM.fullmatch(raw)
    if not match:
        raise ValueError(f"{raw!r} is not a time of day HH:MM (e.g. 08:00)")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{raw!r} is not a time of day between 00:00 and 24:00")
    return f"{hours:02d}:{minutes:02d}"


def _prefix(value: object) -> str:
    raw = text(value) or ""
    if raw.startswith("+"):
        raise ValueError(f"{raw!r}: write E.164 digits without '+' (e.g. {raw[1:] or '44'})")
    if not _PREFIX.fullmatch(raw):
        raise ValueError(f"{raw!r} is not a prefix: 1 to 15 digits of an E.164 number")
    if raw.startswith("0"):
        raise ValueError(
            f"{raw!r} starts with 0: prefixes are international E.164 digits (the UK's 020 is 4420)"
        )
    return raw


def _money(value: object) -> Decimal:
    number = decimal(value, RATE_PLACES)
    if number < 0:
        raise ValueError(f"{number} is negative")
    return number


def _seconds(minimum: int) -> Callable[[object], int]:
    def convert(value: object) -> int:
        number = whole_number(value)
        if number < minimum:
            raise ValueError(f"{number} must be at least {minimum} (seconds)")
        return number

    return convert


def _band(value: object) -> str:
    raw = (text(value) or "").lower()
    if raw not in BANDS:
        raise ValueError(f"{raw!r} is not a time band (one of {', '.join(BANDS)})")
    return raw


def _band_gaps(rates: list[Rate]) -> list[str]:
    """Prefixes priced for some bands but not all: those calls fall back to a shorter prefix."""
    bands: dict[str, set[str]] = {}
    for rate in rates:
        bands.setdefault(rate.prefix, set()).add(rate.time_band)
    warnings = []
    for prefix, found in sorted(bands.items()):
        missing = {"peak", "offpeak", "weekend"} - found
        if "any" not in found and missing:
            warnings.append(
                f"prefix {prefix} has no row for {', '.join(sorted(missing))} (nor 'any'): "
                "those calls are rated by a shorter prefix, or unrated"
            )
    return warnings


def rate_card_tables(card: RateCard, imported_at: datetime) -> tuple[pa.Table, pa.Table]:
    """The raw.rate_card_versions row and the raw.rate_cards rows of a card, as Arrow tables."""
    version = card.version
    rates = card.rates
    n = len(rates)
    versions = pa.Table.from_pylist(
        [
            {
                "version_id": version.version_id,
                "carrier": version.carrier,
                "tenant_id": version.tenant_id,
                "is_resale": version.is_resale,
                "effective_from": version.effective_from,
                "imported_at": imported_at,
                "source_file": card.source_file,
                "row_count": n,
            }
        ],
        schema=VERSION_SCHEMA,
    )
    columns = {
        "version_id": [version.version_id] * n,
        "carrier": [version.carrier] * n,
        "tenant_id": [version.tenant_id] * n,
        "is_resale": [version.is_resale] * n,
        "effective_from": [version.effective_from] * n,
        "row_number": [r.row_number for r in rates],
        "prefix": [r.prefix for r in rates],
        "destination": [r.destination for r in rates],
        "rate_per_minute": [r.rate_per_minute for r in rates],
        "connection_fee": [r.connection_fee for r in rates],
        "minimum_seconds": [r.minimum_seconds for r in rates],
        "initial_increment": [r.initial_increment for r in rates],
        "subsequent_increment": [r.subsequent_increment for r in rates],
        "time_band": [r.time_band for r in rates],
        "currency": [r.currency for r in rates],
        "peak_start": [card.peak_window[0] if card.peak_window else None] * n,
        "peak_end": [card.peak_window[1] if card.peak_window else None] * n,
    }
    return versions, pa.table(columns, schema=RATE_SCHEMA)


def import_rate_card(
    path: Path,
    version: RateCardVersion,
    warehouse: Warehouse,
    *,
    pipelines_dir: str | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> RateCard:
    """Validate a card file whole, then land it as a version (replacing the same version).

    Args:
        path: the CSV or XLSX file.
        version: carrier, tenant, resale flag and effective-from date.
        warehouse: where to land it.
        pipelines_dir: dlt's working folder (default: <data dir>/dlt).
        now: the import time recorded in raw.rate_card_versions (default: the clock).
        progress: called with short messages for the user.

    Returns:
        The card as landed.

    Raises:
        ImportRefused: the card is invalid; nothing was written.
        OSError: the file cannot be read.
    """
    return import_file(
        path,
        lambda data, name: read_rate_card(data, name, version, progress),
        lambda card: len(card.rates),
        _raw_tables,
        warehouse,
        PIPELINE,
        pipelines_dir=pipelines_dir,
        now=now,
        progress=progress,
    )


def _raw_tables(card: RateCard, imported_at: datetime) -> list[RawTable]:
    versions, rates = rate_card_tables(card, imported_at)
    return [
        RawTable("rate_card_versions", versions, merge_key=["version_id"]),
        RawTable("rate_cards", rates, merge_key=["version_id"]),
    ]
