"""Test-wide settings, set before any project module is imported (the Dagster definitions read
them when they load). Nothing here reaches the network; every warehouse lives in a temp folder."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.paths import FIXTURES, ROOT

_SCRATCH = Path(tempfile.mkdtemp(prefix="callmeter-tests-"))


def pytest_configure(config: pytest.Config) -> None:
    defaults = {
        "CALLMETER_WAREHOUSE": f"duckdb:///{_SCRATCH / 'warehouse.duckdb'}",  # 4 slashes: absolute
        "CALLMETER_DATA_DIR": str(_SCRATCH / "data"),
        "CALLMETER_CONFIG": str(FIXTURES / "callmeter.yaml"),
        "DAGSTER_HOME": str(_SCRATCH / "dagster"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    for name, value in defaults.items():
        os.environ[name] = value
    os.environ.pop("DBT_PROJECT_DIR", None)
    (_SCRATCH / "dagster").mkdir(exist_ok=True)
    (_SCRATCH / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SCRATCH, ignore_errors=True)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip locally when a service is down; under CI=true a missing service fails the test."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + " (CI=true: services must be up; .ci/run starts them)")
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A database of its own on the machine's PostgreSQL server, dropped afterwards."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import uuid

    import psycopg2

    name = f"callmeter_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    try:
        yield f"postgresql://postgres:unused@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
