"""`callmeter stream`: the streaming sidecar, from the config's `streaming` section
(docs/design.md). Runs until SIGINT or SIGTERM; a kill -9 loses nothing (streaming.service)."""

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
    stream.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import signal
    import sys

    from callmeter.cli import CommandError
    from callmeter.config import config_path, load_config
    from streaming.service import Sidecar
    from streaming.settings import load_streaming

    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    path = config_path(args.config)
    config = load_config(path)
    settings = load_streaming(config, str(path))

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, stop.set)
        sidecar = Sidecar(config, settings, config_path=path)
        try:
            await sidecar.start()
        except OSError as error:  # a port in use, a spool dir not writable
            raise CommandError(f"cannot start: {error}") from None
        try:
            for name, port in sidecar.ports.items():
                print(f"listening {name} {port}", flush=True)
            print("ready", flush=True)
            await stop.wait()
        finally:
            await sidecar.stop()
            print(f"stopped {sidecar.stats}", flush=True)

    asyncio.run(main())
    return 0
