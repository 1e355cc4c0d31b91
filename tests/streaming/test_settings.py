"""The `streaming` section: validated with errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from callmeter.config import ConfigError, load_config
from streaming.settings import load_streaming, parse_streaming
from tests.paths import FIXTURES

DESIGN_SHAPE = {
    "listeners": [
        {"format": "3cx", "port": 5100, "tenant": "acme", "site": "london"},
        {"format": "mitel", "port": 1752, "tenant": "acme", "site": "london"},
    ],
    "rules": [
        {"id": "premium", "type": "premium_destination", "prefixes": ["44909", "1900"]},
        {"id": "burst", "type": "burst", "calls": 10, "seconds": 60},
        {"id": "night", "type": "after_hours", "start": "19:00", "end": "07:00"},
    ],
    "notify": [
        {"id": "soc", "type": "webhook", "url": "http://127.0.0.1:9000/alerts", "secret_env": "X"},
        {"id": "mail", "type": "apprise", "url": "mailto://..."},
    ],
}


def test_the_shape_in_the_design_doc_is_accepted() -> None:
    settings = parse_streaming(DESIGN_SHAPE)
    assert [lst.name for lst in settings.listeners] == ["3cx-5100", "mitel-1752"]
    assert [r.type for r in settings.rules] == ["premium_destination", "burst", "after_hours"]
    assert settings.notify[0]["id"] == "soc"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"listners": []}, "streaming.listners: unknown key"),
        (
            {"rules": [{"id": "x", "type": "burst", "calls": 3}]},
            "streaming.rules[0].burst.seconds: required",
        ),
        ({"rules": [{"id": "x", "type": "bogus"}]}, "streaming.rules[0]: unknown rule type"),
        (
            {"rules": [{"id": "x", "type": "premium_destination", "prefixes": ["+44"]}]},
            "E.164 digits",
        ),
        (
            {"rules": [{"id": "x", "type": "after_hours", "start": "25:00", "end": "07:00"}]},
            "HH:MM",
        ),
        (
            {"listeners": [{"format": "nortel", "port": 1, "tenant": "a", "site": "b"}]},
            "unknown format",
        ),
    ],
)
def test_a_bad_section_names_the_key(change: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_streaming({**DESIGN_SHAPE, **change})


def test_a_listener_for_an_unknown_site_is_refused() -> None:
    config = load_config(FIXTURES / "callmeter.yaml")
    config = config.model_copy(
        update={
            "streaming": {
                "listeners": [{"format": "mitel", "port": 1, "tenant": "acme", "site": "paris"}]
            }
        }
    )
    with pytest.raises(ConfigError, match=r"listeners\[0\].*no site 'paris'"):
        load_streaming(config)


def test_bus_comes_from_the_environment_first(tmp_path: Path) -> None:
    settings = parse_streaming({"bus": "nats://a:4222", "state_dir": str(tmp_path)})
    assert settings.resolved_bus({"CALLMETER_BUS": "nats://b:4222"}) == "nats://b:4222"
    assert settings.resolved_bus({}) == "nats://a:4222"
    assert settings.resolved_state_dir({}) == tmp_path
