"""The raw landing tables every source writes (docs/design.md, "Data flow"):

- raw.<format>_call_legs: the canonical leg columns plus tenant_id and site_id, one table per
  source format (the 3cx table is raw.three_cx_call_legs: identifiers may not start with a digit);
- raw.rejected_records: what a parser could not read, with the reason.

Both merge on natural keys, so landing the same file or API page twice changes nothing."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from callmeter.legs import FORMATS

from .parsers import MODULES
from .parsers.tables import LEG_SCHEMA, REJECT_SCHEMA

LEG_KEY = ["tenant_id", "site_id", "source_format", "source_record_id"]
REJECT_KEY = ["tenant_id", "site_id", "source_format", "record_id"]


def legs_table_name(source_format: str) -> str:
    """raw table of one format: cucm -> cucm_call_legs, 3cx -> three_cx_call_legs."""
    return f"{MODULES[source_format]}_call_legs"


LEG_TABLES: dict[str, str] = {fmt: legs_table_name(fmt) for fmt in FORMATS}

# Declare every column: dlt does not create a column that is null in every row of a load
# (trunk and account_code on an internal-only file), and the staging models select them all.
_DLT_TYPES: dict[pa.DataType, dict[str, Any]] = {
    pa.string(): {"data_type": "text"},
    pa.int64(): {"data_type": "bigint"},
    pa.timestamp("us", tz="UTC"): {"data_type": "timestamp", "timezone": True, "precision": 6},
}
LEG_COLUMNS: dict[str, Any] = {
    "tenant_id": {"data_type": "text"},
    "site_id": {"data_type": "text"},
} | {f.name: dict(_DLT_TYPES[f.type]) for f in LEG_SCHEMA}
REJECT_COLUMNS: dict[str, Any] = {
    "tenant_id": {"data_type": "text"},
    "site_id": {"data_type": "text"},
} | {f.name: dict(_DLT_TYPES[f.type]) for f in REJECT_SCHEMA}


def with_site(table: pa.Table, tenant_id: str, site_id: str) -> pa.Table:
    """Prefix a LEG_SCHEMA or REJECT_SCHEMA table with its tenant_id and site_id columns."""
    n = table.num_rows
    table = table.add_column(0, "site_id", pa.array([site_id] * n, pa.string()))
    return table.add_column(0, "tenant_id", pa.array([tenant_id] * n, pa.string()))


def dedupe_on(table: pa.Table, key: list[str]) -> pa.Table:
    """Keep the last row per key: dlt's merge needs unique keys within one load."""
    if table.num_rows == 0:
        return table
    import polars as pl

    keys = pl.from_arrow(table.select(key))
    assert isinstance(keys, pl.DataFrame)
    if not keys.is_duplicated().any():
        return table  # the usual case: no copy of the legs (raw text and all)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.unique(subset=key, keep="last", maintain_order=True).to_arrow().cast(table.schema)
