"""The board in a real browser: Debian's chromium driven by Playwright (never a downloaded
browser) opens the live wallboard, served by a real Streamlit process reading a real API."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from callmeter.commands.board import board_process
from callmeter.commands.serve import ROOT
from tests.ui.test_cli import _free_port

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require_chromium() -> None:
    if Path(CHROMIUM).exists() or shutil.which("chromium") == CHROMIUM:
        return
    message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + "; CI=true: .ci/run must install it")
    pytest.skip(message)


@pytest.fixture
def board_url(api_url: str) -> Iterator[str]:
    port = _free_port()
    argv, env = board_process("127.0.0.1", port, api_url)
    process = subprocess.Popen(  # noqa: S603
        argv, env=env, cwd=ROOT / "ui", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                stderr = process.stderr.read().decode() if process.stderr else ""
                raise AssertionError(f"the board did not start: {stderr[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_wallboard_shows_the_seeded_call_in_chromium(board_url: str, tmp_path: Path) -> None:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            page.goto(f"{board_url}/live_calls", wait_until="domcontentloaded")
            table = page.locator("table").filter(has_text="901632960123").first
            table.wait_for(timeout=30_000)
            assert "SIP-GAMMA" in table.inner_text()
            assert "answered" in table.inner_text()
            page.get_by_text("Premium-rate call from 201").first.wait_for(timeout=10_000)
            page.screenshot(path=str(tmp_path / "wallboard.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "wallboard.png").stat().st_size > 10_000
