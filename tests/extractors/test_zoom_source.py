"""The Zoom Phone source against a local fake Zoom API: one-month windows, next_page_token,
429, expired tokens, idempotent merges into DuckDB and the incremental window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from callmeter.settings import Warehouse
from extractors.destinations import raw_pipeline
from extractors.zoom import zoom_source
from extractors.zoom.helpers import add_month, month_windows
from tests.extractors.vendor_servers import FakeZoom, iso, parse_time

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def _row(n: int, start: datetime, answered: bool = True) -> dict[str, Any]:
    return {
        "call_history_uuid": f"20240101-{n:08d}",
        "call_id": str(7000 + n),
        "direction": "outbound",
        "connect_type": "external",
        "caller_ext_number": "1001",
        "caller_number_type": "zoom_pstn",
        "callee_did_number": "+442079460000",
        "callee_number_type": "external_pstn",
        "start_time": iso(start),
        "answer_time": iso(start + timedelta(seconds=5)) if answered else "",
        "end_time": iso(start + timedelta(seconds=65)),
        "duration": 60 if answered else 0,
        "call_result": "answered" if answered else "no_answer",
        "client_code": "4711",
    }


@pytest.fixture
def zoom() -> Iterator[FakeZoom]:
    rows = [_row(n, NOW - timedelta(days=40 - 3 * n)) for n in range(12)]  # spans > one month
    rows.append(_row(99, NOW - timedelta(days=2), answered=False))
    rows.append(
        {
            "call_history_uuid": "broken",
            "start_time": iso(NOW - timedelta(days=1)),
            "end_time": iso(NOW - timedelta(days=1)),
            "answer_time": "soon",
        }
    )
    fake = FakeZoom(page_size=3, call_history=rows, throttle_on_call=2, expire_token_after=2)
    with fake:
        yield fake


def _pipeline(tmp_path: Path) -> Any:
    warehouse = Warehouse.from_url(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    return raw_pipeline("zoom_test", warehouse, str(tmp_path / "dlt"))


def _source(zoom: FakeZoom, **options: Any) -> Any:
    """The source against the fake, with its credentials unless `options` replace them."""
    credentials = {"client_id": zoom.client_id, "client_secret": zoom.client_secret}
    return zoom_source(
        "acme",
        "london",
        account_id=zoom.account_id,
        api_url=zoom.api_url,
        token_url=zoom.token_url,
        **(credentials | options),
    )


def _run(zoom: FakeZoom, tmp_path: Path, **options: Any) -> Any:
    _pipeline(tmp_path).run(_source(zoom, **options)).raise_on_failed_jobs()
    return duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)


def test_month_windows_never_exceed_one_month_and_cover_the_range() -> None:
    start = datetime(2024, 1, 31, 12, tzinfo=UTC)
    end = datetime(2024, 5, 2, tzinfo=UTC)
    parts = list(month_windows(start, end))
    assert parts[0] == (start, datetime(2024, 2, 29, 12, tzinfo=UTC))  # clamped to February
    assert all(b <= add_month(a) for a, b in parts)
    assert parts[-1][1] == end and all(
        parts[i][1] == parts[i + 1][0] for i in range(len(parts) - 1)
    )


def test_a_pull_over_two_months_lands_every_page_despite_a_429_and_an_expired_token(
    zoom: FakeZoom, tmp_path: Path
) -> None:
    con = _run(zoom, tmp_path, initial_days=45, page_size=3)
    legs = sorted(
        con.execute(
            "select source_record_id, disposition, duration_seconds, account_code, trunk"
            " from raw.zoom_call_legs"
        ).fetchall()
    )
    rejects = con.execute("select record_id, reason from raw.rejected_records").fetchall()
    con.close()
    assert [leg[0] for leg in legs] == sorted([f"20240101-{n:08d}" for n in (*range(12), 99)])
    assert ("20240101-00000000", "answered", 60, "4711", "zoom_pstn") in legs
    assert ("20240101-00000099", "no_answer", 0, "4711", "zoom_pstn") in legs
    assert rejects[0][0] == "broken" and "answer_time" in rejects[0][1]
    calls = zoom.api_requests()
    windows = {(r.query["from"][0], r.query["to"][0]) for r in calls if r.status == 200}
    assert len(windows) >= 2  # 45 days: split, and the fake refuses anything over a month
    assert any(r.query.get("next_page_token") for r in calls)
    assert {401, 429} <= {r.status for r in calls} and zoom.tokens_issued >= 2


def test_loading_the_same_pages_twice_changes_nothing(zoom: FakeZoom, tmp_path: Path) -> None:
    query = "select source_record_id, call_id, ended_at, extra from raw.zoom_call_legs"
    con = _run(zoom, tmp_path, initial_days=45)
    first = sorted(con.execute(query).fetchall())
    con.close()
    con = _run(zoom, tmp_path, since=NOW - timedelta(days=45))
    assert sorted(con.execute(query).fetchall()) == first
    assert con.execute("select count(*) from raw.rejected_records").fetchone() == (1,)
    con.close()


def test_the_next_run_asks_from_the_last_end_time_minus_the_overlap(
    zoom: FakeZoom, tmp_path: Path
) -> None:
    con = _run(zoom, tmp_path, initial_days=45, overlap_hours=1)
    (last_end,) = con.execute("select max(ended_at) from raw.zoom_call_legs").fetchone()
    con.close()
    zoom.requests.clear()
    _run(zoom, tmp_path, overlap_hours=1).close()
    first = next(r for r in zoom.api_requests() if r.status == 200)
    assert parse_time(first.query["from"][0]) == last_end.astimezone(UTC) - timedelta(hours=1)


def test_wrong_credentials_fail_with_a_message_naming_the_token_request(
    zoom: FakeZoom, tmp_path: Path
) -> None:
    source = _source(zoom, client_id="nobody", client_secret="x")
    with pytest.raises(Exception, match="Zoom token request failed: HTTP 401"):
        _pipeline(tmp_path).run(source)


def test_callmeter_pull_lands_a_zoom_pull_with_credentials_from_the_environment(
    zoom: FakeZoom,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from callmeter.cli import main
    from tests.paths import FIXTURES

    monkeypatch.setenv("CALLMETER_WAREHOUSE", f"duckdb:///{tmp_path / 'wh.duckdb'}")
    monkeypatch.setenv("CALLMETER_DATA_DIR", str(tmp_path / "data"))
    for name, value in {
        "ACCOUNT_ID": zoom.account_id,
        "CLIENT_ID": zoom.client_id,
        "CLIENT_SECRET": zoom.client_secret,
        "API_URL": zoom.api_url,
        "TOKEN_URL": zoom.token_url,
    }.items():
        monkeypatch.setenv(f"SOURCES__ZOOM__{name}", value)
    since = (NOW - timedelta(days=45)).strftime("%Y-%m-%d")
    args = [
        "--config",
        str(FIXTURES / "callmeter.yaml"),
        "pull",
        "--source",
        "zoom",
        "--tenant",
        "acme",
        "--site",
        "london",
        "--since",
        since,
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "13 legs -> raw.zoom_call_legs, 1 rejected -> raw.rejected_records" in out
    monkeypatch.setenv("SOURCES__ZOOM__CLIENT_SECRET", "wrong")
    assert main(args) == 2
    assert "Zoom token request failed: HTTP 401" in capsys.readouterr().err
