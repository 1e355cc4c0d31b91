"""A small warehouse for the rating tests: raw tables landed by SQL (the schemas the importers
write), then `dbt build` in-process on DuckDB or Postgres with a private target path."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from callmeter.settings import Warehouse
from orchestration.lib.dbt_project import failed_nodes, run_dbt

AS_OF = "2026-03-20"  # "today" for rpt_budget_vs_actual

_LEG_COLUMNS = (
    "tenant_id text, site_id text, source_format text, source_record_id text, call_id text, "
    "started_at timestamp with time zone, answered_at timestamp with time zone, "
    "ended_at timestamp with time zone, ring_seconds bigint, duration_seconds bigint, "
    "direction text, disposition text, calling_number text, called_number text, extension text, "
    "trunk text, account_code text, raw text, extra text, _dlt_load_id text"
)

SCHEMA = [
    "create schema if not exists raw",
    "create table raw.tenants (tenant_id text, name text, currency text, "
    "resale_markup_percent numeric(9, 4))",
    "create table raw.sites (tenant_id text, site_id text, timezone text, country_code text, "
    "outside_line_prefix text, national_prefix text, international_prefix text, carrier text, "
    "extension_digits bigint)",
    "create table raw.site_trunks (tenant_id text, site_id text, trunk text, carrier text, "
    "channels bigint)",
    # every format's raw table, as an install that has landed each format has them
    *(
        f"create table raw.{fmt}_call_legs ({_LEG_COLUMNS})"
        for fmt in (
            "three_cx",
            "teams",
            "zoom",
            "cucm",
            "avaya",
            "mitel",
            "sip",
            "asterisk",
            "freeswitch",
        )
    ),
    "create table raw.rate_card_versions (version_id text, carrier text, tenant_id text, "
    "is_resale boolean, effective_from date, imported_at timestamp with time zone, "
    "source_file text, row_count bigint)",
    "create table raw.rate_cards (version_id text, carrier text, tenant_id text, is_resale boolean, "
    "effective_from date, row_number bigint, prefix text, destination text, "
    "rate_per_minute numeric(18, 6), connection_fee numeric(18, 6), minimum_seconds bigint, "
    "initial_increment bigint, subsequent_increment bigint, time_band text, currency text)",
    "create table raw.directory (tenant_id text, extension text, name text, email text, "
    "department text, cost_centre text, site_id text, valid_from date, valid_to date, "
    "gl_account text, imported_at timestamp with time zone, source_file text, row_number bigint)",
    "create table raw.budgets (tenant_id text, cost_centre text, department text, month date, "
    "amount numeric(18, 4), currency text, imported_at timestamp with time zone, "
    "source_file text, row_number bigint)",
    "create table raw.account_codes (tenant_id text, account_code text, project text, client text, "
    "imported_at timestamp with time zone, source_file text, row_number bigint)",
]

CONFIG_ROWS = [
    "insert into raw.tenants values ('acme', 'Acme Ltd', 'GBP', 20)",
    "insert into raw.sites values "
    "('acme', 'london', 'Europe/London', '44', '9', '0', '00', 'bt', 5)",
    "insert into raw.site_trunks values ('acme', 'london', 'SIP-GAMMA', 'gamma', 30)",
]

# (id, start UTC, answered, seconds, direction, called, extension, trunk, account code)
LEGS: list[tuple[str, str, bool, int, str, str, str, str | None, str | None]] = [
    (
        "peak_national",
        "2026-03-02 10:00:00",
        True,
        61,
        "outbound",
        "902071234567",
        "213",
        None,
        "1001",
    ),
    (
        "weekend_mobile",
        "2026-03-07 12:00:00",
        True,
        95,
        "outbound",
        "907700900123",
        "201",
        None,
        None,
    ),
    (
        "weekend_national",
        "2026-03-08 12:00:00",
        True,
        125,
        "outbound",
        "902079460000",
        "201",
        None,
        None,
    ),
    (
        "premium_after_dst",
        "2026-03-30 07:30:00",
        True,
        10,
        "outbound",
        "909091234567",
        "201",
        None,
        None,
    ),
    ("unanswered", "2026-03-20 09:00:00", False, 0, "outbound", "902071234567", "201", None, None),
    ("inbound", "2026-03-03 09:00:00", True, 300, "inbound", "+442070000000", "201", None, None),
    (
        "gamma_no_card",
        "2026-03-04 09:00:00",
        True,
        60,
        "outbound",
        "907700900123",
        "201",
        "SIP-GAMMA",
        None,
    ),
    ("no_prefix", "2026-03-05 09:00:00", True, 60, "outbound", "90033123456789", "999", None, None),
    (
        "offpeak_0759_after_dst",
        "2026-03-30 06:59:00",
        True,
        30,
        "outbound",
        "902071234567",
        "201",
        None,
        None,
    ),
    (
        "offpeak_1800",
        "2026-03-17 18:00:00",
        True,
        120,
        "outbound",
        "902071234567",
        "213",
        None,
        None,
    ),
]

CARD_V1 = "bt|*|cost|2026-01-01"
CARD_V2 = "bt|*|cost|2026-03-15"
# (prefix, destination, rate, fee, minimum, initial, subsequent, band)
CARD_V1_ROWS = [
    ("44", "UK Geographic", "0.015", "0", 0, 60, 1, "peak"),
    ("44", "UK Geographic", "0.008", "0", 0, 60, 1, "offpeak"),
    ("44", "UK Landline", "0.005", "0", 0, 1, 1, "any"),
    ("447", "UK Mobile", "0.06", "0.01", 0, 30, 6, "any"),
    ("44909", "UK Premium", "1.5", "0.25", 60, 60, 60, "any"),
]
CARD_V2_ROWS = [
    ("44", "UK Landline", "0.02", "0", 0, 1, 1, "any"),
    ("447", "UK Mobile", "0.1", "0", 0, 1, 1, "any"),
]

REFERENCE_ROWS = [
    "insert into raw.directory values "
    "('acme', '201', 'Alice Smith', 'alice@acme.example', 'Sales', 'CC-100', 'london', "
    "'2025-01-01', null, '6100', '2026-01-01 00:00:00+00', 'directory.csv', 2), "
    "('acme', '213', 'Bob Jones', 'bob@acme.example', 'Sales', 'CC-100', 'london', "
    "'2025-01-01', '2026-03-16', '6100', '2026-01-01 00:00:00+00', 'directory.csv', 3), "
    "('acme', '213', 'Bob Jones', 'bob@acme.example', 'Marketing', 'CC-200', 'london', "
    "'2026-03-16', null, '6200', '2026-01-01 00:00:00+00', 'directory.csv', 4)",
    "insert into raw.budgets values "
    "('acme', 'CC-100', null, '2026-03-01', 1.0000, 'GBP', '2026-01-01 00:00:00+00', 'b.csv', 2), "
    "('acme', null, 'Sales', '2026-03-01', 5.0000, null, '2026-01-01 00:00:00+00', 'b.csv', 3)",
    "insert into raw.account_codes values "
    "('acme', '1001', 'Website relaunch', 'Initech', '2026-01-01 00:00:00+00', 'codes.csv', 2)",
]


def leg_rows() -> list[str]:
    inserts = []
    for record_id, start, answered, seconds, direction, called, extension, trunk, code in LEGS:
        answered_at = f"timestamp '{start}' + interval '5 seconds'" if answered else "null"
        ended = f"timestamp '{start}' + interval '{seconds + 5} seconds'"
        inserts.append(
            "insert into raw.sip_call_legs select 'acme', 'london', 'sip', "
            f"'{record_id}', 'call-{record_id}', cast('{start}+00' as timestamp with time zone), "
            f"cast(({answered_at}) as timestamp) at time zone 'UTC', "
            f"cast(({ended}) as timestamp) at time zone 'UTC', 5, {seconds}, '{direction}', "
            f"'{'answered' if answered else 'no_answer'}', '2000', '{called}', '{extension}', "
            f"{_text(trunk)}, {_text(code)}, 'raw', '{{}}', 'load-1'"
        )
    return inserts


def card_rows(
    version_id: str, effective_from: str, rows: Sequence[tuple[Any, ...]], imported_at: str
) -> list[str]:
    carrier = version_id.split("|")[0]
    values = ", ".join(
        f"('{version_id}', '{carrier}', null, false, '{effective_from}', {number}, '{prefix}', "
        f"'{name}', {rate}, {fee}, {minimum}, {initial}, {subsequent}, '{band}', null)"
        for number, (prefix, name, rate, fee, minimum, initial, subsequent, band) in enumerate(
            rows, 2
        )
    )
    return [
        f"delete from raw.rate_cards where version_id = '{version_id}'",
        f"delete from raw.rate_card_versions where version_id = '{version_id}'",
        f"insert into raw.rate_cards values {values}",
        f"insert into raw.rate_card_versions values ('{version_id}', '{carrier}', null, false, "
        f"'{effective_from}', '{imported_at}+00', '{carrier}.csv', {len(rows)})",
    ]


def _text(value: str | None) -> str:
    return "null" if value is None else f"'{value}'"


def initial_statements() -> list[str]:
    return [
        *SCHEMA,
        *CONFIG_ROWS,
        *leg_rows(),
        *card_rows(CARD_V1, "2026-01-01", CARD_V1_ROWS, "2026-01-01 00:00:00"),
        *REFERENCE_ROWS,
    ]


@contextmanager
def connected(warehouse: Warehouse) -> Iterator[Callable[[str], list[tuple[Any, ...]]]]:
    """A query function over the warehouse; statements commit immediately."""
    if warehouse.kind == "duckdb":
        import duckdb

        con = duckdb.connect(str(warehouse.duckdb_path))

        def run_duckdb(sql: str) -> list[tuple[Any, ...]]:
            cursor = con.execute(sql)
            return cursor.fetchall() if cursor.description else []

        try:
            yield run_duckdb
        finally:
            con.close()
        return
    import psycopg2

    pg = psycopg2.connect(warehouse.url)
    pg.autocommit = True
    try:

        def run(sql: str) -> list[tuple[Any, ...]]:
            with pg.cursor() as cursor:
                cursor.execute(sql)
                return list(cursor.fetchall()) if cursor.description else []

        yield run
    finally:
        pg.close()


def execute(warehouse: Warehouse, statements: Sequence[str]) -> None:
    with connected(warehouse) as run:
        for statement in statements:
            run(statement)


def query(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with connected(warehouse) as run:
        return run(sql)


def dbt_build(warehouse: Warehouse, target_path: Path, *extra: str) -> None:
    """`dbt build` in-process against the warehouse; raises with dbt's failures on error."""
    result = run_dbt(
        warehouse,
        [
            "build",
            "--vars",
            f"{{callmeter_as_of: '{AS_OF}'}}",
            # the models this suite checks; the rules' unit tests run in the project build
            "--exclude-resource-type",
            "unit_test",
            *(extra or ("--select", "@fct_call_legs", "+dim_cost_centres")),
        ],
        target_path,
    )
    if not result.success:
        raise AssertionError(f"dbt build failed: {result.exception or failed_nodes(result)}")


LEG_COLUMNS_CHECKED = (
    "source_record_id, time_band, destination_type, rate_card, rate_card_version, rated_prefix, "
    "billed_seconds, cost, resale_price, currency, unrated_reason, cost_centre, employee, project"
)


def legs_by_id(warehouse: Warehouse) -> dict[str, tuple[Any, ...]]:
    rows = query(warehouse, f"select {LEG_COLUMNS_CHECKED} from marts.fct_call_legs")
    return {row[0]: _normal(row[1:]) for row in rows}


def _normal(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Decimals as 4-dp strings, so DuckDB and Postgres values compare equal."""
    return tuple(f"{v:.4f}" if isinstance(v, Decimal) else v for v in values)


def rated_in(warehouse: Warehouse) -> dict[str, str]:
    rows = query(
        warehouse,
        "select source_record_id, rated_in_invocation from intermediate.int_call_legs_rated",
    )
    return dict(rows)


def build_and_recost(
    warehouse: Warehouse, tmp_path: Path
) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    execute(warehouse, initial_statements())
    dbt_build(warehouse, tmp_path / "target")
    first = legs_by_id(warehouse)
    before = rated_in(warehouse)
    execute(warehouse, card_rows(CARD_V2, "2026-03-15", CARD_V2_ROWS, "2026-03-21 09:00:00"))
    dbt_build(warehouse, tmp_path / "target")
    second = legs_by_id(warehouse)
    after = rated_in(warehouse)
    recosted = {key for key, invocation in after.items() if invocation != before[key]}
    return first, second, recosted
