"""The dlt destination for the configured warehouse (dlt stays out of callmeter.settings)."""

from __future__ import annotations

from typing import Any

import dlt

from callmeter.settings import DUCKDB_BULK_SETTINGS, Warehouse


def dlt_destination(warehouse: Warehouse) -> Any:
    if warehouse.kind == "postgres":
        return dlt.destinations.postgres(credentials=warehouse.dlt_credentials)
    warehouse.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    credentials = DuckDbCredentials(
        str(warehouse.duckdb_path), global_config=dict(DUCKDB_BULK_SETTINGS)
    )
    return dlt.destinations.duckdb(credentials=credentials)


def raw_pipeline(name: str, warehouse: Warehouse, pipelines_dir: str | None = None) -> Any:
    """A dlt pipeline writing dataset `raw` (== the dbt source name, so lineage joins)."""
    import os

    from callmeter.settings import data_dir

    # Arrow tables skip dlt's load-id column by default; staging carries _dlt_load_id so every
    # mart row traces back to its load.
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    return dlt.pipeline(
        pipeline_name=name,
        destination=dlt_destination(warehouse),
        dataset_name="raw",
        pipelines_dir=pipelines_dir or str(data_dir() / "dlt"),
    )
