"""Alert-to-webhook latency of the notify dispatcher at a steady alert rate.

A real webhook receiver (tests/streaming/receivers.py: verifies every signature) runs in a child
process on 127.0.0.1. This process submits alerts at `--rate` per second for `--seconds`, each
submit in its own task (as concurrent rule workers would), and prints one JSON line: submit
(durable enqueue) latency and submit-to-receipt latency percentiles, delivery-log commits (one
fsync each) and how many arrived verified.

    .venv/bin/python bench/notify_latency.py --rate 2000 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streaming.alerts import Alert  # noqa: E402
from streaming.notify.dispatcher import Dispatcher  # noqa: E402
from tests.streaming.receivers import WebhookReceiver  # noqa: E402


def _receiver(
    secret: str, ready: multiprocessing.Queue, done: multiprocessing.Queue, expected: int
) -> None:
    with WebhookReceiver(secret=secret) as receiver:
        ready.put(receiver.port)
        with contextlib.suppress(TimeoutError):
            receiver.wait_for(expected, timeout=120)
        done.put([(r.json["alert_id"], r.received_at, r.verified) for r in receiver.requests])


def _fast_receiver(
    secret: str, ready: multiprocessing.Queue, done: multiprocessing.Queue, expected: int
) -> None:
    """The same checks as WebhookReceiver, as a bare ASGI app under uvicorn (httptools, uvloop)."""
    import socket

    import uvicorn

    from tests.streaming.receivers import contract_signature

    received: list[tuple[str, float, bool]] = []

    async def app(scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        stamp = headers.get("x-callmeter-timestamp", "")
        ok = headers.get("x-callmeter-signature") == contract_signature(secret, stamp, body)
        received.append((json.loads(body)["alert_id"], time.time(), ok))
        await send({"type": "http.response.start", "status": 200 if ok else 401, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})
        if len(received) >= expected:
            done.put(received)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    ready.put(sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


def _alert(n: int) -> Alert:
    now = datetime.now(UTC)
    return Alert(
        alert_id=f"bench-{n:08d}",
        rule="premium",
        rule_type="premium_destination",
        tenant_id="acme",
        site_id="london",
        extension=str(2000 + n % 500),
        called_number="909071234567",
        called_e164="449071234567",
        event_at=now,
        detected_at=now,
    )


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 2)


async def _run(args: argparse.Namespace, url: str, state_dir: Path) -> dict:
    target = {
        "id": "soc",
        "type": "webhook",
        "url": url,
        "secret_env": "CALLMETER_BENCH_SECRET",
        "concurrency": args.concurrency,
    }
    dispatcher = Dispatcher.from_config([target], state_dir)
    await dispatcher.start()
    submitted: dict[str, float] = {}
    submit_ms: list[float] = []

    async def submit(n: int) -> None:
        alert = _alert(n)
        started = time.time()
        submitted[alert.alert_id] = started
        await dispatcher.submit(alert)
        submit_ms.append((time.time() - started) * 1000)

    total = int(args.rate * args.seconds)
    tick = 0.01
    per_tick = args.rate * tick
    tasks: list[asyncio.Task[None]] = []
    begin = time.monotonic()
    n = 0
    while n < total:
        due = min(total, int((time.monotonic() - begin) / tick * per_tick) + int(per_tick))
        while n < due:
            tasks.append(asyncio.create_task(submit(n)))
            n += 1
        await asyncio.sleep(tick)
    await asyncio.gather(*tasks)
    offered_seconds = time.monotonic() - begin
    deadline = time.monotonic() + 60
    while dispatcher._outstanding and time.monotonic() < deadline:  # noqa: SLF001 (bench only)
        await asyncio.sleep(0.05)
    commits = dispatcher._writer.commits  # noqa: SLF001
    attempts, errors = await dispatcher._writer.call(  # noqa: SLF001
        lambda conn: (
            conn.execute("select sum(attempts) from deliveries").fetchone()[0],
            conn.execute(
                "select last_error, count(*) from deliveries where attempts > 1 group by 1 limit 3"
            ).fetchall(),
        )
    )
    await dispatcher.stop()
    return {
        "submitted": submitted,
        "submit_ms": submit_ms,
        "commits": commits,
        "attempts": attempts,
        "errors": errors,
        "offered_seconds": offered_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=2000, help="alerts per second")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--receiver",
        choices=["threaded", "uvicorn"],
        default="uvicorn",
        help="threaded: tests/streaming/receivers.py; uvicorn: the same checks, faster server",
    )
    args = parser.parse_args()
    secret = "bench-secret"
    os.environ["CALLMETER_BENCH_SECRET"] = secret
    total = int(args.rate * args.seconds)
    ready: multiprocessing.Queue = multiprocessing.Queue()
    done: multiprocessing.Queue = multiprocessing.Queue()
    serve = _fast_receiver if args.receiver == "uvicorn" else _receiver
    child = multiprocessing.Process(target=serve, args=(secret, ready, done, total))
    child.start()
    port = ready.get(timeout=10)
    with tempfile.TemporaryDirectory() as state:
        result = asyncio.run(_run(args, f"http://127.0.0.1:{port}/alerts", Path(state)))
    received = done.get(timeout=130)
    child.terminate()
    child.join(timeout=10)
    latencies = [
        (at - result["submitted"][alert_id]) * 1000
        for alert_id, at, _ in received
        if alert_id in result["submitted"]
    ]
    print(
        json.dumps(
            {
                "bench": "notify_latency",
                "rate_per_s": args.rate,
                "alerts": total,
                "offered_seconds": round(result["offered_seconds"], 2),
                "delivered": len(received),
                "verified": sum(1 for *_, ok in received if ok),
                "duplicates": len(received) - len({alert_id for alert_id, *_ in received}),
                "submit_ms_p50": _percentile(result["submit_ms"], 50),
                "submit_ms_p99": _percentile(result["submit_ms"], 99),
                "e2e_ms_p50": _percentile(latencies, 50),
                "e2e_ms_p99": _percentile(latencies, 99),
                "e2e_ms_max": round(max(latencies), 2),
                "attempts": result["attempts"],
                "retried_errors": result["errors"],
                "log_commits": result["commits"],
                "ops_per_commit": round(2 * total / max(1, result["commits"]), 1),
                "concurrency": args.concurrency,
                "receiver": args.receiver,
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
