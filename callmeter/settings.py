"""Where the warehouse is. CALLMETER_WAREHOUSE is the one switch for dlt, dbt, the API and the UI.

This is the only module (with callmeter.config) that reads the environment for shared settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

_DUCKDB = "duckdb:///"  # followed by an absolute path: duckdb:////srv/callmeter/wh.duckdb

# Telemetry of dbt, dlt, Dagster and Streamlit is off unless the user turns it on: these
# machines often have no internet, and the calls then hang for seconds (docs/stack.md).
TELEMETRY_OFF: dict[str, str] = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    "DAGSTER_DISABLE_TELEMETRY": "1",
    # dlt warns on every Arrow load that its column hints win over Arrow's nullability: noise.
    "RUNTIME__LOG_LEVEL": "ERROR",
}


@dataclass(frozen=True, slots=True)
class Warehouse:
    kind: Literal["duckdb", "postgres"]
    url: str

    @classmethod
    def from_url(cls, url: str) -> Warehouse:
        if url.startswith(_DUCKDB):
            path = unquote(url[len(_DUCKDB) :])
            if not Path(path).is_absolute():
                raise ValueError(
                    "CALLMETER_WAREHOUSE: expected duckdb:/// followed by an absolute path "
                    f"(duckdb:////srv/callmeter/wh.duckdb), got {url!r}"
                )
            if Path(path).stem in ("raw", "staging", "intermediate", "marts", "live"):
                raise ValueError(
                    f"CALLMETER_WAREHOUSE: a DuckDB file may not be named after a schema ({path})"
                )
            return cls("duckdb", url)
        if urlsplit(url).scheme in ("postgresql", "postgres"):
            return cls("postgres", url)
        raise ValueError(
            f"CALLMETER_WAREHOUSE must be duckdb:////<absolute path> or postgresql://…, got {url!r}"
        )

    @property
    def duckdb_path(self) -> Path:
        return Path(unquote(self.url[len(_DUCKDB) :]))

    @property
    def dlt_credentials(self) -> str:
        """dlt insists on a password in a Postgres URL even under trust authentication."""
        if self.kind == "duckdb":
            return str(self.duckdb_path)
        parts = urlsplit(self.url)
        if parts.password is None and parts.username:
            netloc = parts.netloc.replace(f"{parts.username}@", f"{parts.username}:unused@", 1)
            return parts._replace(netloc=netloc).geturl()
        return self.url

    def dbt_env(self) -> dict[str, str]:
        """The variables dbt_project/profiles.yml reads. Derived here; users never set them."""
        if self.kind == "duckdb":
            return {
                "CALLMETER_DBT_TARGET": "duckdb",
                "CALLMETER_DUCKDB_PATH": str(self.duckdb_path),
            }
        parts = urlsplit(self.url)
        return {
            "CALLMETER_DBT_TARGET": "postgres",
            "CALLMETER_PG_HOST": parts.hostname or "localhost",
            "CALLMETER_PG_PORT": str(parts.port or 5432),
            "CALLMETER_PG_USER": unquote(parts.username or "postgres"),
            "CALLMETER_PG_PASSWORD": unquote(parts.password or ""),
            "CALLMETER_PG_DBNAME": parts.path.lstrip("/") or "callmeter",
        }


# Rows of a table have no order in SQL: letting DuckDB write them in any order lets every core
# insert at once (dlt's bulk loads). dbt's profile sets the same for its connections (profiles.yml).
DUCKDB_BULK_SETTINGS: Mapping[str, object] = {"preserve_insertion_order": False}


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """CALLMETER_DATA_DIR, else ./data: the embedded warehouse, inbox, spool, serving snapshot."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("CALLMETER_DATA_DIR") or Path.cwd() / "data").resolve()


def load_warehouse(environ: Mapping[str, str] | None = None) -> Warehouse:
    """CALLMETER_WAREHOUSE, else the embedded DuckDB default under the data folder."""
    environ = os.environ if environ is None else environ
    url = environ.get("CALLMETER_WAREHOUSE") or f"{_DUCKDB}{data_dir(environ) / 'callmeter.duckdb'}"
    return Warehouse.from_url(url)


def quiet_telemetry() -> None:
    """Turn the tools' telemetry off for this process and its children, unless set already."""
    for name, value in TELEMETRY_OFF.items():
        os.environ.setdefault(name, value)
