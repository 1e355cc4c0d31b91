"""`callmeter stream`: the streaming sidecar, from the config's `streaming` section
(docs/design.md). Runs until SIGINT or SIGTERM; a kill -9 loses nothing (streaming.service).

With a bus (`streaming.bus` or CALLMETER_BUS), `--role listener` only receives, spools and
publishes, `--role worker` only runs the rules on the partitions it owns, and `--workers N`
starts N worker processes beside this one (docs/streaming.md, "Scale-out")."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    stream = commands.add_parser(
        "stream", help="run the streaming sidecar: TCP listeners, fraud rules, live state, alerts"
    )
    stream.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    stream.add_argument(
        "--role",
        default="all",
        choices=["all", "listener", "worker"],
        help="with a bus: listener (receive, spool, publish), worker (rules), or all (default)",
    )
    stream.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="with a bus: also start N worker processes (this one then only listens)",
    )
    stream.add_argument(
        "--worker-id", default=None, help="this worker's name on the bus (default: host name)"
    )
    stream.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import signal
    import socket
    import subprocess
    import sys

    from callmeter.cli import CommandError
    from callmeter.config import ConfigError, config_path, load_config
    from streaming.service import Role, Sidecar
    from streaming.settings import load_streaming

    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    path = config_path(args.config)
    config = load_config(path)
    settings = load_streaming(config, str(path))
    if args.workers < 0:
        raise CommandError("--workers must be 0 or more")
    if args.workers and settings.resolved_bus() is None:
        raise CommandError("--workers needs a bus: set streaming.bus or CALLMETER_BUS")
    role: Role = "listener" if args.workers and args.role == "all" else args.role
    if args.workers and role != "listener":
        raise CommandError("--workers goes with --role all or listener")
    try:
        sidecar = Sidecar(config, settings, config_path=path, role=role, worker_id=args.worker_id)
    except ConfigError as error:
        raise CommandError(str(error)) from None

    children: list[subprocess.Popen[bytes]] = []
    base = args.worker_id or socket.gethostname()
    for index in range(args.workers):
        children.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "callmeter",
                    "--config",
                    str(path),
                    "stream",
                    "--role",
                    "worker",
                    "--worker-id",
                    f"{base}-{index + 1}",
                    "--log-level",
                    args.log_level,
                ],
                stdout=subprocess.DEVNULL,
            )
        )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, stop.set)
        try:
            await sidecar.start()
        except OSError as error:  # a port in use, a spool dir not writable, no broker
            raise CommandError(f"cannot start: {error}") from None
        try:
            for name, port in sidecar.ports.items():
                print(f"listening {name} {port}", flush=True)
            if sidecar.endpoint is not None:
                print(f"webhooks {sidecar.endpoint.port}", flush=True)
            print("ready", flush=True)
            await stop.wait()
        finally:
            await sidecar.stop()
            print(f"stopped {sidecar.stats}", flush=True)

    try:
        asyncio.run(main())
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0
