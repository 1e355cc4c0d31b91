"""Zoom and Graph webhooks against the sidecar's real HTTP endpoint: signatures, handshakes,
spooled before acknowledged, parsed and fed to the rules."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from extractors.spool import SpoolReader, StreamKey
from streaming.service import Sidecar
from tests.paths import PBX
from tests.streaming.test_service import PREMIUM, RecordingSink, make_sidecar, until

ZOOM_SECRET = "zoom-secret-token"
CLIENT_STATE = "graph-client-state"
WEBHOOKS = [
    {"id": "zoom", "format": "zoom", "tenant": "acme", "site": "london", "secret_env": "T_ZOOM"},
    {"id": "teams", "format": "teams", "tenant": "acme", "site": "london", "secret_env": "T_MS"},
]


def premium_zoom_call() -> bytes:
    """The vendor's caller_call_element_completed example, made an outbound premium call."""
    document = json.loads((PBX / "zoom" / "webhook_caller_call_element_completed.json").read_text())
    element = document["payload"]["object"]["call_elements"][0]
    element.update(
        direction="outbound",
        connect_type="external",
        caller_ext_number="214",
        callee_did_number="+449091234567",
        callee_ext_number=None,
    )
    return json.dumps(document).encode()


def zoom_headers(body: bytes, secret: str = ZOOM_SECRET, at: int | None = None) -> dict[str, str]:
    """Signed as the Zoom docs say, computed here independently of streaming.webhooks."""
    stamp = str(at if at is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {"x-zm-request-timestamp": stamp, "x-zm-signature": f"v0={digest.hexdigest()}"}


def run_with_sidecar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: Callable[[Sidecar, str], Awaitable[None]]
) -> tuple[Sidecar, RecordingSink]:
    monkeypatch.setenv("T_ZOOM", ZOOM_SECRET)
    monkeypatch.setenv("T_MS", CLIENT_STATE)
    sink = RecordingSink()
    sidecar = make_sidecar(
        tmp_path,
        {
            "webhooks": WEBHOOKS,
            "http": {"host": "127.0.0.1", "port": 0},
            "rules": [PREMIUM],
        },
        sink,
    )

    async def scenario() -> None:
        await sidecar.start()
        try:
            assert sidecar.endpoint is not None
            await body(sidecar, f"http://127.0.0.1:{sidecar.endpoint.port}/webhooks")
        finally:
            await sidecar.stop()

    asyncio.run(scenario())
    return sidecar, sink


def spooled(tmp_path: Path, fmt: str) -> list[Any]:
    return SpoolReader(tmp_path / "spool", StreamKey("acme", "london", fmt)).read_new("check")


def test_a_signed_zoom_call_is_spooled_acknowledged_and_raises_a_premium_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = premium_zoom_call()

    async def body(sidecar: Sidecar, url: str) -> None:
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"{url}/zoom", content=call, headers=zoom_headers(call))
            assert answer.status_code == 200
            # Acknowledged means on disk already.
            assert [r.payload for r in spooled(tmp_path, "zoom")] == [call]
        await until(lambda: sidecar.stats.alerts == 1)

    sidecar, sink = run_with_sidecar(tmp_path, monkeypatch, body)
    [alert] = sink.alerts
    assert (alert.rule, alert.extension, alert.called_e164) == ("premium", "214", "449091234567")
    assert sidecar.stats.legs == 1


def test_zoom_requests_unsigned_badly_signed_or_stale_are_refused_and_not_spooled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = premium_zoom_call()

    async def body(sidecar: Sidecar, url: str) -> None:
        async with httpx.AsyncClient() as client:
            attempts = {
                "unsigned": {},
                "wrong secret": zoom_headers(call, secret="not-the-secret"),
                "stale": zoom_headers(call, at=int(time.time()) - 3600),
            }
            for why, headers in attempts.items():
                answer = await client.post(f"{url}/zoom", content=call, headers=headers)
                assert answer.status_code == 401, why
            tampered = call.replace(b"449091234567", b"449091234568")
            answer = await client.post(f"{url}/zoom", content=tampered, headers=zoom_headers(call))
            assert answer.status_code == 401
            unknown = await client.post(f"{url}/nope", content=call, headers=zoom_headers(call))
            assert unknown.status_code == 404
        assert sidecar.endpoint is not None and sidecar.endpoint.refused == 4

    _, sink = run_with_sidecar(tmp_path, monkeypatch, body)
    assert spooled(tmp_path, "zoom") == [] and sink.alerts == []


def test_zoom_url_validation_is_answered_with_the_hmac_of_the_plain_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    challenge = json.dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}}
    ).encode()

    async def body(_sidecar: Sidecar, url: str) -> None:
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                f"{url}/zoom", content=challenge, headers=zoom_headers(challenge)
            )
        assert answer.status_code == 200
        expected = hmac.new(ZOOM_SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256)
        assert answer.json() == {
            "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
            "encryptedToken": expected.hexdigest(),
        }

    run_with_sidecar(tmp_path, monkeypatch, body)
    assert spooled(tmp_path, "zoom") == []  # a handshake is not a call record


def test_graph_handshake_echoes_the_token_and_client_state_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notice = {
        "value": [
            {
                "subscriptionId": "6e1b1f5c",
                "clientState": CLIENT_STATE,
                "changeType": "created",
                "resource": "communications/callRecords/2f1a1100-b174-40a0-aba7-0b405e01ed92",
                "resourceData": {
                    "@odata.type": "#microsoft.graph.callrecord",
                    "id": "2f1a1100-b174-40a0-aba7-0b405e01ed92",
                },
            }
        ]
    }
    forged = copy.deepcopy(notice)
    forged["value"][0]["clientState"] = "guessed"

    async def body(sidecar: Sidecar, url: str) -> None:
        async with httpx.AsyncClient() as client:
            handshake = await client.post(f"{url}/teams?validationToken=Validation%3A+abc+123")
            assert handshake.status_code == 200
            assert handshake.text == "Validation: abc 123"
            assert handshake.headers["content-type"].startswith("text/plain")
            refused = await client.post(f"{url}/teams", json=forged)
            assert refused.status_code == 403
            assert spooled(tmp_path, "teams") == []
            accepted = await client.post(f"{url}/teams", json=notice)
            assert accepted.status_code == 202
            assert len(spooled(tmp_path, "teams")) == 1
        await until(lambda: sidecar.stats.notices == 1)

    sidecar, _ = run_with_sidecar(tmp_path, monkeypatch, body)
    # The notification only names the record: kept in the spool, no leg, no parse reject.
    assert (sidecar.stats.legs, sidecar.stats.parse_rejects) == (0, 0)


def test_a_webhook_without_its_secret_variable_is_a_clear_error(tmp_path: Path) -> None:
    from callmeter.config import ConfigError

    sidecar = make_sidecar(tmp_path, {"webhooks": WEBHOOKS[:1]}, RecordingSink())
    with pytest.raises(ConfigError, match=r"webhooks\[0\] \(id zoom\)\.secret_env.*T_ZOOM"):
        asyncio.run(sidecar.start())
