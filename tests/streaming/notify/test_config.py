"""Bad notify configuration fails at startup with a message that names the key."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from callmeter.config import ConfigError
from streaming.notify.config import NotifyConfigError, parse_targets
from streaming.notify.dispatcher import Dispatcher, backoff_delay

HOOK = {
    "id": "soc",
    "type": "webhook",
    "url": "http://127.0.0.1:9000/alerts",
    "secret_env": "CALLMETER_TEST_WEBHOOK_SECRET",
}


def _error(section: object, tmp_path: Path) -> str:
    with pytest.raises(NotifyConfigError) as caught:
        Dispatcher.from_config(section, tmp_path)  # type: ignore[arg-type]
    assert isinstance(caught.value, ConfigError)  # the CLI prints these as one line
    return str(caught.value)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLMETER_TEST_WEBHOOK_SECRET", "s3cret")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"urll": "http://x"}, "streaming.notify[0] (id soc).urll: unknown key"),
        ({"secret_env": None}, "streaming.notify[0] (id soc).secret_env:"),
        (
            {"url": "ftp://host/alerts"},
            "streaming.notify[0] (id soc).url: must be an http:// or https:// URL",
        ),
        (
            {"max_attempts": 0},
            "streaming.notify[0] (id soc).max_attempts: Input should be greater than or equal to 1",
        ),
        ({"timeout": "soon"}, "streaming.notify[0] (id soc).timeout:"),
        (
            {"backoff_base": 10, "backoff_cap": 1},
            "backoff_cap (1.0) must not be below backoff_base (10.0)",
        ),
        ({"type": "pager"}, "streaming.notify[0] (id soc).type: unknown type 'pager'"),
        ({"id": "s o c"}, "streaming.notify[0] (id s o c).id: use letters"),
    ],
)
def test_a_bad_webhook_key_is_named(change: dict, expected: str, tmp_path: Path) -> None:
    target = {**HOOK, **change}
    target = {key: value for key, value in target.items() if value is not None}
    assert expected in _error([target], tmp_path)


def test_a_missing_secret_variable_is_a_startup_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALLMETER_TEST_WEBHOOK_SECRET")
    message = _error([HOOK], tmp_path)
    assert message == (
        "streaming.notify[0] (id soc).secret_env: "
        "environment variable CALLMETER_TEST_WEBHOOK_SECRET is not set"
    )


def test_every_fault_is_reported_at_once_and_duplicate_ids_are_refused(tmp_path: Path) -> None:
    message = _error(
        [
            HOOK,
            {**HOOK, "colour": "red"},
            {"id": "mail", "type": "apprise"},
            {"type": "block", "id": "blk", "command": ["pbxctl", "block", "{extn}"]},
            {"id": "b2", "type": "block", "command": ["x"], "url": "http://h/x"},
            "not a mapping",
        ],
        tmp_path,
    )
    assert "streaming.notify[1] (id soc).colour: unknown key" in message
    assert "streaming.notify[2] (id mail): give exactly one of url or url_env" in message
    assert "streaming.notify[3] (id blk).command: unknown placeholder {extn}" in message
    assert "streaming.notify[4] (id b2): give exactly one of command or url" in message
    assert "streaming.notify[5]: expected a mapping" in message
    assert "streaming.notify[1].id: duplicate target id 'soc'" in message


def test_an_apprise_url_it_cannot_use_is_named(tmp_path: Path) -> None:
    message = _error([{"id": "chat", "type": "apprise", "url": "nosuchservice://x"}], tmp_path)
    assert message.startswith("streaming.notify[0] (id chat).url: apprise does not recognise")


def test_an_apprise_url_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = {"id": "mail", "type": "apprise", "url_env": "CALLMETER_TEST_MAIL_URL"}
    assert "url_env: environment variable CALLMETER_TEST_MAIL_URL is not set" in _error(
        [target], tmp_path
    )
    monkeypatch.setenv(
        "CALLMETER_TEST_MAIL_URL", "mailto://127.0.0.1:2525?from=a@b.example&to=c@d.example"
    )
    assert Dispatcher.from_config([target], tmp_path).target_ids == ["mail"]


def test_the_section_must_be_a_list_and_may_be_empty() -> None:
    with pytest.raises(NotifyConfigError, match="streaming.notify: expected a list"):
        parse_targets({"id": "soc"})
    assert parse_targets(None) == [] and parse_targets([]) == []


def test_backoff_is_full_jitter_under_an_exponential_ceiling_and_the_cap() -> None:
    rng = random.Random(7)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 60.0), (500, 60.0)]:
        delays = [backoff_delay(attempt, 0.5, 60.0, rng) for _ in range(400)]
        assert all(0.0 <= d <= ceiling for d in delays)
        # Full jitter spreads over the whole range, not around the ceiling.
        assert min(delays) < ceiling * 0.1 and max(delays) > ceiling * 0.9
