"""The capacity marts built by dbt on DuckDB and Postgres from raw legs: fct_trunk_hourly by hand,
and rpt_trunk_busy_hour's Erlang-B columns against callmeter.erlang. The models' dbt unit tests
(concurrency, hour split, busy-hour choice) run in the same build on both engines."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from callmeter import erlang
from callmeter.settings import Warehouse
from orchestration.lib.dbt_project import failed_nodes, run_dbt

pytestmark = pytest.mark.integration


_LEG_COLUMNS = (
    "tenant_id text, site_id text, source_format text, source_record_id text, call_id text, "
    "started_at timestamp with time zone, answered_at timestamp with time zone, "
    "ended_at timestamp with time zone, ring_seconds bigint, duration_seconds bigint, "
    "direction text, disposition text, calling_number text, called_number text, extension text, "
    "trunk text, account_code text, raw text, extra text, _dlt_load_id text"
)

_FORMATS = ("three_cx", "teams", "zoom", "cucm", "avaya", "mitel", "sip", "asterisk", "freeswitch")

# (id, trunk, started, answered, ended), UTC; London in January is UTC too.
LEGS: list[tuple[str, str | None, str, str | None, str]] = [
    ("l1", "SIP-GAMMA", "2026-01-05 09:00:00", "2026-01-05 09:00:10", "2026-01-05 09:30:10"),
    ("l2", "SIP-GAMMA", "2026-01-05 09:20:00", "2026-01-05 09:20:05", "2026-01-05 10:05:05"),
    ("l3", "SIP-GAMMA", "2026-01-05 10:05:05", "2026-01-05 10:05:05", "2026-01-05 10:10:05"),
    ("l4", "SIP-GAMMA", "2026-01-05 09:25:00", None, "2026-01-05 09:25:30"),
    ("l5", "SIP-GAMMA", "2026-01-06 10:00:00", "2026-01-06 10:00:00", "2026-01-06 10:45:00"),
    ("l6", "OTHER", "2026-01-05 14:00:00", "2026-01-05 14:00:00", "2026-01-05 14:06:00"),
    ("l7", None, "2026-01-05 09:00:00", "2026-01-05 09:00:00", "2026-01-05 09:30:00"),
] + [
    # 200 erlangs on 250 channels: the SQL recurrence must stay accurate over hundreds of channels
    (f"big{i}", "BIG", "2026-01-07 12:00:00", "2026-01-07 12:00:00", "2026-01-07 13:00:00")
    for i in range(200)
]


def _ts(value: str | None) -> str:
    return "null" if value is None else f"cast('{value}+00' as timestamp with time zone)"


def raw_statements() -> list[str]:
    legs = ", ".join(
        f"('acme', 'london', 'sip', '{leg}', 'call-{leg}', {_ts(started)}, {_ts(answered)}, "
        f"{_ts(ended)}, 0, 0, 'outbound', '{'answered' if answered else 'no_answer'}', '201', "
        f"'902071234567', '201', {'null' if trunk is None else repr(trunk)}, null, 'raw', '{{}}', 'load-1')"
        for leg, trunk, started, answered, ended in LEGS
    )
    return [
        "create schema if not exists raw",
        "create table raw.tenants (tenant_id text, name text, currency text, "
        "resale_markup_percent numeric(9, 4))",
        "insert into raw.tenants values ('acme', 'Acme Ltd', 'GBP', null)",
        "create table raw.sites (tenant_id text, site_id text, timezone text, country_code text, "
        "outside_line_prefix text, national_prefix text, international_prefix text, carrier text, "
        "extension_digits bigint)",
        "insert into raw.sites values ('acme', 'london', 'Europe/London', '44', '9', '0', '00', 'bt', 5)",
        "create table raw.site_trunks (tenant_id text, site_id text, trunk text, carrier text, channels bigint)",
        "insert into raw.site_trunks values ('acme', 'london', 'SIP-GAMMA', 'gamma', 2), "
        "('acme', 'london', 'BIG', 'bt', 250)",
        # every format's raw table, as after a first ingest of each (only sip's has rows)
        *(f"create table raw.{table}_call_legs ({_LEG_COLUMNS})" for table in _FORMATS),
        f"insert into raw.sip_call_legs values {legs}",
    ]


def _runner(
    warehouse: Warehouse,
) -> tuple[Callable[[str], list[tuple[Any, ...]]], Callable[[], None]]:
    if warehouse.kind == "duckdb":
        import duckdb

        con = duckdb.connect(str(warehouse.duckdb_path))

        def run_duckdb(sql: str) -> list[tuple[Any, ...]]:
            cursor = con.execute(sql)
            return cursor.fetchall() if cursor.description else []

        return run_duckdb, con.close
    import psycopg2

    pg = psycopg2.connect(warehouse.url)
    pg.autocommit = True

    def run_postgres(sql: str) -> list[tuple[Any, ...]]:
        with pg.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []

    return run_postgres, pg.close


def query(warehouse: Warehouse, *statements: str) -> list[tuple[Any, ...]]:
    run, close = _runner(warehouse)
    try:
        result: list[tuple[Any, ...]] = []
        for statement in statements:
            result = run(statement)
        return result
    finally:
        close()


def build(warehouse: Warehouse, target: Path) -> None:
    """`dbt build` of the capacity marts and everything upstream, unit tests included."""
    result = run_dbt(warehouse, ["build", "--select", "+rpt_trunk_busy_hour"], target)
    assert result.success, result.exception or failed_nodes(result)


# Hand-computed: 09:00 holds l1 (30:00 talk, 30:10 seized), l2 up to 10:00 (39:55 talk, 40:00
# seized) and l4 (30 s ringing); at 09:25 all three are up. l3 starts the instant l2 ends.
HOURLY = [
    ("BIG", "2026-01-07 12:00", 200, 200, Decimal("12000.0000"), 200, Decimal("200.000000")),
    ("OTHER", "2026-01-05 14:00", 1, 1, Decimal("6.0000"), 1, Decimal("0.100000")),
    ("SIP-GAMMA", "2026-01-05 09:00", 3, 2, Decimal("69.9167"), 3, Decimal("1.177778")),
    ("SIP-GAMMA", "2026-01-05 10:00", 1, 1, Decimal("10.0833"), 1, Decimal("0.168056")),
    ("SIP-GAMMA", "2026-01-06 10:00", 1, 1, Decimal("45.0000"), 1, Decimal("0.750000")),
]


def _check(warehouse: Warehouse, target: Path) -> None:
    query(warehouse, *raw_statements())
    build(warehouse, target)
    hourly = query(
        warehouse,
        "select trunk, hour_at, legs, answered_legs, minutes, peak_concurrent_legs, offered_erlangs "
        "from marts.fct_trunk_hourly order by trunk, hour_at",
    )
    assert [(t, h.strftime("%Y-%m-%d %H:%M"), *rest) for t, h, *rest in hourly] == HOURLY

    rows = query(
        warehouse,
        "select trunk, days, channels, peak_concurrent_legs, busy_hour_of_day, busy_hour_erlangs, "
        "busy_hour_blocking, busy_hour_channels_needed, busiest_hour_at, busiest_hour_erlangs, "
        "busiest_hour_blocking, busiest_hour_channels_needed, grade_of_service "
        "from marts.rpt_trunk_busy_hour order by trunk",
    )
    big, other, gamma = rows
    # SIP-GAMMA: 09:00 averages 1.177778 / 2 days; 10:00 (0.168056 + 0.75) / 2 is lower
    assert gamma[:6] == ("SIP-GAMMA", 2, 2, 3, 9, Decimal("0.588889"))
    assert gamma[6] == pytest.approx(erlang.blocking(0.588889, 2), rel=1e-12)
    assert gamma[7] == erlang.channels_needed(0.588889, 0.01)
    assert gamma[8].strftime("%Y-%m-%d %H:%M") == "2026-01-05 09:00"
    assert gamma[9] == Decimal("1.177778")
    assert gamma[10] == pytest.approx(erlang.blocking(1.177778, 2), rel=1e-12)
    assert gamma[11] == erlang.channels_needed(1.177778, 0.01)
    assert gamma[12] == pytest.approx(0.01)
    # OTHER has no channels configured: no blocking, but still a sizing
    assert other[:7] == ("OTHER", 1, None, 1, 14, Decimal("0.100000"), None)
    assert other[7] == erlang.channels_needed(0.1, 0.01)
    assert other[10] is None
    assert big[:6] == ("BIG", 1, 250, 200, 12, Decimal("200.000000"))
    assert big[6] == pytest.approx(erlang.blocking(200, 250), rel=1e-9)
    assert big[7] == erlang.channels_needed(200, 0.01)
    if warehouse.kind == "duckdb":
        # dbt ran in this process and keeps the file open read-write; a reader opens it
        # read-only, which DuckDB refuses within one process: read a checkpointed copy instead
        import shutil

        query(warehouse, "checkpoint")
        copy = warehouse.duckdb_path.with_name("serving_copy.duckdb")
        shutil.copyfile(warehouse.duckdb_path, copy)
        warehouse = Warehouse.from_url(f"duckdb:///{copy}")
    _check_report(warehouse)


def _check_report(warehouse: Warehouse) -> None:
    from reports.capacity import load_sizing, render_text

    big, other, gamma = load_sizing(warehouse, grade_of_service=0.01)
    needed = erlang.channels_needed(0.588889, 0.01)
    assert gamma.blocking == pytest.approx(erlang.blocking(0.588889, 2))
    assert (
        gamma.verdict
        == f"undersized: {needed} channels needed, has 2 (blocking {gamma.blocking:.2%})"
    )
    assert other.verdict == f"channels not configured; {erlang.channels_needed(0.1, 0.01)} needed"
    assert big.verdict == f"ok; {erlang.channels_needed(200, 0.01)} would do"
    # a stricter grade of service needs more channels, without rebuilding the mart
    assert load_sizing(warehouse, grade_of_service=0.001)[0].channels_needed > big.channels_needed
    text = render_text([big, other, gamma])
    assert text.splitlines()[0].startswith("Trunk sizing at 1.00% blocking")
    assert "SIP-GAMMA" in text


def test_capacity_marts_on_duckdb(tmp_path: Path) -> None:
    _check(Warehouse.from_url(f"duckdb:///{tmp_path / 'capacity.duckdb'}"), tmp_path / "target")


@pytest.mark.postgres
def test_capacity_marts_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    _check(Warehouse.from_url(postgres_url), tmp_path / "target")
