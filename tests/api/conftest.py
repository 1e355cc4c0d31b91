"""An API over a tiny serving snapshot and a seeded live store, both in tmp_path."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from api.main import create_app
from api.settings import SERVING_FILE, ApiSettings
from callmeter.settings import Warehouse
from tests.api.data import build_serving_snapshot, copy_file, seed_live_store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette 1.10: "install httpx2" (docs/stack.md)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def serving_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once; each test gets its own copy (building a DuckDB file costs ~0.4 s)."""
    return build_serving_snapshot(tmp_path_factory.mktemp("serving") / SERVING_FILE)


@pytest.fixture
def live_now(tmp_path: Path) -> datetime:
    return seed_live_store(tmp_path / "streaming" / "live.sqlite")


@pytest.fixture
def settings(tmp_path: Path, live_now: datetime, serving_template: Path) -> ApiSettings:
    serving = copy_file(serving_template, tmp_path / "serving" / SERVING_FILE)
    return ApiSettings(
        warehouse=Warehouse.from_url(f"duckdb:///{tmp_path / 'callmeter.duckdb'}"),
        serving_path=serving,
        live_store_path=tmp_path / "streaming" / "live.sqlite",
        api_token="",
    )


@pytest.fixture
def client(settings: ApiSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client
