"""`callmeter board [--port 8501]`: the Streamlit board (ui/Home.py), headless, reading through
the API at --api-url (default $CALLMETER_API_URL, else http://127.0.0.1:8000)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from callmeter.commands.serve import ROOT


def register(commands: Any) -> None:
    board = commands.add_parser("board", help="run the live board and reports UI (Streamlit)")
    board.add_argument("--host", default="127.0.0.1", help="address to listen on")
    board.add_argument("--port", type=int, default=8501, help="port to listen on")
    board.add_argument("--api-url", help="the API to read (default $CALLMETER_API_URL)")
    board.set_defaults(handler=run)


def board_process(host: str, port: int, api_url: str | None) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run the board as a child process."""
    argv = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "ui" / "Home.py"),
        "--server.headless",
        "true",
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    env = dict(os.environ)
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    # The pages import `ui.client`: the checkout must be importable whatever the working folder.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if api_url:
        env["CALLMETER_API_URL"] = api_url
    return argv, env


def run(args: argparse.Namespace) -> int:
    from callmeter.commands.serve import bind
    from callmeter.commands.up import Child, supervise

    bind(args.host, args.port).close()  # a port in use is a one-line error, not a stack trace
    argv, env = board_process(args.host, args.port, args.api_url)
    print(f"board on http://{args.host}:{args.port}", flush=True)
    # cwd ui/: Streamlit reads .streamlit/config.toml from the working folder.
    return supervise([Child("board", argv, env, ROOT / "ui")])
