"""The delivery log survives a restart: pending deliveries resume, delivered ones stay delivered."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from streaming.notify.delivery_log import FILENAME
from streaming.notify.dispatcher import Dispatcher
from tests.streaming.notify.helpers import make_alert, run, webhook
from tests.streaming.receivers import WebhookReceiver, free_port


@pytest.fixture(autouse=True)
def _secret(webhook_receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLMETER_TEST_WEBHOOK_SECRET", webhook_receiver.secret)


def test_a_new_dispatcher_resumes_a_pending_delivery_from_the_log(
    webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    receiver = WebhookReceiver(secret=webhook_receiver.secret, port=free_port())
    target = webhook(receiver.url, backoff_base=0.05, backoff_cap=0.1, max_attempts=50)

    async def before_restart() -> int:
        dispatcher = Dispatcher.from_config([target], tmp_path)
        await dispatcher.start()
        await dispatcher.submit(make_alert("premium-resume"))
        while (await dispatcher.deliveries("premium-resume"))[0].attempts < 2:
            await asyncio.sleep(0.02)
        await dispatcher.stop()
        [record] = await _read_only(tmp_path)
        assert record[0] == "pending"
        return record[1]

    async def after_restart() -> tuple[list, bool]:
        dispatcher = Dispatcher.from_config([target], tmp_path)
        await dispatcher.start()  # nothing is submitted again: the log alone drives the retry
        records = await dispatcher.wait_settled("premium-resume")
        duplicate = await dispatcher.submit(make_alert("premium-resume"))
        await dispatcher.stop()
        return records, duplicate

    attempts_before = run(before_restart())
    receiver.start()
    try:
        [record], resubmitted = run(after_restart())
    finally:
        receiver.stop()
    assert record.status == "delivered"
    assert record.attempts == attempts_before + 1  # the count carries over the restart
    assert resubmitted is False
    assert [hit.json["alert_id"] for hit in receiver.requests] == ["premium-resume"]


def test_a_delivered_alert_is_not_sent_again_after_a_restart(
    webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    target = webhook(webhook_receiver.url)

    async def first_life() -> None:
        dispatcher = Dispatcher.from_config([target], tmp_path)
        await dispatcher.start()
        await dispatcher.submit(make_alert("premium-once"))
        await dispatcher.wait_settled("premium-once")
        await dispatcher.stop()

    async def second_life() -> bool:
        dispatcher = Dispatcher.from_config([target], tmp_path)
        await dispatcher.start()
        again = await dispatcher.submit(make_alert("premium-once"))
        # Resumed work is queued at start(), before this new alert: once it is delivered,
        # anything resumed would have arrived too.
        await dispatcher.submit(make_alert("premium-after"))
        await dispatcher.wait_settled("premium-after")
        await dispatcher.stop()
        return again

    run(first_life())
    assert run(second_life()) is False
    ids = [hit.json["alert_id"] for hit in webhook_receiver.requests]
    assert ids == ["premium-once", "premium-after"]


def test_stop_leaves_scheduled_retries_pending_and_the_next_start_sends_them(
    webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    webhook_receiver.fail_next(1)
    slow_retry = webhook(webhook_receiver.url, backoff_base=30, backoff_cap=30)

    async def first_life() -> None:
        dispatcher = Dispatcher.from_config([slow_retry], tmp_path)
        await dispatcher.start()
        await dispatcher.submit(make_alert("premium-later"))
        while (await dispatcher.deliveries("premium-later"))[0].attempts < 1:
            await asyncio.sleep(0.01)
        await asyncio.wait_for(dispatcher.stop(), 2)  # does not wait for the retry

    run(first_life())
    [(status, attempts)] = run(_read_only(tmp_path))
    assert (status, attempts) == ("pending", 1)
    # Make the stored retry due now, as if the sidecar had been down for a while.
    with closing(sqlite3.connect(tmp_path / FILENAME)) as conn, conn:
        conn.execute("update deliveries set next_attempt_at = 0")

    async def second_life() -> list:
        dispatcher = Dispatcher.from_config([webhook(webhook_receiver.url)], tmp_path)
        await dispatcher.start()
        records = await dispatcher.wait_settled("premium-later")
        await dispatcher.stop()
        return records

    [record] = run(second_life())
    assert (record.status, record.attempts) == ("delivered", 2)
    assert [hit.status for hit in webhook_receiver.requests] == [503, 200]


async def _read_only(state_dir: Path) -> list[tuple[str, int]]:
    with closing(sqlite3.connect(state_dir / FILENAME)) as conn:
        return conn.execute("select status, attempts from deliveries").fetchall()


def test_an_unusable_state_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file, not a folder")
    dispatcher = Dispatcher.from_config([], blocker)
    with pytest.raises(RuntimeError, match="state/notify.sqlite3: cannot open the delivery log"):
        run(dispatcher.start())
