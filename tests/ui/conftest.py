"""A real API for the board: uvicorn on 127.0.0.1 and a random port, in a thread, over the tiny
serving snapshot and a seeded live store in tmp_path."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.main import create_app
from api.settings import SERVING_FILE, ApiSettings
from callmeter.settings import Warehouse
from tests.api.data import build_serving_snapshot, copy_file, seed_live_store

UI = Path(__file__).resolve().parents[2] / "ui"


@pytest.fixture(scope="session")
def serving_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once; each test gets its own copy (building a DuckDB file costs ~0.4 s)."""
    return build_serving_snapshot(tmp_path_factory.mktemp("serving") / SERVING_FILE)


@pytest.fixture
def api_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serving_template: Path
) -> Iterator[str]:
    import uvicorn

    seed_live_store(tmp_path / "streaming" / "live.sqlite")
    settings = ApiSettings(
        warehouse=Warehouse.from_url(f"duckdb:///{tmp_path / 'callmeter.duckdb'}"),
        serving_path=copy_file(serving_template, tmp_path / "serving" / SERVING_FILE),
        live_store_path=tmp_path / "streaming" / "live.sqlite",
        api_token="board-test-token",
        env="test",
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("CALLMETER_API_URL", url)
    monkeypatch.setenv("CALLMETER_API_TOKEN", "board-test-token")
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
