"""The sidecar in-process, over real sockets: listeners, spool, rules, live state, dispatcher."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from callmeter.config import load_config
from extractors.spool import SpoolReader, StreamKey
from streaming.alerts import Alert
from streaming.service import Sidecar
from streaming.settings import load_streaming
from tests.streaming.feeds import mitel_line, send, write_config
from tests.streaming.receivers import SmtpSink, WebhookReceiver


class RecordingSink:
    """Keeps submitted alerts; refuses an alert_id seen before, as the dispatcher does."""

    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self.seen: set[str] = set()

    async def start(self) -> None:
        return None

    async def submit(self, alert: Alert, targets: list[str] | None = None) -> bool:  # noqa: ARG002
        if alert.alert_id in self.seen:
            return False
        self.seen.add(alert.alert_id)
        self.alerts.append(alert)
        return True

    async def stop(self) -> None:
        return None


def make_sidecar(tmp_path: Path, streaming: dict[str, Any], sink: Any = None) -> Sidecar:
    streaming = {
        "state_dir": str(tmp_path / "state"),
        "spool_dir": str(tmp_path / "spool"),
        **streaming,
    }
    path = write_config(tmp_path / "callmeter.yaml", streaming)
    config = load_config(path)
    factory = (lambda _notify, _dir: sink) if sink is not None else None
    return Sidecar(config, load_streaming(config), config_path=path, sink_factory=factory)


LISTENERS = [
    {
        "id": "mitel",
        "format": "mitel",
        "port": 0,
        "host": "127.0.0.1",
        "tenant": "acme",
        "site": "london",
    },
    {
        "id": "avaya",
        "format": "avaya",
        "port": 0,
        "host": "127.0.0.1",
        "tenant": "acme",
        "site": "london",
    },
]
PREMIUM = {"id": "premium", "type": "premium_destination", "prefixes": ["44909", "1900"]}


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.01)


def run(coro: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(coro())


def test_a_premium_call_on_the_smdr_socket_sends_a_signed_webhook_and_an_email_within_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    webhook = WebhookReceiver().start()
    smtp = SmtpSink().start()
    monkeypatch.setenv("CALLMETER_TEST_WEBHOOK_SECRET", webhook.secret)
    notify = [
        {
            "id": "soc",
            "type": "webhook",
            "url": webhook.url,
            "secret_env": "CALLMETER_TEST_WEBHOOK_SECRET",
        },
        {
            "id": "mail",
            "type": "apprise",
            "url": f"mailto://127.0.0.1:{smtp.port}?from=sidecar@example.com&to=soc@example.com",
        },
    ]
    sidecar = make_sidecar(
        tmp_path, {"listeners": LISTENERS[:1], "rules": [PREMIUM], "notify": notify}
    )

    async def scenario() -> None:
        await sidecar.start()
        try:
            sent = time.monotonic()
            send(sidecar.ports["mitel"], mitel_line(digits="909091234567"))
            [hit] = await asyncio.to_thread(webhook.wait_for, 1, 5.0)
            [mail] = await asyncio.to_thread(smtp.wait_for, 1, 5.0)
            assert hit.received_at - time.time() + time.monotonic() - sent < 1.0
            assert hit.verified
            body = hit.json
            assert (body["rule"], body["tenant_id"], body["site_id"]) == (
                "premium",
                "acme",
                "london",
            )
            assert (body["extension"], body["called_e164"]) == ("214", "449091234567")
            assert body["event_at"].endswith("Z") and body["detected_at"].endswith("Z")
            assert "449091234567" in str(mail.get_body()) or "449091234567" in str(mail)
        finally:
            await sidecar.stop()
            webhook.stop()
            smtp.stop()

    run(scenario)


def test_garbage_half_lines_and_a_10_mb_line_are_spooled_as_rejects_and_the_listener_survives(
    tmp_path: Path,
) -> None:
    sink = RecordingSink()
    sidecar = make_sidecar(tmp_path, {"listeners": LISTENERS[:1], "rules": [PREMIUM]}, sink)

    async def scenario() -> None:
        await sidecar.start()
        try:
            port = sidecar.ports["mitel"]
            await asyncio.to_thread(send, port, b"\x00\xff garbage \x1b[2J\n")
            await asyncio.to_thread(
                send, port, b"x" * 10_000_000 + b"\n" + mitel_line(extension="201")
            )
            await asyncio.to_thread(send, port, mitel_line(extension="202") + b" 03/04 10:1")
            # Alerts are submitted concurrently, after the records are counted.
            await until(lambda: sidecar.stats.received >= 5 and len(sink.alerts) >= 2, timeout=20)
            assert sidecar.stats.legs == 2
            assert sidecar.stats.rejected_lines == 2  # the 10 MB line and the half line
            assert sidecar.stats.parse_rejects == 1  # the garbage, rejected by the parser
            assert {a.extension for a in sink.alerts} == {"201", "202"}
        finally:
            await sidecar.stop()

    run(scenario)
    records = SpoolReader(tmp_path / "spool", StreamKey("acme", "london", "mitel")).read_new(
        "check"
    )
    reasons = [r.reason for r in records if r.is_reject]
    assert any(r and "10000000 bytes" in r and "max_line_bytes" in r for r in reasons)
    assert any(r and r.startswith("partial line at disconnect") for r in reasons)
    [big] = [r for r in records if r.reason and "10000000" in r.reason]
    assert len(records) == 5 and len(big.payload) == 64 * 1024


def test_a_flood_on_one_listener_does_not_stop_the_others(tmp_path: Path) -> None:
    sink = RecordingSink()
    sidecar = make_sidecar(tmp_path, {"listeners": LISTENERS, "rules": [PREMIUM]}, sink)

    async def scenario() -> None:
        await sidecar.start()
        try:
            flood = mitel_line(digits="902071234567") * 10_000  # about 900 kB, non-stop
            flooding = asyncio.create_task(asyncio.to_thread(send, sidecar.ports["mitel"], flood))
            await asyncio.sleep(0.05)
            started = time.monotonic()
            await asyncio.to_thread(send, sidecar.ports["avaya"], b"some avaya record\n")
            await until(
                lambda: (
                    sidecar.store is not None
                    and any(f["listener"] == "avaya" for f in sidecar.store.feeds())
                ),
                timeout=10,
            )
            assert time.monotonic() - started < 2.0
            await flooding
            await until(lambda: sidecar.stats.received >= 10_001, timeout=60)
        finally:
            await sidecar.stop()

    run(scenario)


def test_lines_spooled_but_not_processed_before_a_crash_are_processed_at_start(
    tmp_path: Path,
) -> None:
    sink = RecordingSink()
    sidecar = make_sidecar(tmp_path, {"listeners": LISTENERS[:1], "rules": [PREMIUM]}, sink)
    # What a crash leaves: lines on disk past the sidecar's cursor.
    writer = sidecar._feed(sidecar.settings.listeners[0]).writer
    from datetime import UTC, datetime

    writer.append(mitel_line(extension="301").rstrip(b"\r\n"), datetime.now(UTC))
    writer.append(
        mitel_line(extension="302", digits="902071234567").rstrip(b"\r\n"), datetime.now(UTC)
    )
    writer.close()

    async def scenario() -> None:
        await sidecar.start()
        await sidecar.stop()

    run(scenario)
    assert [a.extension for a in sink.alerts] == ["301"]
    assert sidecar.stats.legs == 2
    again = make_sidecar(
        tmp_path, {"listeners": LISTENERS[:1], "rules": [PREMIUM]}, RecordingSink()
    )

    async def restart() -> None:
        await again.start()
        await again.stop()

    run(restart)
    assert again.stats.received == 0  # nothing left past the cursor


def test_rules_are_reloaded_when_the_config_file_changes(tmp_path: Path) -> None:
    sink = RecordingSink()
    sidecar = make_sidecar(tmp_path, {"listeners": LISTENERS[:1], "rules": [PREMIUM]}, sink)

    async def scenario() -> None:
        await sidecar.start()
        try:
            send(sidecar.ports["mitel"], mitel_line(extension="401", digits="902071234567"))
            await until(lambda: sidecar.stats.legs == 1)
            assert sink.alerts == []
            rule = {"id": "london", "type": "premium_destination", "prefixes": ["44207"]}
            document = json.loads(
                json.dumps({"listeners": LISTENERS[:1], "rules": [PREMIUM, rule]})
            )
            document |= {"state_dir": str(tmp_path / "state"), "spool_dir": str(tmp_path / "spool")}
            path = write_config(tmp_path / "callmeter.yaml", document)
            import os

            os.utime(path, (time.time() + 5, time.time() + 5))
            assert sidecar.reload_rules_if_changed()
            send(sidecar.ports["mitel"], mitel_line(extension="402", digits="902071234567"))
            await until(lambda: len(sink.alerts) == 1)
            assert sink.alerts[0].rule == "london"
        finally:
            await sidecar.stop()

    run(scenario)
