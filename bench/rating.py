"""Rating throughput: N synthetic legs against a 50,000-prefix card with three bands and two
versions, on DuckDB (and a smaller N on Postgres), then the re-cost after a third version.

The SQL is the project's own: `dbt compile` renders int_rate_card_versions_scheduled,
int_rate_cards_banded, int_call_legs_classified and int_call_legs_rated against a warehouse
whose upstream relations (int_call_legs, the config and reference staging, the seeds) are
generated here with set-based SQL; the bench then runs the compiled SQL as tables and, for the
re-cost, runs the incremental form as delete+insert like dbt does.

    .venv/bin/python -m bench.rating [--legs 10000000] [--prefixes 50000] [--pg-legs 500000]

Prints one JSON line: legs/s of the rating step (building int_call_legs_rated from the
int_call_legs_classified view, as dbt does), CPU seconds, peak RSS, the re-cost time
after a new version and how many legs it touched, and the same figures on Postgres when it is
reachable (127.0.0.1:5432, user postgres)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import socket
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.machine import describe
from callmeter.settings import Warehouse

MODELS = (
    "int_rate_card_versions_scheduled",
    "int_rate_cards_banded",
    "int_call_legs_classified",
    "int_call_legs_rated",
)
KEYS = "tenant_id, site_id, source_format, source_record_id"
V3 = ("bt|*|cost|2026-06-01", "2026-06-01")

Run = Callable[[str], Any]


def _h(expression: str, salt: int) -> str:
    """A portable integer hash of a bigint (multiplicative, mod 2^32), the same on both engines."""
    return f"((({expression}) * 2654435761 + {salt}) % 4294967296)"


def setup_sql(legs: int, prefixes: int) -> list[str]:
    """Upstream relations of the rating models, generated set-based (same SQL on both engines)."""
    n = "g.i"
    started = f"timestamp '2026-01-01 00:00:00' + {_h(n, 1)} % 15552000 * interval '1 second'"
    duration = f"{_h(n, 2)} % 900"
    answered = f"{_h(n, 3)} % 10 < 7"
    called = f"cast(1000000000 + {_h(n, 4)} % 8000000000 as text)"
    return [
        "create schema if not exists staging",
        "create schema if not exists intermediate",
        "create schema if not exists reference",
        "create table staging.stg_config__tenants as select 'acme' as tenant_id, 'Acme' as "
        "tenant_name, 'GBP' as currency, cast(20 as numeric(9, 4)) as resale_markup_percent",
        "create table staging.stg_config__sites as select 'acme' as tenant_id, 'london' as site_id,"
        " 'Europe/London' as timezone, '44' as country_code, '9' as outside_line_prefix, "
        "'0' as national_prefix, '00' as international_prefix, 'bt' as carrier, "
        "5 as extension_digits",
        "create table staging.stg_config__site_trunks as select 'acme' as tenant_id, "
        "'london' as site_id, 'SIP-GAMMA' as trunk, 'gamma' as carrier, 30 as channels",
        "create table reference.country_codes as select '44' as country_code, 'GB' as country, "
        "'United Kingdom' as country_name union all select '1', 'US', 'NANP'",
        "create table reference.destination_ranges as select '447' as prefix, '44' as "
        "country_code, 'mobile' as destination_type, 'UK mobile' as description",
        "create table reference.emergency_numbers as select '44' as country_code, '999' as number",
        # the card: `prefixes` 5-digit prefixes plus 1-digit fallbacks, three bands, two versions
        "create table staging.stg_reference__rate_card_versions as "
        "select v.version_id, 'bt' as carrier, cast(null as text) as tenant_id, "
        "false as is_resale, cast(v.effective_from as date) as effective_from, "
        "cast(v.effective_from as timestamp) as imported_at, 'bench.csv' as source_file, "
        "cast(0 as bigint) as row_count from (select 'bt|*|cost|2026-01-01' as version_id, "
        "'2026-01-01' as effective_from union all select 'bt|*|cost|2026-04-01', '2026-04-01') v",
        _card_rows_sql("bt|*|cost|2026-01-01", "2026-01-01", prefixes, 0, create=True),
        _card_rows_sql("bt|*|cost|2026-04-01", "2026-04-01", prefixes, 1),
        f"create table intermediate.int_call_legs as select 'acme' as tenant_id, "
        f"'london' as site_id, 'sip' as source_format, cast({n} as text) as source_record_id, "
        f"cast({n} as text) as call_id, {started} as started_at, "
        f"case when {answered} then {started} + interval '5 seconds' end as answered_at, "
        f"{started} + (5 + {duration}) * interval '1 second' as ended_at, 5 as ring_seconds, "
        f"case when {answered} then cast({duration} as integer) else 0 end as duration_seconds, "
        f"case when {_h(n, 5)} % 10 < 8 then 'outbound' else 'inbound' end as direction, "
        f"case when {answered} then 'answered' else 'no_answer' end as disposition, "
        f"'2000' as calling_number, '900' || {called} as called_number, {called} as called_e164, "
        f"cast(null as text) as calling_e164, cast(200 + {_h(n, 6)} % 100 as text) as extension,"
        f" cast(null as text) as trunk, cast(null as text) as account_code, "
        f"'Europe/London' as site_timezone, '44' as site_country_code, '' as raw, "
        f"'{{}}' as extra, 'bench' as _dlt_load_id "
        f"from generate_series(0, {legs - 1}) as g(i)",
        # the classification reads SIP staging for B2BUA pairs: every bench leg is a SIP leg
        "create view staging.stg_sip__call_legs as select * from intermediate.int_call_legs",
    ]


def _card_rows_sql(
    version_id: str, effective_from: str, prefixes: int, salt: int, create: bool = False
) -> str:
    """5-digit prefixes 10000.. plus '1'..'9', each in peak, offpeak and weekend."""
    rate = f"cast(({_h('p.k', 10 + salt)} % 20000) / 100000.0 as numeric(18, 6))"
    select = (
        f"select '{version_id}' as version_id, cast(p.k * 3 + b.n as bigint) as row_number, "
        f"'bt' as carrier, cast(null as text) as tenant_id, false as is_resale, "
        f"cast('{effective_from}' as date) as effective_from, p.prefix, 'dest' as destination, "
        f"{rate} + b.n * cast(0.001 as numeric(18, 6)) as rate_per_minute, "
        "cast(0 as numeric(18, 6)) as connection_fee, 0 as minimum_seconds, "
        "60 as initial_increment, 1 as subsequent_increment, b.band as time_band, "
        "cast(null as text) as currency, cast(null as integer) as peak_start_minute, "
        "cast(null as integer) as peak_end_minute "
        f"from (select g.i as k, cast(10000 + g.i as text) as prefix "
        f"from generate_series(0, {prefixes - 1}) as g(i) union all "
        f"select {prefixes} + g.i, cast(g.i as text) from generate_series(1, 9) as g(i)) p "
        "cross join (select 0 as n, 'peak' as band union all select 1, 'offpeak' "
        "union all select 2, 'weekend') b"
    )
    if create:
        return f"create table staging.stg_reference__rate_cards as {select}"
    return f"insert into staging.stg_reference__rate_cards {select}"


def compile_models(warehouse: Warehouse, target: Path) -> dict[str, str]:
    """The compiled SQL of the rating models against this warehouse (is_incremental as it is now).
    In-process (a DuckDB file admits one process); what dbt prints stays out of the JSON line."""
    from orchestration.lib.dbt_project import run_dbt

    with contextlib.redirect_stdout(io.StringIO()):
        result = run_dbt(warehouse, ["compile", "--select", *MODELS], target)
    if not result.success:
        raise RuntimeError(f"dbt compile failed: {result.exception}")
    folder = target / "compiled" / "callmeter" / "models" / "intermediate" / "rating"
    return {name: (folder / f"{name}.sql").read_text() for name in MODELS}


CPU_SECONDS: dict[str, float] = {}


def _cpu() -> float:
    """CPU seconds of this process (DuckDB's threads included): a figure that holds on a busy
    machine, where wall time also measures the neighbours."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def build_table(run: Run, name: str, sql: str) -> float:
    started, cpu = time.perf_counter(), _cpu()
    run(f"drop table if exists intermediate.{name}")
    run(f"create table intermediate.{name} as {sql}")
    CPU_SECONDS[name] = _cpu() - cpu
    return time.perf_counter() - started


def build_view(run: Run, name: str, sql: str) -> None:
    """A view, as in the project: the rating then reads the classification as dbt's build does."""
    run(f"drop view if exists intermediate.{name}")
    run(f"create view intermediate.{name} as {sql}")


def incremental(run: Run, name: str, sql: str) -> tuple[float, int]:
    """dbt's delete+insert: the new rows into a staging table, delete their keys, insert."""
    started = time.perf_counter()
    run(f"create table intermediate.{name}__new as {sql}")
    touched = run(f"select count(*) from intermediate.{name}__new")[0][0]
    run(
        f"delete from intermediate.{name} where ({KEYS}) in "
        f"(select {KEYS} from intermediate.{name}__new)"
    )
    run(f"insert into intermediate.{name} select * from intermediate.{name}__new")
    run(f"drop table intermediate.{name}__new")
    return time.perf_counter() - started, int(touched)


def measure(
    warehouse: Warehouse, run: Run, legs: int, prefixes: int, target: Path
) -> dict[str, Any]:
    started = time.perf_counter()
    for statement in setup_sql(legs, prefixes):
        run(statement)
    generated = time.perf_counter() - started
    sql = compile_models(warehouse, target / "first")
    build_table(run, "int_rate_card_versions_scheduled", sql["int_rate_card_versions_scheduled"])
    build_table(run, "int_rate_cards_banded", sql["int_rate_cards_banded"])
    if warehouse.kind == "postgres":  # the model's post-hook (macros/analyze_relation.sql)
        run("analyze intermediate.int_rate_cards_banded")
    # compiled again now the card is built, as dbt compiles each model just before it runs:
    # the lookup chain probes only the prefix lengths the card has (macros/prefix_lengths.sql)
    sql = compile_models(warehouse, target / "first_rating")
    build_view(run, "int_call_legs_classified", sql["int_call_legs_classified"])
    # the rating step = building int_call_legs_rated from the int_call_legs_classified view
    rate = build_table(run, "int_call_legs_rated", sql["int_call_legs_rated"])
    cpu = CPU_SECONDS["int_call_legs_rated"] if warehouse.kind == "duckdb" else None
    rated = run("select count(*), count(cost), sum(cost) from intermediate.int_call_legs_rated")[0]
    # a third version from 1 June re-costs the legs from that date, and only those
    run(
        "insert into staging.stg_reference__rate_card_versions select version_id, carrier, "
        "tenant_id, is_resale, cast('" + V3[1] + "' as date), imported_at, source_file, row_count "
        "from staging.stg_reference__rate_card_versions where version_id = 'bt|*|cost|2026-04-01'"
    )
    run(
        f"update staging.stg_reference__rate_card_versions set version_id = '{V3[0]}' "
        f"where effective_from = cast('{V3[1]}' as date)"
    )
    run(_card_rows_sql(V3[0], V3[1], prefixes, 2))
    covered = run(
        "select count(*) from intermediate.int_call_legs_classified "
        f"where started_local_date >= cast('{V3[1]}' as date)"
    )[0][0]
    recost_started = time.perf_counter()
    again = compile_models(warehouse, target / "second")
    assert "stored as" in again["int_call_legs_rated"], "expected the incremental form"
    run("drop view if exists intermediate.int_call_legs_classified")  # Postgres: it depends on them
    build_table(run, "int_rate_card_versions_scheduled", again["int_rate_card_versions_scheduled"])
    build_table(run, "int_rate_cards_banded", again["int_rate_cards_banded"])
    if warehouse.kind == "postgres":
        run("analyze intermediate.int_rate_cards_banded")
    again = compile_models(warehouse, target / "second_rating")
    sql_time = time.perf_counter() - recost_started  # the dbt compiles and the card tables
    build_view(run, "int_call_legs_classified", again["int_call_legs_classified"])
    recost, touched = incremental(run, "int_call_legs_rated", again["int_call_legs_rated"])
    return {
        "legs": legs,
        "card_rows": (prefixes + 9) * 3 * 2,
        "generate_seconds": round(generated, 2),
        "rating_seconds": round(rate, 2),
        "rating_legs_per_second": round(legs / rate),
        # DuckDB runs in this process, so its CPU time is ours (Postgres' is the server's)
        "rating_cpu_seconds": round(cpu, 2) if cpu is not None else None,
        "rating_legs_per_cpu_second": round(legs / cpu) if cpu else None,
        "legs_with_cost": int(rated[1]),
        "recost_legs_covered_by_new_version": int(covered),
        "recost_legs_rerated": touched,
        "recost_seconds": round(recost, 2),
        "recost_compile_seconds": round(sql_time, 2),
    }


def _dbt_duckdb_settings() -> dict[str, Any]:
    """The DuckDB settings dbt's profile gives its connections (profiles.yml), so the bench's
    connection runs the SQL as dbt's would."""
    import yaml

    from orchestration.lib.dbt_project import DBT_PROJECT_DIR

    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    return dict(profile["callmeter"]["outputs"]["duckdb"].get("settings") or {})


def duckdb_figures(legs: int, prefixes: int, folder: Path) -> dict[str, Any]:
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "callmeter.duckdb"
    warehouse = Warehouse.from_url(f"duckdb:///{path}")
    con = duckdb.connect(str(path))
    for name, value in _dbt_duckdb_settings().items():
        con.execute(f"set {name} = {value!r}")
    try:
        figures = measure(
            warehouse, lambda sql: con.execute(sql).fetchall(), legs, prefixes, folder
        )
    finally:
        con.close()
    figures["db_bytes"] = path.stat().st_size
    return figures


def postgres_figures(legs: int, prefixes: int, folder: Path) -> dict[str, Any] | None:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        return None
    import psycopg2

    name = f"callmeter_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    url = f"postgresql://postgres:unused@127.0.0.1:5432/{name}"
    con = psycopg2.connect(url)
    con.autocommit = True

    def run(sql: str) -> Any:
        with con.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []

    try:
        return measure(Warehouse.from_url(url), run, legs, prefixes, folder)
    finally:
        con.close()
        with admin.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legs", type=int, default=10_000_000)
    parser.add_argument("--prefixes", type=int, default=50_000)
    parser.add_argument("--pg-legs", type=int, default=500_000, help="0 skips Postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="callmeter-bench-") as tmp:
        result: dict[str, Any] = {"bench": "rating", "machine": describe()}
        result["duckdb"] = duckdb_figures(args.legs, args.prefixes, Path(tmp) / "duckdb")
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        if args.pg_legs:
            result["postgres"] = postgres_figures(args.pg_legs, args.prefixes, Path(tmp) / "pg")
    print(json.dumps(result))  # noqa: T201 - the bench's output
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
