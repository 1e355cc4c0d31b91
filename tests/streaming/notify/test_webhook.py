"""Webhooks end to end: the dispatcher against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from streaming.notify.dispatcher import Dispatcher
from streaming.notify.webhook import sign, verify
from tests.streaming.notify.helpers import make_alert, run, webhook
from tests.streaming.receivers import WebhookReceiver, contract_signature, free_port

REQUIRED = {
    "alert_id",
    "rule",
    "tenant_id",
    "site_id",
    "extension",
    "called_number",
    "called_e164",
    "event_at",
    "detected_at",
}


@pytest.fixture(autouse=True)
def _secret(webhook_receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLMETER_TEST_WEBHOOK_SECRET", webhook_receiver.secret)


def test_a_webhook_carries_the_contract_signature_and_headers(
    webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    async def scenario() -> None:
        dispatcher = Dispatcher.from_config([webhook(webhook_receiver.url)], tmp_path)
        await dispatcher.start()
        assert await dispatcher.submit(make_alert("premium-sig")) is True
        [record] = await dispatcher.wait_settled("premium-sig")
        await dispatcher.stop()
        assert (record.status, record.attempts, record.response_code) == ("delivered", 1, 200)

    before = int(time.time())
    run(scenario())
    [hit] = webhook_receiver.requests
    timestamp = hit.headers["x-callmeter-timestamp"]
    # The receiver's own check, and the formula recomputed here from the contract's words.
    assert hit.verified
    assert hit.headers["x-callmeter-signature"] == contract_signature(
        webhook_receiver.secret, timestamp, hit.body
    )
    assert before <= int(timestamp) <= time.time() + 1
    assert hit.method == "POST"
    assert hit.headers["content-type"] == "application/json"
    assert hit.headers["idempotency-key"] == "premium-sig"
    body = hit.json
    assert set(body) >= REQUIRED
    assert body["alert_id"] == "premium-sig"
    assert (body["rule"], body["extension"], body["called_e164"]) == (
        "premium",
        "2001",
        "449071234567",
    )
    assert body["event_at"] == "2024-03-01T22:15:04Z"


def test_the_signature_helpers_follow_the_contract_formula() -> None:
    body = json.dumps({"alert_id": "a"}).encode()
    now = int(time.time())
    assert sign(b"k", now, body) == contract_signature("k", str(now), body)
    assert verify(b"k", str(now), sign(b"k", now, body), body)
    assert not verify(b"other", str(now), sign(b"k", now, body), body)
    assert not verify(b"k", str(now), sign(b"k", now, body), body + b" ")
    # A replayed request outside the tolerance window fails even with a valid signature.
    old = now - 3600
    assert not verify(b"k", str(old), sign(b"k", old, body), body)


def test_two_failures_then_success_is_one_delivery_of_three_attempts(
    webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    webhook_receiver.fail_next(2, status=503)

    async def scenario() -> list:
        dispatcher = Dispatcher.from_config([webhook(webhook_receiver.url)], tmp_path)
        await dispatcher.start()
        await dispatcher.submit(make_alert("premium-retry"))
        records = await dispatcher.wait_settled("premium-retry")
        await dispatcher.stop()
        return records

    [record] = run(scenario())
    assert (record.status, record.attempts, record.response_code) == ("delivered", 3, 200)
    assert record.last_error is None and record.delivered_at is not None
    hits = webhook_receiver.requests
    assert [hit.status for hit in hits] == [503, 503, 200]
    assert len({hit.body for hit in hits}) == 1  # a retry sends the same body
    assert {hit.headers["idempotency-key"] for hit in hits} == {"premium-retry"}
    assert [hit.headers["x-callmeter-attempt"] for hit in hits] == ["1", "2", "3"]
    assert all(hit.verified for hit in hits)


def test_a_receiver_that_is_down_at_first_gets_the_alert_once_it_is_up(
    webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    late = WebhookReceiver(secret=webhook_receiver.secret, port=free_port())

    async def scenario() -> list:
        import asyncio

        target = webhook(late.url, backoff_base=0.05, backoff_cap=0.1, max_attempts=100)
        dispatcher = Dispatcher.from_config([target], tmp_path)
        await dispatcher.start()
        await dispatcher.submit(make_alert("premium-late"))
        while (await dispatcher.deliveries("premium-late"))[0].attempts < 2:
            await asyncio.sleep(0.02)
        [refused] = await dispatcher.deliveries("premium-late")
        assert refused.status == "pending" and refused.response_code is None
        assert "Connect" in (refused.last_error or "")
        late.start()
        records = await dispatcher.wait_settled("premium-late")
        await dispatcher.stop()
        return records

    try:
        [record] = run(scenario())
    finally:
        late.stop()
    assert record.status == "delivered" and record.attempts >= 3
    assert len(late.requests) == 1 and late.requests[0].verified


def test_a_delivery_gives_up_after_max_attempts_with_the_last_error(
    webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    webhook_receiver.fail_next(10, status=500)

    async def scenario() -> list:
        dispatcher = Dispatcher.from_config(
            [webhook(webhook_receiver.url, max_attempts=3)], tmp_path
        )
        await dispatcher.start()
        await dispatcher.submit(make_alert("premium-dead"))
        records = await dispatcher.wait_settled("premium-dead")
        await dispatcher.stop()
        return records

    [record] = run(scenario())
    assert (record.status, record.attempts, record.response_code) == ("failed", 3, 500)
    assert record.last_error.startswith("HTTP 500")
    assert record.next_attempt_at is None
    assert len(webhook_receiver.requests) == 3


def test_a_wrong_secret_is_refused_by_the_receiver_and_never_counts_as_delivered(
    webhook_receiver: WebhookReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLMETER_TEST_WEBHOOK_SECRET", "not-the-receivers-secret")

    async def scenario() -> list:
        dispatcher = Dispatcher.from_config(
            [webhook(webhook_receiver.url, max_attempts=2)], tmp_path
        )
        await dispatcher.start()
        await dispatcher.submit(make_alert("premium-forged"))
        records = await dispatcher.wait_settled("premium-forged")
        await dispatcher.stop()
        return records

    [record] = run(scenario())
    assert (record.status, record.response_code) == ("failed", 401)
    assert not any(hit.verified for hit in webhook_receiver.requests)


def test_a_duplicate_submit_is_refused_and_not_sent_again(
    webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        dispatcher = Dispatcher.from_config([webhook(webhook_receiver.url)], tmp_path)
        await dispatcher.start()
        first = await dispatcher.submit(make_alert("premium-dup"))
        again_at_once = await dispatcher.submit(make_alert("premium-dup"))
        await dispatcher.wait_settled("premium-dup")
        again_later = await dispatcher.submit(make_alert("premium-dup"))
        # A different alert afterwards proves the queue kept moving past the duplicates.
        await dispatcher.submit(make_alert("premium-next"))
        await dispatcher.wait_settled("premium-next")
        await dispatcher.stop()
        return first, again_at_once, again_later

    assert run(scenario()) == (True, False, False)
    ids = [hit.json["alert_id"] for hit in webhook_receiver.requests]
    assert ids == ["premium-dup", "premium-next"]


def test_submit_sends_only_to_the_chosen_targets(
    webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    with WebhookReceiver(secret=webhook_receiver.secret) as other:

        async def scenario() -> list:
            targets = [webhook(webhook_receiver.url), webhook(other.url, id="noc")]
            dispatcher = Dispatcher.from_config(targets, tmp_path)
            await dispatcher.start()
            await dispatcher.submit(make_alert("premium-noc"), targets=["noc"])
            records = await dispatcher.wait_settled("premium-noc")
            with pytest.raises(ValueError, match="unknown notify target.*pager"):
                await dispatcher.submit(make_alert("premium-x"), targets=["pager"])
            await dispatcher.stop()
            return records

        records = run(scenario())
        assert [(r.target_id, r.status) for r in records] == [("noc", "delivered")]
        assert len(other.requests) == 1
    assert webhook_receiver.requests == []


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    import httpx

    from streaming.notify.webhook import retry_after

    assert retry_after(httpx.Response(503, headers={"Retry-After": "7"})) == 7.0
    assert retry_after(httpx.Response(503)) is None
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    past = retry_after(
        httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    )
    assert past == 0.0
