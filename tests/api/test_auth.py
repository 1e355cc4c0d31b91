"""The bearer token: required outside CALLMETER_ENV=dev, placeholders refused, /health open."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings, ApiSettingsError


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "CALLMETER_DATA_DIR": str(tmp_path),
        "CALLMETER_WAREHOUSE": f"duckdb:///{tmp_path / 'callmeter.duckdb'}",
        **extra,
    }


def test_outside_dev_the_api_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    with pytest.raises(ApiSettingsError, match="CALLMETER_API_TOKEN must be set"):
        ApiSettings.from_env(_env(tmp_path, CALLMETER_ENV="production"))


@pytest.mark.parametrize("env", ["dev", "production"])
def test_the_placeholder_token_is_refused_everywhere(tmp_path: Path, env: str) -> None:
    with pytest.raises(ApiSettingsError, match="placeholder"):
        ApiSettings.from_env(_env(tmp_path, CALLMETER_ENV=env, CALLMETER_API_TOKEN="changeme"))


def test_dev_without_a_token_reads_the_data_folder(tmp_path: Path) -> None:
    settings = ApiSettings.from_env(_env(tmp_path))
    assert settings.api_token == "" and settings.env == "dev"
    assert settings.serving_path == tmp_path / "serving" / "callmeter_serving.duckdb"
    assert settings.live_store_path == tmp_path / "streaming" / "live.sqlite"
    moved = ApiSettings.from_env(_env(tmp_path, CALLMETER_LIVE_STORE=str(tmp_path / "x.sqlite")))
    assert moved.live_store_path == tmp_path / "x.sqlite"


@pytest.mark.integration
def test_with_a_token_every_data_route_needs_it_but_health_does_not(
    settings: ApiSettings,
) -> None:
    secured = replace(settings, api_token="s3cret-token", env="production")
    with TestClient(create_app(secured)) as client:
        assert client.get("/health").status_code == 200
        for path in ("/calls", "/costs/monthly/2026-01", "/live/calls", "/capacity/trunks"):
            missing = client.get(path)
            assert missing.status_code == 401, path
            assert missing.headers["www-authenticate"] == "Bearer"
            wrong = client.get(path, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401, path
            right = client.get(path, headers={"Authorization": "Bearer s3cret-token"})
            assert right.status_code == 200, path
