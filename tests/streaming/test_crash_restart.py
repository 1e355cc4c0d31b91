"""`callmeter stream` as a real process: kill -9 during a burst, restart, nothing lost and every
alert delivered under one alert_id."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from extractors.spool import SpoolReader, StreamKey
from tests.paths import ROOT
from tests.streaming.feeds import mitel_line, send, write_config
from tests.streaming.receivers import WebhookReceiver, free_port

SECRET_ENV = "CALLMETER_TEST_WEBHOOK_SECRET"


def start(config: Path, data_dir: Path, secret: str) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "CALLMETER_DATA_DIR": str(data_dir), SECRET_ENV: secret}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "callmeter",
            "--config",
            str(config),
            "stream",
            "--log-level",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    port = 0
    for line in process.stdout:
        if line.startswith("listening mitel "):
            port = int(line.split()[2])
        if line.strip() == "ready":
            return process, port
    raise AssertionError(f"callmeter stream exited with {process.wait()}")


def burst(first: int, count: int) -> list[bytes]:
    """Lines with unique extensions; every fifth one dials a premium number."""
    # An hour ago in London, on the 24-hour clock (blank am/pm): inside the live store's
    # recent-calls window, so every processed record can be counted there.
    start = datetime.now(ZoneInfo("Europe/London")) - timedelta(hours=1)
    lines = []
    for n in range(first, first + count):
        digits = "909091234567" if n % 5 == 0 else "902071234567"
        lines.append(
            mitel_line(
                extension=str(n),
                digits=digits,
                date=f"{start:%m/%d}",
                clock=f"{start:%H:%M} ",
                duration=f"00:00:{n % 60:02d}",
            )
        )
    return lines


def test_kill_9_during_a_burst_loses_no_record_and_sends_no_alert_twice(tmp_path: Path) -> None:
    webhook = WebhookReceiver().start()
    port = free_port()
    config = write_config(
        tmp_path / "callmeter.yaml",
        {
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
            "rules": [{"id": "premium", "type": "premium_destination", "prefixes": ["44909"]}],
            "notify": [
                {"id": "soc", "type": "webhook", "url": webhook.url, "secret_env": SECRET_ENV}
            ],
        },
    )
    data_dir = tmp_path / "data"
    process, _ = start(config, data_dir, webhook.secret)

    def flood() -> None:
        for line in burst(1000, 3000):
            try:
                send(port, line)
            except OSError:
                return  # the sidecar is gone: the rest was never received

    sender = threading.Thread(target=flood)
    sender.start()
    webhook.wait_for(20, timeout=20)  # well into the burst
    process.send_signal(signal.SIGKILL)
    killed_at = time.time()
    process.wait()
    sender.join()

    spool = SpoolReader(data_dir / "spool", StreamKey("acme", "london", "mitel"))
    before_restart = len(spool.read_new("check", max_records=1_000_000))
    assert before_restart > 20
    process, _ = start(config, data_dir, webhook.secret)
    try:
        for line in burst(5000, 50):
            send(port, line)
        deadline = time.monotonic() + 30
        while (
            len(records := spool.read_new("check", max_records=1_000_000)) < before_restart + 50
            or spool.cursor("stream") != records[-1].end
        ):
            assert time.monotonic() < deadline, "the restarted sidecar did not catch up"
            time.sleep(0.05)
        spooled = spool.read_new("check", max_records=1_000_000)
        premium = {
            r.payload[23:27].decode().strip() for r in spooled if b"909091234567" in r.payload
        }
        assert any(int(e) >= 5000 for e in premium) and any(int(e) < 5000 for e in premium)
        deadline = time.monotonic() + 30
        while {r.json["extension"] for r in webhook.requests if r.status == 200} != premium:
            assert time.monotonic() < deadline, "not every premium call was alerted"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        webhook.stop()

    # Every spooled line was processed: one row per record in the live store's recent calls.
    with sqlite3.connect(data_dir / "streaming" / "live.sqlite") as db:
        [(calls,)] = db.execute("select count(*) from recent_calls").fetchall()
    assert calls == len(spooled)
    # One alert_id per call; a repeat may only be a delivery in flight at the kill (at least once).
    ids = [r.json["alert_id"] for r in webhook.requests]
    repeats = len(ids) - len(set(ids))
    in_flight = sum(1 for r in webhook.requests if killed_at - 1.0 <= r.received_at <= killed_at)
    assert len(set(ids)) == len(premium)
    assert repeats <= in_flight
