"""Columnar form of parser output: legs and rejects as Arrow tables, for bulk ingest.

Formats with a vectorised parser (`parse_table`) produce these directly; for the others the
row parser's output is collected into the same schema. Either way ingest sees one shape."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from callmeter.legs import LEG_FIELDS, CallLeg, Rejected

from . import ParseContext, parser_module

_TS = pa.timestamp("us", tz="UTC")
LEG_SCHEMA = pa.schema(
    [
        ("source_format", pa.string()),
        ("source_record_id", pa.string()),
        ("call_id", pa.string()),
        ("started_at", _TS),
        ("answered_at", _TS),
        ("ended_at", _TS),
        ("ring_seconds", pa.int64()),
        ("duration_seconds", pa.int64()),
        ("direction", pa.string()),
        ("disposition", pa.string()),
        ("calling_number", pa.string()),
        ("called_number", pa.string()),
        ("extension", pa.string()),
        ("trunk", pa.string()),
        ("account_code", pa.string()),
        ("raw", pa.string()),
        ("extra", pa.string()),  # JSON text; staging reads it with cast(extra as json) ->> 'key'
    ]
)
REJECT_SCHEMA = pa.schema(
    [
        ("source_format", pa.string()),
        ("record_id", pa.string()),
        ("reason", pa.string()),
        ("raw", pa.string()),
        ("line_number", pa.int64()),
        ("file_name", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class ParsedTables:
    legs: pa.Table  # LEG_SCHEMA
    rejects: pa.Table  # REJECT_SCHEMA


def json_default(value: Any) -> Any:
    """JSON for what parsers put in `extra`: datetimes as ISO UTC, Decimals as strings."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {value!r}")


def tables_from_items(
    items: Iterable[CallLeg | Rejected], file_name: str | None = None
) -> ParsedTables:
    """Collect a row parser's output into the two tables."""
    legs: dict[str, list[Any]] = {name: [] for name in LEG_SCHEMA.names}
    rejects: dict[str, list[Any]] = {name: [] for name in REJECT_SCHEMA.names}
    for item in items:
        if isinstance(item, CallLeg):
            for name in LEG_FIELDS:
                legs[name].append(getattr(item, name))
            legs["extra"].append(json.dumps(item.extra, default=json_default, sort_keys=True))
        else:
            for name in REJECT_SCHEMA.names:
                rejects[name].append(getattr(item, name))
            if rejects["file_name"][-1] is None:
                rejects["file_name"][-1] = file_name
    return ParsedTables(
        pa.Table.from_pydict(legs, schema=LEG_SCHEMA),
        pa.Table.from_pydict(rejects, schema=REJECT_SCHEMA),
    )


def parse_tables(source_format: str, data: bytes, ctx: ParseContext) -> ParsedTables:
    """The bulk path: the format's vectorised parser where it has one, else its row parser."""
    module = parser_module(source_format)
    vectorised = getattr(module, "parse_table", None)
    if vectorised is not None:
        result: ParsedTables = vectorised(data, ctx)
        return result
    return tables_from_items(module.parse(data, ctx), ctx.file_name)


def legs_from_table(table: pa.Table) -> list[CallLeg]:
    """Rows of LEG_SCHEMA back into CallLeg objects (used by vectorised parsers' `parse`)."""
    legs = []
    for row in table.to_pylist():
        extra = json.loads(row.pop("extra") or "{}")
        legs.append(CallLeg(**row, extra=extra))
    return legs


def rejects_from_table(table: pa.Table) -> list[Rejected]:
    return [Rejected(**row) for row in table.to_pylist()]
