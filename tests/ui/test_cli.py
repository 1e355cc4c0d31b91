"""`callmeter serve`, `board` and `up` as a user runs them: real processes on random ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from callmeter.cli import main
from tests.paths import FIXTURES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _poll(url: str, seconds: float = 30) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer 200 within {seconds} s")
        time.sleep(0.2)


def test_serve_outside_dev_without_a_token_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CALLMETER_ENV", "production")
    monkeypatch.delenv("CALLMETER_API_TOKEN", raising=False)
    assert main(["serve", "--port", str(_free_port())]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "callmeter serve: error: CALLMETER_API_TOKEN must be set outside dev "
        "(CALLMETER_ENV='production')"
    ]


@pytest.mark.parametrize("command", ["serve", "board"])
def test_a_port_in_use_is_a_one_line_error(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CALLMETER_ENV", raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main([command, "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err


@pytest.mark.integration
def test_up_runs_api_board_and_sidecar_and_sigterm_stops_them_all(tmp_path: Path) -> None:
    config = yaml.safe_load((FIXTURES / "callmeter.yaml").read_text())
    config["streaming"] = {
        "listeners": [{"format": "3cx", "port": _free_port(), "tenant": "acme", "site": "london"}],
        "state_dir": str(tmp_path / "state"),
        "spool_dir": str(tmp_path / "spool"),
    }
    config_file = tmp_path / "callmeter.yaml"
    config_file.write_text(yaml.safe_dump(config))
    api_port, board_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "CALLMETER_DATA_DIR": str(tmp_path / "data"),
        "CALLMETER_WAREHOUSE": f"duckdb:///{tmp_path / 'data' / 'callmeter.duckdb'}",
        "CALLMETER_ENV": "dev",
    }
    env.pop("CALLMETER_API_TOKEN", None)
    argv = [sys.executable, "-m", "callmeter", "--config", str(config_file), "up"]
    argv += ["--api-port", str(api_port), "--board-port", str(board_port)]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(3)]
        assert lines[0].startswith(f"API    http://127.0.0.1:{api_port}")
        assert lines[1] == f"board  http://127.0.0.1:{board_port}"
        assert lines[2].startswith("sidecar from")
        assert _poll(f"http://127.0.0.1:{board_port}/_stcore/health").text == "ok"
        # The API reads the sidecar's live state: the trunk channels the sidecar loaded.
        trunks = _poll(f"http://127.0.0.1:{api_port}/live/trunks").json()
        assert {(t["trunk"], t["channels"]) for t in trunks} >= {("SIP-GAMMA", 30)}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    for port in (api_port, board_port):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
