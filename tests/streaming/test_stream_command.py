"""`callmeter stream` options for the scale-out: clear one-line errors without a bus."""

from __future__ import annotations

from pathlib import Path

import pytest

from callmeter.cli import main
from tests.streaming.feeds import write_config
from tests.streaming.test_service import LISTENERS


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--workers", "2"], "--workers needs a bus"),
        (["--role", "worker"], "role 'worker' needs a bus"),
        (["--role", "listener"], "role 'listener' needs a bus"),
    ],
)
def test_scale_out_options_without_a_bus_are_a_one_line_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    message: str,
) -> None:
    monkeypatch.delenv("CALLMETER_BUS", raising=False)
    config = write_config(tmp_path / "callmeter.yaml", {"listeners": LISTENERS[:1]})
    assert main(["--config", str(config), "stream", *options]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error and error.count("\n") == 1
