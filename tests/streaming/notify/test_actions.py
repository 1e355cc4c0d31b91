"""The block-extension action: a real command (argv, no shell) and a real HTTP call."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from streaming.notify.dispatcher import Dispatcher
from tests.streaming.notify.helpers import make_alert, run, webhook
from tests.streaming.receivers import WebhookReceiver

# A tiny "PBX admin tool": writes its arguments to a file, one per line.
_RECORDER = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text('\\n'.join(sys.argv[2:]))"


def _settle(targets: list[dict], state_dir: Path, alert_id: str, **changes: object) -> list:
    async def scenario() -> list:
        dispatcher = Dispatcher.from_config(targets, state_dir)
        await dispatcher.start()
        await dispatcher.submit(make_alert(alert_id, **changes))
        records = await dispatcher.wait_settled(alert_id)
        await dispatcher.stop()
        return records

    return run(scenario())


def test_the_block_command_runs_with_the_extension_as_one_argument(tmp_path: Path) -> None:
    out = tmp_path / "blocked.txt"
    command = [sys.executable, "-c", _RECORDER, str(out), "--site={site_id}", "{extension}"]
    target = {"id": "block", "type": "block", "command": command}
    [record] = _settle([target], tmp_path / "state", "premium-block", extension="2001; rm -rf x")
    # An extension with a shell metacharacter is refused, never run.
    assert (record.status, record.attempts) == ("failed", 1)
    assert "refusing extension" in record.last_error
    assert not out.exists()

    [record] = _settle([target], tmp_path / "state2", "premium-block")
    assert (record.status, record.response_code) == ("delivered", 0)
    assert out.read_text().splitlines() == ["--site=london", "2001"]


def test_a_failing_block_command_is_retried_and_its_stderr_kept(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-c",
        "import sys; sys.exit('PBX refused ' + sys.argv[1])",
        "{extension}",
    ]
    target = {
        "id": "block",
        "type": "block",
        "command": command,
        "max_attempts": 2,
        "backoff_base": 0.01,
        "backoff_cap": 0.01,
    }
    [record] = _settle([target], tmp_path, "premium-refused")
    assert (record.status, record.attempts, record.response_code) == ("failed", 2, 1)
    assert "PBX refused 2001" in record.last_error


def test_an_alert_without_an_extension_fails_the_block_action_at_once(tmp_path: Path) -> None:
    target = {"id": "block", "type": "block", "command": ["true", "{extension}"]}
    [record] = _settle([target], tmp_path, "premium-noext", extension=None)
    assert (record.status, record.attempts) == ("failed", 1)
    assert record.last_error == "the alert has no extension"


def test_the_block_url_is_called_with_the_extension_and_signed(
    webhook_receiver: WebhookReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLMETER_TEST_BLOCK_SECRET", webhook_receiver.secret)
    base = webhook_receiver.url.removesuffix("/alerts")
    target = {
        "id": "pbx",
        "type": "block",
        "url": base + "/tenants/{tenant_id}/extensions/{extension}/block",
        "method": "PUT",
        "secret_env": "CALLMETER_TEST_BLOCK_SECRET",
    }
    [record] = _settle([target], tmp_path, "premium-http-block")
    assert record.status == "delivered"
    [hit] = webhook_receiver.requests
    assert (hit.method, hit.path) == ("PUT", "/tenants/acme/extensions/2001/block")
    assert hit.verified and hit.json["alert_id"] == "premium-http-block"


def test_a_slow_target_does_not_hold_up_the_others(
    webhook_receiver: WebhookReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLMETER_TEST_WEBHOOK_SECRET", webhook_receiver.secret)
    slow = {
        "id": "slow",
        "type": "block",
        "command": [sys.executable, "-c", "import time; time.sleep(0.8)", "{extension}"],
    }
    records = _settle([slow, webhook(webhook_receiver.url)], tmp_path, "premium-slow")
    by_target = {record.target_id: record for record in records}
    assert {r.status for r in records} == {"delivered"}
    gap = by_target["slow"].delivered_at - by_target["soc"].delivered_at
    assert gap.total_seconds() > 0.5
