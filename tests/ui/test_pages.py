"""Every board page rendered by streamlit.testing.v1.AppTest against a real API (uvicorn in a
thread), and each page's behaviour when the API is down: a warning, never an exception."""

from __future__ import annotations

import socket

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import UI

pytestmark = pytest.mark.integration

TIMEOUT = 30


def _run(page: str) -> AppTest:
    app = AppTest.from_file(str(UI / page), default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _tables(app: AppTest) -> list[list[list[str]]]:
    """Each st.table as rows of cell texts."""
    out = []
    for table in app.table:
        frame = table.value
        out.append([[str(v) for v in row] for row in frame.itertuples(index=False)])
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    import streamlit as st

    st.cache_data.clear()


def test_home_shows_health_and_live_counts(api_url: str) -> None:
    app = _run("Home.py")
    assert [s.value for s in app.success] == ["API, marts and live state are available."]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics == {"Calls in progress": "2", "Recent alerts": "1"}


def test_live_board_lists_calls_trunk_load_extensions_and_alerts(api_url: str) -> None:
    app = _run("pages/01_live_calls.py")
    metrics = {m.label: m.value for m in app.metric}
    assert metrics == {"Calls in progress": "2", "Ringing": "1", "Talking": "1"}
    calls, extensions = _tables(app)
    assert [row[:5] for row in calls] == [
        ["201", "901632960123", "outbound", "answered", "SIP-GAMMA"],
        ["202", "01632960999", "inbound", "ringing", ""],
    ]
    assert [row[:2] for row in extensions] == [["201", "on call"], ["202", "ringing"]]
    (progress,) = app.get("progress")
    assert progress.proto.value == 25  # 1 of 4 channels, in percent
    assert "Premium-rate call from 201" in app.error[0].value
    assert not app.warning


def test_costs_page_shows_chargeback_exactly_and_budget(api_url: str) -> None:
    app = AppTest.from_file(str(UI / "pages/02_costs.py"), default_timeout=TIMEOUT)
    app.run()
    app.text_input(key="typed_month").input("2026-01").run()
    assert not app.exception
    chargeback, budget = _tables(app)
    assert [row[1:4] for row in chargeback] == [
        ["CC-200", "7", "1.5000"],
        ["CC-100", "2", "0.1234"],
        ["OPS", "1", "0.0100"],
    ]
    assert [row[2:5] for row in budget] == [["CC-100", "10.0000", "0.1234"]]
    assert app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")


def test_a_month_without_costs_is_said_plainly(api_url: str) -> None:
    app = AppTest.from_file(str(UI / "pages/02_costs.py"), default_timeout=TIMEOUT)
    app.run()
    app.text_input(key="typed_month").input("1999-01").run()
    assert not app.exception
    assert "No costs for 1999-01." in [i.value for i in app.info]


def test_capacity_page_shows_busy_hours_and_a_trunk_chart(api_url: str) -> None:
    app = _run("pages/03_capacity.py")
    (busy,) = _tables(app)
    assert [row[1:6] for row in busy] == [
        ["GW/1", "30", "09:00", "0.019444", "1"],
        ["SIP-2", "<NA>", "09:00", "0.018056", "1"],
    ]
    assert app.selectbox(key="trunk").value == "acme / london / GW/1"
    assert not app.warning


@pytest.mark.parametrize(
    "page", ["Home.py", "pages/01_live_calls.py", "pages/02_costs.py", "pages/03_capacity.py"]
)
def test_every_page_warns_instead_of_crashing_when_the_api_is_down(
    page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLMETER_API_URL", f"http://127.0.0.1:{_free_port()}")
    app = _run(page)
    assert app.warning, page
    assert "not answering" in app.warning[0].value
