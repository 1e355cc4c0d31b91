"""Rule state survives a restart: the windows are rebuilt from the spool, so a burst that spans
a stop or a kill -9 still fires, once."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from extractors.spool import SpoolReader, StreamKey
from tests.streaming.feeds import mitel_line, send, write_config
from tests.streaming.receivers import WebhookReceiver, free_port
from tests.streaming.test_crash_restart import SECRET_ENV, start
from tests.streaming.test_service import LISTENERS, RecordingSink, make_sidecar, until

BURST = {"id": "burst", "type": "burst", "calls": 3, "seconds": 60, "notify": ["soc"]}


def call(n: int) -> bytes:
    """Extension 700 dials a London number; calls differ by duration, all start together."""
    return mitel_line(extension="700", digits="902071234567", duration=f"00:01:{n:02d}")


def test_a_burst_across_a_restart_fires_once_and_not_again_on_replay(tmp_path: Path) -> None:
    sink = RecordingSink()
    section = {"listeners": LISTENERS[:1], "rules": [BURST | {"notify": None}]}

    async def run(lines: list[bytes], legs: int) -> None:
        sidecar = make_sidecar(tmp_path, section, sink)
        await sidecar.start()
        try:
            for line in lines:
                send(sidecar.ports["mitel"], line)
            await until(lambda: sidecar.stats.legs == legs)
        finally:
            await sidecar.stop()

    asyncio.run(run([call(1), call(2)], 2))
    assert sink.alerts == []
    asyncio.run(run([call(3)], 1))  # the first two come back from the spool
    assert [a.rule for a in sink.alerts] == ["burst"]
    asyncio.run(run([call(4)], 1))  # the replayed burst is not raised again; one call is no burst
    assert len(sink.alerts) == 1


def test_a_burst_spanning_a_kill_9_fires_once(tmp_path: Path) -> None:
    webhook = WebhookReceiver().start()
    port = free_port()
    listener = LISTENERS[0] | {"port": port}
    notify = [{"id": "soc", "type": "webhook", "url": webhook.url, "secret_env": SECRET_ENV}]
    config = write_config(
        tmp_path / "callmeter.yaml", {"listeners": [listener], "rules": [BURST], "notify": notify}
    )
    data_dir = tmp_path / "data"
    spool = SpoolReader(data_dir / "spool", StreamKey("acme", "london", "mitel"))
    process, _ = start(config, data_dir, webhook.secret)
    try:
        send(port, call(1) + call(2))
        deadline = time.monotonic() + 10
        while spool.cursor("stream").offset == 0 or len(spool.read_new("stream")) > 0:
            assert time.monotonic() < deadline, "the two calls were not processed"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        process, _ = start(config, data_dir, webhook.secret)
        send(port, call(3))
        [hit] = webhook.wait_for(1, timeout=10)
        assert hit.json["rule"] == "burst" and hit.json["extension"] == "700"
        time.sleep(0.5)
        assert len(webhook.requests) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        webhook.stop()
