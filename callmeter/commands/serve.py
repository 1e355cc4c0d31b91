"""`callmeter serve [--host 127.0.0.1] [--port 8000]`: the read-only API (api/main.py) under
uvicorn. DuckDB mode reads the serving snapshot, Postgres mode the marts (docs/api.md)."""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]  # the checkout: api/ and ui/ live beside callmeter/


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the API (FastAPI, read-only)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.set_defaults(handler=run)


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket up front, so a port in use is a one-line error.

    Raises:
        CommandError: the address cannot be bound.
    """
    from callmeter.cli import CommandError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise CommandError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    return sock


def run(args: argparse.Namespace) -> int:
    from callmeter.cli import CommandError

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # a checkout whose editable install predates api/
    import uvicorn

    from api.main import create_app
    from api.settings import ApiSettings, ApiSettingsError

    try:
        settings = ApiSettings.from_env()
    except (ApiSettingsError, ValueError) as error:
        raise CommandError(str(error)) from None
    sock = bind(args.host, args.port)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"API on http://{shown}:{sock.getsockname()[1]} (docs: /docs)", flush=True)
    config = uvicorn.Config(create_app(settings), log_level=args.log_level)
    try:
        uvicorn.Server(config).run(sockets=[sock])  # stops cleanly on SIGINT and SIGTERM
    finally:
        sock.close()
    return 0
