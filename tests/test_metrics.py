"""The semantic layer through callmeter.metrics.query_metrics (MetricFlow's Python API) on DuckDB
and Postgres: a hand-made marts.fct_call_legs, hand-computed answers, exact money."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from callmeter import metrics
from callmeter.metrics import MetricsError, load_semantic_layer, query_metrics
from callmeter.settings import Warehouse, load_warehouse
from tests.paths import ROOT

pytestmark = pytest.mark.integration

_COLUMNS = (
    "tenant_id text, site_id text, source_format text, source_record_id text, call_id text, "
    "started_at timestamp, started_local_at timestamp, duration_seconds integer, direction text, "
    "disposition text, extension text, trunk text, destination text, destination_type text, "
    "time_band text, cost numeric(18, 4), currency text, resale_price numeric(18, 4), "
    "cost_centre text, department text, employee text"
)

# (leg, call, site, start UTC, direction, disposition, seconds, cost, resale, cost centre)
LEGS: list[tuple[str, str, str, str, str, str, int, str | None, str | None, str]] = [
    (
        "a",
        "c1",
        "london",
        "2026-01-10 10:00:00",
        "outbound",
        "answered",
        120,
        "0.1234",
        "0.1481",
        "CC-100",
    ),
    (
        "b",
        "c1",
        "london",
        "2026-01-10 10:00:00",
        "outbound",
        "no_answer",
        0,
        "0.0000",
        "0.0000",
        "CC-100",
    ),
    (
        "c",
        "c2",
        "london",
        "2026-01-20 09:00:00",
        "outbound",
        "answered",
        61,
        "0.0501",
        None,
        "CC-200",
    ),
    (
        "d",
        "c3",
        "london",
        "2026-02-03 12:00:00",
        "inbound",
        "answered",
        300,
        "0.0000",
        "0.0000",
        "CC-100",
    ),
    (
        "e",
        "c4",
        "leeds",
        "2026-01-15 08:00:00",
        "outbound",
        "busy",
        0,
        "0.0000",
        "0.0000",
        "CC-200",
    ),
    ("f", "c5", "leeds", "2026-01-31 23:30:00", "outbound", "answered", 45, None, None, "CC-200"),
]

# (call, site, start UTC, direction, disposition, ring seconds, transferred): fct_calls
CALLS: list[tuple[str, str, str, str, str, int, bool]] = [
    ("c1", "london", "2026-01-10 10:00:00", "outbound", "answered", 5, True),
    ("c2", "london", "2026-01-20 09:00:00", "outbound", "answered", 3, False),
    ("c3", "london", "2026-02-03 12:00:00", "inbound", "answered", 10, False),
    ("c4", "leeds", "2026-01-15 08:00:00", "outbound", "busy", 20, False),
    ("c5", "leeds", "2026-01-31 23:30:00", "outbound", "answered", 7, False),
]


def _sql_text(value: str | None) -> str:
    return "null" if value is None else f"'{value}'"


def _statements() -> list[str]:
    rows = ", ".join(
        f"('acme', '{site}', 'sip', '{leg}', '{call}', '{start}', '{start}', {seconds}, "
        f"'{direction}', '{disposition}', '201', 'SIP-1', 'UK', 'national', 'peak', "
        f"{_sql_text(cost)}, 'GBP', {_sql_text(resale)}, '{centre}', 'Sales', 'Alice')"
        for leg, call, site, start, direction, disposition, seconds, cost, resale, centre in LEGS
    )
    calls = ", ".join(
        f"('acme', '{site}', 'sip', '{call}', '{start}', '{direction}', '{disposition}', {ring}, "
        f"{str(transferred).lower()})"
        for call, site, start, direction, disposition, ring, transferred in CALLS
    )
    return [
        "create schema marts",
        f"create table marts.fct_call_legs ({_COLUMNS})",
        f"insert into marts.fct_call_legs values {rows}",
        "create table marts.fct_calls (tenant_id text, site_id text, source_format text, "
        "call_id text, call_started_at timestamp, direction text, disposition text, "
        "ring_seconds integer, is_transferred boolean, first_extension text, "
        "answering_extension text, costing_trunk text)",
        "insert into marts.fct_calls (tenant_id, site_id, source_format, call_id, call_started_at, "
        f"direction, disposition, ring_seconds, is_transferred) values {calls}",
    ]


@pytest.fixture(scope="session")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dbt parse` of the project into a private target path: its semantic_manifest.json."""
    from dbt.cli.main import dbtRunner

    target = tmp_path_factory.mktemp("metrics-dbt")
    os.environ.update(load_warehouse().dbt_env())
    project = str(ROOT / "dbt_project")
    result = dbtRunner().invoke(
        [
            "parse",
            "--project-dir",
            project,
            "--profiles-dir",
            project,
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
            "--quiet",
        ]
    )
    assert result.success, result.exception
    return target / "semantic_manifest.json"


@pytest.fixture
def duckdb_warehouse(tmp_path: Path) -> Warehouse:
    import duckdb

    # the file stem differs from the catalog dbt parsed against: relations must not name it
    path = tmp_path / "legs_copy.duckdb"
    with duckdb.connect(str(path)) as con:
        for statement in _statements():
            con.execute(statement)
    return Warehouse.from_url(f"duckdb:///{path}")


@pytest.fixture
def postgres_warehouse(postgres_url: str) -> Iterator[Warehouse]:
    import psycopg2

    con = psycopg2.connect(postgres_url)
    con.autocommit = True
    with con.cursor() as cursor:
        for statement in _statements():
            cursor.execute(statement)
    con.close()
    yield Warehouse.from_url(postgres_url)


ALL = [
    "legs",
    "calls",
    "answered_calls",
    "answer_rate",
    "minutes",
    "cost",
    "resale_price",
    "margin",
    "average_duration_seconds",
]

# Hand-computed from LEGS. Margin counts legs with both prices; cost leaves unrated legs out.
EXPECTED_BY_SITE_AND_MONTH = [
    {
        "site": "leeds",
        "month": date(2026, 1, 1),
        "legs": 2,
        "calls": 2,
        "answered_calls": 1,
        "answer_rate": 0.5,
        "minutes": Decimal("0.7500"),
        "cost": Decimal("0.0000"),
        "resale_price": Decimal("0.0000"),
        "margin": Decimal("0.0000"),
        "average_duration_seconds": 45.0,
    },
    {
        "site": "london",
        "month": date(2026, 1, 1),
        "legs": 3,
        "calls": 2,
        "answered_calls": 2,
        "answer_rate": 1.0,
        "minutes": Decimal("3.0167"),
        "cost": Decimal("0.1735"),
        "resale_price": Decimal("0.1481"),
        "margin": Decimal("0.0247"),
        "average_duration_seconds": 90.5,
    },
    {
        "site": "london",
        "month": date(2026, 2, 1),
        "legs": 1,
        "calls": 1,
        "answered_calls": 1,
        "answer_rate": 1.0,
        "minutes": Decimal("5.0000"),
        "cost": Decimal("0.0000"),
        "resale_price": Decimal("0.0000"),
        "margin": Decimal("0.0000"),
        "average_duration_seconds": 300.0,
    },
]


def _check_by_site_and_month(warehouse: Warehouse, manifest: Path) -> None:
    rows = query_metrics(ALL, ["site", "month"], warehouse=warehouse, manifest_path=manifest)
    assert rows == EXPECTED_BY_SITE_AND_MONTH
    for row in rows:
        for money in ("cost", "resale_price", "margin", "minutes"):
            assert type(row[money]) is Decimal
        assert list(row) == ["site", "month", *ALL]


def test_every_metric_by_site_and_month_on_duckdb(
    duckdb_warehouse: Warehouse, manifest: Path
) -> None:
    _check_by_site_and_month(duckdb_warehouse, manifest)


@pytest.mark.postgres
def test_every_metric_by_site_and_month_on_postgres(
    postgres_warehouse: Warehouse, manifest: Path
) -> None:
    _check_by_site_and_month(postgres_warehouse, manifest)


def _check_filters_and_order(warehouse: Warehouse, manifest: Path) -> None:
    rows = query_metrics(
        ["cost", "calls"],
        ["cost_centre"],
        where=["direction=outbound", "site!=leeds"],
        order_by=["-cost"],
        warehouse=warehouse,
        manifest_path=manifest,
    )
    assert rows == [
        {"cost_centre": "CC-100", "cost": Decimal("0.1234"), "calls": 1},
        {"cost_centre": "CC-200", "cost": Decimal("0.0501"), "calls": 1},
    ]
    rows = query_metrics(
        ["legs"],
        ["month"],
        where=["month>=2026-02-01"],
        warehouse=warehouse,
        manifest_path=manifest,
    )
    assert rows == [{"month": date(2026, 2, 1), "legs": 1}]
    top = query_metrics(
        ["minutes"],
        ["site"],
        order_by=["-minutes"],
        limit=1,
        warehouse=warehouse,
        manifest_path=manifest,
    )
    assert top == [{"site": "london", "minutes": Decimal("8.0167")}]


def test_filters_order_and_limit_on_duckdb(duckdb_warehouse: Warehouse, manifest: Path) -> None:
    _check_filters_and_order(duckdb_warehouse, manifest)


@pytest.mark.postgres
def test_filters_order_and_limit_on_postgres(postgres_warehouse: Warehouse, manifest: Path) -> None:
    _check_filters_and_order(postgres_warehouse, manifest)


def _check_call_metrics(warehouse: Warehouse, manifest: Path) -> None:
    # leg metrics (calls) and call metrics (fct_calls) in one query: site resolves to the
    # call's site, which the legs reach through their call entity
    rows = query_metrics(
        ["calls", "transferred_calls", "average_time_to_answer_seconds"],
        ["site"],
        where=["direction=outbound"],
        warehouse=warehouse,
        manifest_path=manifest,
    )
    assert rows == [
        {
            "site": "leeds",
            "calls": 2,
            "transferred_calls": 0,
            "average_time_to_answer_seconds": 7.0,
        },
        {
            "site": "london",
            "calls": 2,
            "transferred_calls": 1,
            "average_time_to_answer_seconds": 4.0,
        },
    ]


def test_call_metrics_from_fct_calls_on_duckdb(duckdb_warehouse: Warehouse, manifest: Path) -> None:
    _check_call_metrics(duckdb_warehouse, manifest)


@pytest.mark.postgres
def test_call_metrics_from_fct_calls_on_postgres(
    postgres_warehouse: Warehouse, manifest: Path
) -> None:
    _check_call_metrics(postgres_warehouse, manifest)


def test_a_total_without_group_by_adds_up_every_leg(
    duckdb_warehouse: Warehouse, manifest: Path
) -> None:
    [total] = query_metrics(
        ["cost", "calls", "legs"], [], warehouse=duckdb_warehouse, manifest_path=manifest
    )
    assert total == {"cost": Decimal("0.1735"), "calls": 5, "legs": 6}


@pytest.mark.parametrize(
    ("metric_names", "group_by", "where", "message"),
    [
        (["costs"], ["site"], None, "unknown metric 'costs'; known: answer_rate"),
        (
            ["cost"],
            ["sight"],
            None,
            "unknown dimension 'sight'; known: answering_extension, call_started_at",
        ),
        (["cost"], ["call_leg__nope"], None, "does not match any of the available group-by-items"),
        (["cost"], ["site"], ["site london"], "cannot read the filter 'site london'"),
        (["cost"], ["site"], ["colour=red"], "unknown dimension 'colour'"),
        ([], ["site"], None, "name at least one metric"),
    ],
)
def test_unknown_names_and_bad_filters_are_clear_errors(
    duckdb_warehouse: Warehouse,
    manifest: Path,
    metric_names: list[str],
    group_by: list[str],
    where: list[str] | None,
    message: str,
) -> None:
    with pytest.raises(MetricsError, match=None) as error:
        query_metrics(
            metric_names, group_by, where, warehouse=duckdb_warehouse, manifest_path=manifest
        )
    assert message in str(error.value)


def test_a_warehouse_without_the_marts_is_a_clear_error(tmp_path: Path, manifest: Path) -> None:
    import duckdb

    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(MetricsError, match="could not answer"):
        query_metrics(
            ["cost"],
            ["site"],
            warehouse=Warehouse.from_url(f"duckdb:///{path}"),
            manifest_path=manifest,
        )


def test_the_semantic_manifest_passes_metricflow_validation(manifest: Path) -> None:
    from metricflow_semantic_interfaces.validations.semantic_manifest_validator import (
        SemanticManifestValidator,
    )

    layer = load_semantic_layer(manifest)
    result = SemanticManifestValidator().validate_semantic_manifest(layer.manifest)
    assert not result.errors, [str(issue) for issue in result.errors]
    assert {
        "calls",
        "answered_calls",
        "minutes",
        "cost",
        "resale_price",
        "margin",
        "answer_rate",
        "average_duration_seconds",
    } <= set(layer.metrics)
    assert {
        "tenant",
        "site",
        "department",
        "cost_centre",
        "extension",
        "trunk",
        "destination",
        "destination_type",
        "direction",
        "source_format",
    } <= set(layer.dimensions)


def test_the_cli_prints_a_table_and_json(
    duckdb_warehouse: Warehouse, manifest: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from callmeter.cli import main

    monkeypatch.setenv("CALLMETER_WAREHOUSE", duckdb_warehouse.url)
    monkeypatch.setattr(metrics, "semantic_manifest_path", lambda: manifest)
    assert main(["metrics", "--metrics", "cost,calls", "--by", "site"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["site", "cost", "calls"]
    assert lines[2].split() == ["leeds", "0.0000", "2"]
    assert lines[3].split() == ["london", "0.1735", "3"]
    assert (
        main(["metrics", "--metrics", "cost", "--by", "site", "--format", "json", "--limit", "1"])
        == 0
    )
    assert capsys.readouterr().out.strip() == '{"site": "leeds", "cost": "0.0000"}'
    assert main(["metrics", "--metrics", "nope"]) == 2
    assert "unknown metric 'nope'" in capsys.readouterr().err


_SQL_WORDS = {
    "case",
    "when",
    "then",
    "else",
    "end",
    "and",
    "or",
    "not",
    "null",
    "is",
    "cast",
    "as",
    "numeric",
}


def test_the_semantic_models_use_only_columns_their_marts_declare(manifest: Path) -> None:
    """The hand-made marts above stand in for the real ones; this keeps them honest: every column
    a dimension, measure or entity reads is in the mart's contract (dbt's manifest.json)."""
    import json
    import re

    nodes = json.loads((manifest.parent / "manifest.json").read_text())["nodes"]
    semantic = json.loads(manifest.read_text())
    for model in semantic["semantic_models"]:
        mart = model["node_relation"]["alias"]
        [node] = [n for n in nodes.values() if n["resource_type"] == "model" and n["name"] == mart]
        columns = set(node["columns"])
        for element in [*model["dimensions"], *model["measures"], *model["entities"]]:
            expr = element.get("expr") or element["name"]
            # drop string literals and numbers, then every identifier must be a column
            names = set(
                re.findall(r"[a-z_][a-z0-9_]*", re.sub(r"'[^']*'|\b\d+\b", "", expr.lower()))
            )
            missing = names - _SQL_WORDS - columns
            assert not missing, f"{model['name']}.{element['name']} reads {missing}, not in {mart}"
