"""Landing validated reference tables in the warehouse's raw schema through dlt.

Each import is one dlt run. Tables that an import replaces (a rate-card version, a tenant's
directory, a tenant's budget months) use dlt's merge with the delete-insert strategy and a
merge key: every warehouse row whose merge key appears in the load is deleted, then the load
is inserted, in one step per table. Column hints are derived from the Arrow schema, so every
column exists even when it is null in every row of a load (dlt would drop it otherwise)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import pyarrow as pa

from callmeter.settings import Warehouse

# Delete the warehouse rows whose merge key is in the load, then insert the load.
REPLACE_BY_KEY: Any = {"disposition": "merge", "strategy": "delete-insert"}
UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")
# Columns that a tenant's file gives every row of its raw table (see tenant_table).
FILE_COLUMNS = ("tenant_id", "imported_at", "source_file")

Validated = TypeVar("Validated")


@dataclass(frozen=True, slots=True)
class RawTable:
    """One raw table to write: its Arrow data and how it replaces what is there."""

    name: str
    data: pa.Table
    merge_key: Sequence[str]


def column_hints(schema: pa.Schema) -> dict[str, dict[str, Any]]:
    """dlt column hints for an Arrow schema (text, bool, date, bigint, decimal, timestamptz)."""
    hints: dict[str, dict[str, Any]] = {}
    for field in schema:
        kind = field.type
        hint: dict[str, Any]
        if pa.types.is_string(kind):
            hint = {"data_type": "text"}
        elif pa.types.is_boolean(kind):
            hint = {"data_type": "bool"}
        elif pa.types.is_date32(kind):
            hint = {"data_type": "date"}
        elif pa.types.is_int64(kind):
            hint = {"data_type": "bigint"}
        elif pa.types.is_decimal(kind):
            hint = {"data_type": "decimal", "precision": kind.precision, "scale": kind.scale}
        elif pa.types.is_timestamp(kind):
            hint = {"data_type": "timestamp", "timezone": True, "precision": 6}
        else:  # pragma: no cover - a programming error in a schema of this package
            raise TypeError(f"no dlt type for column {field.name} ({kind})")
        hint["nullable"] = field.nullable
        hints[field.name] = hint
    return hints


def tenant_schema(fields: Sequence[pa.Field]) -> pa.Schema:
    """The Arrow schema of a raw table filled from a tenant's file: tenant_id, the file's own
    columns, then imported_at, source_file and row_number."""
    return pa.schema(
        [
            pa.field("tenant_id", pa.string(), nullable=False),
            *fields,
            pa.field("imported_at", UTC_TIMESTAMP, nullable=False),
            pa.field("source_file", pa.string()),
            pa.field("row_number", pa.int64(), nullable=False),
        ]
    )


def tenant_table(
    schema: pa.Schema,
    rows: Sequence[object],
    *,
    tenant_id: str,
    source_file: str,
    imported_at: datetime,
) -> pa.Table:
    """The Arrow table of a tenant's validated rows.

    Args:
        schema: a tenant_schema(); every column other than FILE_COLUMNS is read from the row's
            attribute of the same name.
        rows: the validated rows (dataclasses named like the columns).
        tenant_id: whose file it is.
        source_file: the file's name.
        imported_at: the import time recorded on each row.

    Returns:
        The table, in the schema's column order.
    """
    shared = {"tenant_id": tenant_id, "imported_at": imported_at, "source_file": source_file}
    own = [name for name in schema.names if name not in shared]
    return pa.Table.from_pylist(
        [shared | {name: getattr(row, name) for name in own} for row in rows], schema=schema
    )


def import_file(
    path: Path,
    read: Callable[[bytes, str], Validated],
    row_count: Callable[[Validated], int],
    raw_tables: Callable[[Validated, datetime], Sequence[RawTable]],
    warehouse: Warehouse,
    pipeline_name: str,
    *,
    pipelines_dir: str | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> Validated:
    """Validate a file whole, then land its tables: the flow every reference import shares.

    Args:
        path: the file.
        read: validates the file's bytes (given its name); raises ImportRefused.
        row_count: the validated rows, for the progress message.
        raw_tables: the raw tables of the validated file at an import time.
        warehouse: where to land it.
        pipeline_name: the dlt pipeline of this kind of import.
        pipelines_dir: dlt's working folder (default: <data dir>/dlt).
        now: the import time recorded on each row (default: the clock).
        progress: called with short messages for the user.

    Returns:
        What `read` validated, as landed.

    Raises:
        ImportRefused: the file is invalid; nothing was written.
        OSError: the file cannot be read.
    """
    validated = read(path.read_bytes(), path.name)
    if progress:
        progress(f"validated {row_count(validated)} rows; loading into the warehouse")
    tables = raw_tables(validated, now or datetime.now(UTC))
    land(warehouse, pipeline_name, tables, pipelines_dir)
    return validated


def land(
    warehouse: Warehouse,
    pipeline_name: str,
    tables: Sequence[RawTable],
    pipelines_dir: str | None = None,
) -> None:
    """Write the tables into raw.* in one dlt run (merge, delete-insert on each merge key).

    Args:
        warehouse: where to write (callmeter.settings.load_warehouse() in the CLI).
        pipeline_name: the dlt pipeline (one per kind of import, so their state stays apart).
        tables: the validated tables.
        pipelines_dir: dlt's working folder (default: <data dir>/dlt).
    """
    import dlt

    from extractors.destinations import raw_pipeline

    pipeline = raw_pipeline(pipeline_name, warehouse, pipelines_dir)
    if pipeline.has_pending_data:
        # A crashed earlier import must not be completed later: each import is whole.
        pipeline.drop_pending_packages()
    resources = [
        dlt.resource(
            _slices(table.data),
            name=table.name,
            table_name=table.name,
            write_disposition=REPLACE_BY_KEY,
            merge_key=list(table.merge_key),
            columns=cast(Any, column_hints(table.data.schema)),
        )
        for table in tables
    ]
    pipeline.run(resources).raise_on_failed_jobs()


def _slices(table: pa.Table, rows: int = 100_000) -> Iterator[pa.Table]:
    for offset in range(0, max(table.num_rows, 1), rows):
        yield table.slice(offset, rows)
