"""`callmeter up`: everything at once, as child processes: the API, the board, and the streaming
sidecar when the config has a `streaming` section. Prints the URLs once they answer; Ctrl-C or
SIGTERM stops them all; if one of them dies, the others are stopped too."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callmeter.commands.serve import ROOT

STOP_GRACE_SECONDS = 10.0  # then SIGKILL
READY_TIMEOUT_SECONDS = 60.0


def register(commands: Any) -> None:
    up = commands.add_parser("up", help="run the API, the board and the sidecar together")
    up.add_argument("--host", default="127.0.0.1", help="address the API and board listen on")
    up.add_argument("--api-port", type=int, default=8000)
    up.add_argument("--board-port", type=int, default=8501)
    up.set_defaults(handler=run)


@dataclass(frozen=True, slots=True)
class Child:
    """A process to run and supervise."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path | None = None
    ready_url: str | None = None  # polled until it answers 200


def supervise(children: Sequence[Child]) -> int:
    """Start the children, wait until their ready URLs answer, then until a signal or a child's
    exit; stop every child still running (SIGTERM, then SIGKILL after a grace period).

    Returns:
        0 after SIGINT/SIGTERM, else the exit status of the first child that stopped by itself.
    """
    stop_requested = False

    def request_stop(_signum: int, _frame: Any) -> None:
        nonlocal stop_requested
        stop_requested = True

    previous = {number: signal.signal(number, request_stop) for number in _STOP_SIGNALS}
    running: list[tuple[Child, subprocess.Popen[bytes]]] = []
    try:
        for child in children:
            running.append(
                (child, subprocess.Popen(child.argv, env=child.env, cwd=child.cwd))  # noqa: S603
            )
        pending = [child for child in children if child.ready_url]
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not stop_requested:
            for child, process in running:
                code = process.poll()
                if code is not None:
                    print(f"callmeter: {child.name} stopped (exit {code})", file=sys.stderr)
                    return code or 1
            if pending:
                pending = [child for child in pending if not _answers(child.ready_url)]
                if not pending:
                    print("ready", flush=True)
                elif time.monotonic() > deadline:
                    names = ", ".join(child.name for child in pending)
                    message = f"{names} not ready after {READY_TIMEOUT_SECONDS:.0f} s"
                    print(f"callmeter: {message}", file=sys.stderr)
                    return 1
            time.sleep(0.2)
        return 0
    finally:
        _stop_all(running)
        for number, handler in previous.items():
            signal.signal(number, handler)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _answers(url: str | None) -> bool:
    import httpx

    try:
        return url is not None and httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _stop_all(running: list[tuple[Child, subprocess.Popen[bytes]]]) -> None:
    for _, process in running:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child, process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"callmeter: {child.name} did not stop; killing it", file=sys.stderr)
            process.kill()
            process.wait()


def _python_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _sidecar_live_store(config_file: Path) -> tuple[bool, Path | None]:
    """Whether the config has a `streaming` section, and where that sidecar keeps its live state.

    Raises:
        ConfigError: the config exists but is invalid.
    """
    if not config_file.exists():
        return False, None
    from callmeter.config import load_config
    from streaming.settings import load_streaming

    config = load_config(config_file)
    if not config.streaming:
        return False, None
    settings = load_streaming(config, str(config_file))
    url = settings.live_store.url
    if url and url.startswith("sqlite:///"):
        return True, Path(url.removeprefix("sqlite:///"))
    return True, settings.resolved_state_dir() / "live.sqlite"


def run(args: argparse.Namespace) -> int:
    from api.settings import ApiSettings, ApiSettingsError
    from callmeter.cli import CommandError
    from callmeter.commands.board import board_process
    from callmeter.commands.serve import bind
    from callmeter.config import config_path

    try:
        ApiSettings.from_env()  # fail here, in one line, rather than in a child
    except (ApiSettingsError, ValueError) as error:
        raise CommandError(str(error)) from None
    for port in (args.api_port, args.board_port):
        bind(args.host, port).close()
    config_file = config_path(args.config).resolve()
    streaming, live_store = _sidecar_live_store(config_file)

    python = [sys.executable, "-m", "callmeter", "--config", str(config_file)]
    api_env = _python_env()
    if live_store is not None:
        api_env["CALLMETER_LIVE_STORE"] = str(live_store)
    api_url = f"http://{args.host}:{args.api_port}"
    board_url = f"http://{args.host}:{args.board_port}"
    children = [
        Child(
            "api",
            [*python, "serve", "--host", args.host, "--port", str(args.api_port)],
            api_env,
            ready_url=f"{api_url}/health",
        )
    ]
    board_argv, board_env = board_process(args.host, args.board_port, api_url)
    children.append(
        Child("board", board_argv, board_env, ROOT / "ui", ready_url=f"{board_url}/_stcore/health")
    )
    if streaming:
        children.append(Child("sidecar", [*python, "stream"], _python_env()))
    print(f"API    {api_url}  (docs: {api_url}/docs)", flush=True)
    print(f"board  {board_url}", flush=True)
    if streaming:
        print(f"sidecar from {config_file} (live state: {live_store})", flush=True)
    else:
        print(f"sidecar not started: no `streaming` section in {config_file}", flush=True)
    return supervise(children)
