"""API settings: the shared warehouse decision plus what only the API needs (docs/style.md, C12)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from callmeter.settings import Warehouse, data_dir, load_warehouse

SERVING_FILE = (
    "callmeter_serving.duckdb"  # published by `callmeter build` (orchestration/lib/serving.py)
)
REFUSED_TOKENS = frozenset({"changeme"})


class ApiSettingsError(ValueError):
    """The environment does not describe a usable API (e.g. no token outside dev)."""


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """Everything the API reads from the environment, read once when the app is created."""

    warehouse: Warehouse
    serving_path: Path  # DuckDB mode: the snapshot each successful build publishes
    live_store_path: Path  # the sidecar's SQLite live state
    api_token: str  # empty: no authentication (dev only)
    env: str = "dev"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        """Read CALLMETER_WAREHOUSE, CALLMETER_DATA_DIR, CALLMETER_LIVE_STORE, CALLMETER_ENV and
        CALLMETER_API_TOKEN.

        Raises:
            ApiSettingsError: outside CALLMETER_ENV=dev without a real token, or a placeholder
                token anywhere.
        """
        environ = os.environ if environ is None else environ
        env = environ.get("CALLMETER_ENV", "dev").strip() or "dev"
        token = environ.get("CALLMETER_API_TOKEN", "").strip()
        if token in REFUSED_TOKENS:
            raise ApiSettingsError(f"CALLMETER_API_TOKEN={token!r} is a placeholder: set a secret")
        if env != "dev" and not token:
            raise ApiSettingsError(
                f"CALLMETER_API_TOKEN must be set outside dev (CALLMETER_ENV={env!r})"
            )
        data = data_dir(environ)
        live = environ.get("CALLMETER_LIVE_STORE") or str(data / "streaming" / "live.sqlite")
        return cls(
            warehouse=load_warehouse(environ),
            serving_path=data / "serving" / SERVING_FILE,
            live_store_path=Path(live).resolve(),
            api_token=token,
            env=env,
        )
