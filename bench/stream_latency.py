"""Latency of the streaming sidecar: Mitel SMDR lines in over TCP, signed webhooks out.

Starts `callmeter stream` as a subprocess with a temporary config (one Mitel listener, a
premium-destination rule and a burst rule, one webhook target pointing at a local receiver),
replays SMDR lines at each chosen rate over one TCP connection, and measures, for every
premium-rate line, the time from the line being sent to its webhook being received.
Prints one JSON line: per rate, p50/p99/max latency, lines sent, alerts received, and the
highest rate whose p99 stayed under one second with every alert delivered.

    .venv/bin/python bench/stream_latency.py --rates 500,1000,2000,3000 --seconds 10
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

ROOT = Path(__file__).resolve().parents[1]


def mitel_line(extension: str, digits: str, date: str, clock: str) -> bytes:
    line = f" {date} {clock} 00:01:00 {extension:<4}  {'':3} {digits:<26}A T054  {'':4} {'':12} 000"
    return line.encode() + b"\r\n"


class Receiver:
    """Webhook receiver: the arrival time of each alert, by extension."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.perf_counter()
                extension = json.loads(body).get("extension")
                with receiver.lock:
                    receiver.arrivals.setdefault(str(extension), now)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sidecar(
    workdir: Path,
    webhook_port: int,
    secret: str,
    bus: str | None = None,
    workers: int = 0,
    live_store: str | None = None,
) -> tuple[subprocess.Popen[str], int]:
    document = yaml.safe_load((ROOT / "tests" / "fixtures" / "callmeter.yaml").read_text())
    port = free_port()
    document["streaming"] = {
        "listeners": [
            {
                "id": "mitel",
                "format": "mitel",
                "port": port,
                "host": "127.0.0.1",
                "tenant": "acme",
                "site": "london",
            }
        ],
        "rules": [
            {"id": "premium", "type": "premium_destination", "prefixes": ["44909"]},
            {"id": "burst", "type": "burst", "calls": 1_000_000, "seconds": 60},
        ],
        "notify": [
            {
                "id": "soc",
                "type": "webhook",
                "url": f"http://127.0.0.1:{webhook_port}/alerts",
                "secret_env": "BENCH_SECRET",
            }
        ],
    }
    if live_store:
        document["streaming"]["live_store"] = {"url": live_store}
    if bus:
        document["streaming"] |= {"bus": bus, "bus_name": f"cmbench_{secrets.token_hex(4)}"}
    config = workdir / "callmeter.yaml"
    config.write_text(yaml.safe_dump(document))
    env = {**os.environ, "CALLMETER_DATA_DIR": str(workdir / "data"), "BENCH_SECRET": secret}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "callmeter",
            "--config",
            str(config),
            "stream",
            "--log-level",
            "ERROR",
            *(["--workers", str(workers)] if workers else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == "ready":
            return process, port
    raise SystemExit(f"callmeter stream exited with {process.wait()}")


def run_rate(
    rate: int,
    seconds: float,
    premium_every: int,
    bus: str | None = None,
    workers: int = 0,
    live_store: str | None = None,
) -> dict[str, Any]:
    receiver = Receiver()
    with tempfile.TemporaryDirectory(prefix="callmeter-bench-") as tmp:
        process, port = start_sidecar(
            Path(tmp), receiver.port, secrets.token_hex(8), bus, workers, live_store
        )
        if bus:
            time.sleep(3 * 3.0)  # the workers take their partitions (lease cycles)
        try:
            start = datetime.now(ZoneInfo("Europe/London")) - timedelta(hours=1)
            date, clock = f"{start:%m/%d}", f"{start:%H:%M} "
            sent: dict[str, float] = {}
            sock = socket.create_connection(("127.0.0.1", port))
            tick = 0.01
            per_tick = max(1, round(rate * tick))
            total = int(rate * seconds)
            began = time.perf_counter()
            n = premium = 0
            while n < total:
                chunk = []
                for _ in range(min(per_tick, total - n)):
                    if n % premium_every == 0:
                        extension = str(1000 + premium % 9000)
                        premium += 1
                        chunk.append(
                            (extension, mitel_line(extension, "909091234567", date, clock))
                        )
                    else:
                        chunk.append((None, mitel_line("200", "902071234567", date, clock)))
                    n += 1
                now = time.perf_counter()
                sock.sendall(b"".join(line for _, line in chunk))
                for extension, _ in chunk:
                    if extension is not None:
                        sent[extension] = now
                next_at = began + (n / rate)
                delay = next_at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            send_seconds = time.perf_counter() - began
            sock.close()
            deadline = time.perf_counter() + 30
            while len(receiver.arrivals) < len(sent) and time.perf_counter() < deadline:
                time.sleep(0.05)
        finally:
            process.terminate()
            process.wait(timeout=60)
            receiver.server.shutdown()
            if bus:
                delete_stream(bus, Path(tmp) / "callmeter.yaml")
    latencies = sorted(receiver.arrivals[e] - t for e, t in sent.items() if e in receiver.arrivals)
    quantiles = (
        statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [float("nan")] * 99
    )
    return {
        "rate": rate,
        "achieved_rate": round(total / send_seconds),
        "lines": total,
        "alerts_expected": len(sent),
        "alerts_received": len(latencies),
        "p50_ms": round(quantiles[49] * 1000, 1),
        "p99_ms": round(quantiles[98] * 1000, 1),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
    }


def delete_stream(bus: str, config: Path) -> None:
    """Remove the run's stream and lease bucket from the broker."""
    import asyncio

    import nats

    name = yaml.safe_load(config.read_text())["streaming"]["bus_name"]

    async def delete() -> None:
        nc = await nats.connect(bus)
        js = nc.jetstream()
        for action in (js.delete_stream(name), js.delete_key_value(f"{name}_leases")):
            with contextlib.suppress(Exception):  # never created
                await action
        await nc.close()

    asyncio.run(delete())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rates", default="500,1000,2000", help="lines per second, comma-separated"
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--premium-every", type=int, default=20, help="one premium call per N lines"
    )
    parser.add_argument("--bus", default=None, help="nats://... to run listener + workers")
    parser.add_argument("--workers", type=int, default=0, help="worker processes (with --bus)")
    parser.add_argument("--live-store", default=None, help="postgresql://... (an empty database)")
    args = parser.parse_args()
    results = [
        run_rate(int(r), args.seconds, args.premium_every, args.bus, args.workers, args.live_store)
        for r in args.rates.split(",")
    ]
    sustained = [
        r["rate"]
        for r in results
        if r["alerts_received"] == r["alerts_expected"]
        and r["p99_ms"] < 1000
        and r["achieved_rate"] >= 0.95 * r["rate"]
    ]
    print(
        json.dumps(
            {
                "bench": "stream_latency",
                "seconds_per_rate": args.seconds,
                "bus": args.bus,
                "workers": args.workers,
                "live_store": "postgres" if args.live_store else "sqlite",
                "results": results,
                "highest_sustained_rate": max(sustained, default=None),
            }
        )
    )


if __name__ == "__main__":
    main()
