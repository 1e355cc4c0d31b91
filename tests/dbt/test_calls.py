"""Calls, not just legs: hand-built transfer and forward scenarios for CUCM, 3CX, Asterisk and SIP
go through the real parsers, land in a fresh warehouse and are built by dbt; marts.fct_calls must
show who called, who answered last, the talk time, the transfer path and the trunk that cost money,
identically on DuckDB and PostgreSQL. The scenario files are in tests/fixtures/calls/."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from callmeter.config import load_config
from callmeter.settings import Warehouse
from orchestration.lib.dbt_project import failed_nodes, run_dbt
from tests.extractors.sip.captures import (
    PBX,
    SBC,
    CallFlow,
    Endpoint,
    _message,
    answered_call,
    udp,
    write,
)
from tests.paths import FIXTURES

pytestmark = pytest.mark.integration

SCENARIOS = FIXTURES / "calls"
TENANT, SITE = "acme", "london"

COLUMNS = (
    "source_format, call_id, call_started_at, call_ended_at, leg_count, calling_number, "
    "first_extension, answering_extension, direction, disposition, ring_seconds, talk_seconds, "
    "transfer_path, is_transferred, is_forwarded, costing_trunk, costing_leg_id, cost, currency, "
    "unrated_legs"
)

# The SIP scenario: a carrier's SBC sends a call to the PBX (a B2BUA), which rings 201 on a new
# Call-ID carrying the trunk call's id in X-Correlation-ID; 201 answers, then transfers it with a
# REFER to 202, which the PBX rings on a third Call-ID with the same correlation header.
PHONE_201: Endpoint = ("192.0.2.21", 5060)
PHONE_202: Endpoint = ("192.0.2.22", 5060)
TRUNK_CALL_ID = "7f3a9c1e@198.51.100.7"


def _refer(flow: CallFlow, t: float) -> list[Any]:
    """201 (callee of the PBX's leg) asks the PBX to transfer the caller to 202: 202 Accepted."""
    headers = [
        f"Via: SIP/2.0/UDP {flow.callee[0]}:{flow.callee[1]};branch=z9hG4bK-refer1",
        f"From: <{flow.ruri}>;tag={flow.to_tag}",
        f"To: <sip:{flow.from_user}@{flow.domain}>;tag={flow.from_tag}",
        f"Call-ID: {flow.call_id}",
        "CSeq: 1 REFER",
        f"Refer-To: <sip:202@{flow.domain}>",
        f"Referred-By: <sip:201@{flow.domain}>",
    ]
    request = _message(f"REFER sip:{flow.from_user}@{flow.caller[0]} SIP/2.0", headers, b"")
    accepted = _message("SIP/2.0 202 Accepted", headers[:5], b"")
    return [
        udp(t, flow.callee, flow.caller, request),
        udp(t + 0.02, flow.caller, flow.callee, accepted),
    ]


def write_sip_transfer(path: Path) -> Path:
    trunk = CallFlow(
        call_id=TRUNK_CALL_ID,
        caller=SBC,
        callee=PBX,
        from_user="01632960123",
        to_user="201",
        domain="sbc.example.net",
        ruri_host="pbx.example.com",
        from_tag="sbc-1",
        to_tag="pbx-1",
    )
    correlated = {"X-Correlation-ID": TRUNK_CALL_ID}
    to_201 = CallFlow(
        call_id="b2b-201@192.0.2.10",
        caller=PBX,
        callee=PHONE_201,
        from_user="01632960123",
        to_user="201",
        ruri_host=PHONE_201[0],
        from_tag="pbx-2",
        to_tag="ph201",
        extra_headers=correlated,
    )
    to_202 = CallFlow(
        call_id="b2b-202@192.0.2.10",
        caller=PBX,
        callee=PHONE_202,
        from_user="01632960123",
        to_user="202",
        ruri_host=PHONE_202[0],
        from_tag="pbx-3",
        to_tag="ph202",
        extra_headers=correlated,
    )
    write(
        path,
        [
            *answered_call(trunk, t0=0.0, talk=125.0),  # answered at 6.5 s, BYE at 131.5 s
            *answered_call(to_201, t0=0.1, talk=30.0),  # 201 talks 30 s
            *_refer(to_201, 30.0),
            *answered_call(to_202, t0=31.0, talk=94.0),  # 202 answers at 37.5 s, talks 94 s
        ],
    )
    return path


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


CUCM_FILE = "cucm_transfer_and_forward.cdr"
PKID = "5b1d3f6e-0c1a-4c2e-9a51-00000000500"
NO_COST = {"costing_trunk": None, "costing_leg_id": None, "cost": Decimal("0.0000")}
ANSWERED = {"disposition": "answered", "currency": "GBP", "unrated_legs": 0}

# (source_format, call_id) -> the expected fct_calls columns, hand-derived from the scenario files
# and docs/calls.md.
EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    # PSTN -> 1000 (talks 60 s) -> blind transfer (consult to 2000 unanswered) -> 2000 talks 120 s
    ("cucm", "LONCLUSTER:1:5001"): {
        "call_started_at": _utc("2024-03-12 09:40:00"),
        "call_ended_at": _utc("2024-03-12 09:43:12"),
        "leg_count": 3,
        "calling_number": "01632960123",
        "first_extension": "1000",
        "answering_extension": "2000",
        "direction": "inbound",
        "ring_seconds": 6,
        "talk_seconds": 180,
        "transfer_path": "1000 > 2000",
        "is_transferred": True,
        "is_forwarded": False,
        **NO_COST,
        **ANSWERED,
    },
    # 3000 calls 1000, forwarded (CFA) out to a mobile for 95 s: 0.01 + 0.06 * 95 / 60 = 0.105
    ("cucm", "LONCLUSTER:1:5002"): {
        "call_started_at": _utc("2024-03-12 09:50:00"),
        "call_ended_at": _utc("2024-03-12 09:51:44"),
        "leg_count": 1,
        "calling_number": "3000",
        "first_extension": "3000",
        "answering_extension": None,
        "direction": "outbound",
        "ring_seconds": 9,
        "talk_seconds": 95,
        "transfer_path": "3000",
        "is_transferred": False,
        "is_forwarded": True,
        "costing_trunk": "CUBE-LON-01",
        "costing_leg_id": PKID + "4",
        "cost": Decimal("0.1050"),
        **ANSWERED,
    },
    # external caller -> 201 -> transferred (ReplacedDst) to 205; one record, path from its chain
    ("3cx", "4711"): {
        "call_started_at": _utc("2024-03-11 09:15:02"),
        "call_ended_at": _utc("2024-03-11 09:17:14"),
        "leg_count": 1,
        "calling_number": "01632960123",
        "first_extension": "205",
        "answering_extension": "205",
        "direction": "inbound",
        "ring_seconds": 7,
        "talk_seconds": 125,
        "transfer_path": "201 > 205",
        "is_transferred": True,
        "is_forwarded": False,
        **NO_COST,
        **ANSWERED,
    },
    # 202 calls 203, no answer, forwarded (Fwd_NoAnswer) to 204 who talks 90 s
    ("3cx", "4720"): {
        "call_started_at": _utc("2024-03-11 10:00:00"),
        "call_ended_at": _utc("2024-03-11 10:01:50"),
        "leg_count": 1,
        "calling_number": "202",
        "first_extension": "202",
        "answering_extension": "204",
        "direction": "internal",
        "ring_seconds": 20,
        "talk_seconds": 90,
        "transfer_path": "202 > 203 > 204",
        "is_transferred": False,
        "is_forwarded": True,
        **NO_COST,
        **ANSWERED,
    },
    # carrier -> 201 (60 s) -> blind transfer to 202 (120 s) in one linkedid; the 3 s `h` row is
    # a leg but neither talk nor a party
    ("asterisk", "1710149400.16"): {
        "call_started_at": _utc("2024-03-11 09:30:00"),
        "call_ended_at": _utc("2024-03-11 09:33:15"),
        "leg_count": 3,
        "calling_number": "01632960777",
        "first_extension": "201",
        "answering_extension": "202",
        "direction": "inbound",
        "ring_seconds": 5,
        "talk_seconds": 180,
        "transfer_path": "201 > 202",
        "is_transferred": True,
        "is_forwarded": None,
        **NO_COST,
        **ANSWERED,
    },
    # SBC -> PBX (125 s of talk) with B2BUA legs to 201 (30 s) and, after the REFER, 202 (94 s):
    # the trunk leg's talk counts once, the mirrored internal legs add none
    ("sip", TRUNK_CALL_ID): {
        "call_started_at": _utc("2025-07-01 09:00:00"),
        "call_ended_at": _utc("2025-07-01 09:02:11.500000"),
        "leg_count": 3,
        "calling_number": "01632960123",
        "first_extension": "201",
        "answering_extension": "202",
        "direction": "inbound",
        "ring_seconds": 6,
        "talk_seconds": 125,
        "transfer_path": "201 > 202",
        "is_transferred": True,
        "is_forwarded": None,
        **NO_COST,
        **ANSWERED,
    },
}


def _land(warehouse: Warehouse, tmp_path: Path) -> None:
    """Config, the bt rate card and every scenario file, through the real importers and parsers."""
    from extractors.config_tables import land_config
    from extractors.inbox import SourceFile, land_files
    from extractors.reference.ratecards import RateCardVersion, import_rate_card

    config = load_config(SCENARIOS / "callmeter.yaml")
    pipelines = str(tmp_path / "dlt")
    land_config(warehouse, config, pipelines)
    import_rate_card(
        SCENARIOS / "ratecard_bt.csv",
        RateCardVersion("bt", date(2024, 1, 1)),
        warehouse,
        pipelines_dir=pipelines,
    )
    files = [
        (SCENARIOS / CUCM_FILE, "cucm"),
        (SCENARIOS / "3cx_transfer_and_forward.log", "3cx"),
        (SCENARIOS / "asterisk_blind_transfer.csv", "asterisk"),
        (write_sip_transfer(tmp_path / "sip_refer_transfer.pcap"), "sip"),
    ]
    summary = land_files(
        warehouse,
        config,
        [SourceFile(path, fmt, TENANT, SITE) for path, fmt in files],
        pipelines_dir=pipelines,
    )
    assert summary.total_rejects == 0, summary.rejects
    assert summary.legs == {"cucm": 4, "3cx": 2, "asterisk": 3, "sip": 3}


def _dbt(warehouse: Warehouse, tmp_path: Path, *args: str) -> list[str]:
    """dbt in-process against the warehouse, with a private target path; fails with dbt's errors."""
    result = run_dbt(warehouse, args, tmp_path / "dbt_target")
    failures = failed_nodes(result)
    assert result.success, f"dbt {args[0]} failed: {result.exception or failures}"
    return [r.node.name for r in (result.result or [])]


def _dbt_build(warehouse: Warehouse, tmp_path: Path) -> None:
    """fct_calls and its parents with their data tests, then the grouping rules' unit tests
    (only ours: other models' unit tests are the project build's business)."""
    _dbt(
        warehouse,
        tmp_path,
        "build",
        "--select",
        "+fct_calls",
        "--exclude-resource-type",
        "unit_test",
        # tests that also need marts outside this selection (chargeback, ...) are not run
        "--indirect-selection",
        "cautious",
    )
    unit_tests = _dbt(
        warehouse,
        tmp_path,
        "test",
        "--select",
        "int_call_legs_sequenced,test_type:unit",
        "fct_calls,test_type:unit",
    )
    assert len(unit_tests) == 5, unit_tests


def _query(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    """One statement, committed; its rows if it returns any."""
    if warehouse.kind == "duckdb":
        import duckdb

        # dbt-duckdb keeps its in-process connection open; a read-only one would be refused
        with duckdb.connect(str(warehouse.duckdb_path)) as con:
            cursor = con.execute(sql)
            return cursor.fetchall() if cursor.description else []
    import psycopg2

    con = psycopg2.connect(warehouse.url)
    con.autocommit = True
    try:
        with con.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []
    finally:
        con.close()


def _calls(warehouse: Warehouse) -> dict[tuple[str, str], tuple[Any, ...]]:
    rows = _query(warehouse, f"select {COLUMNS} from marts.fct_calls order by 1, 2")
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


@pytest.fixture(scope="module")
def duckdb_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    tmp_path = tmp_path_factory.mktemp("calls_duckdb")
    warehouse = Warehouse.from_url(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    _land(warehouse, tmp_path)
    _dbt_build(warehouse, tmp_path)
    return warehouse


@pytest.fixture(scope="module")
def duckdb_calls(duckdb_warehouse: Warehouse) -> dict[tuple[str, str], tuple[Any, ...]]:
    return _calls(duckdb_warehouse)


def test_every_scenario_becomes_exactly_one_call(duckdb_calls: dict[tuple[str, str], Any]) -> None:
    assert set(duckdb_calls) == set(EXPECTED)


@pytest.mark.parametrize("call", list(EXPECTED), ids=[f"{fmt}-{call}" for fmt, call in EXPECTED])
def test_transfer_and_forward_scenarios_group_into_the_expected_call(
    duckdb_calls: dict[tuple[str, str], tuple[Any, ...]], call: tuple[str, str]
) -> None:
    names = [name.strip() for name in COLUMNS.split(",")][2:]
    assert dict(zip(names, duckdb_calls[call], strict=True)) == EXPECTED[call]


def test_a_calls_cost_and_leg_count_add_up_to_its_legs_in_fct_call_legs(
    duckdb_warehouse: Warehouse,
) -> None:
    mismatches = _query(
        duckdb_warehouse,
        """
        select calls.source_format, calls.call_id, calls.cost, legs.cost, calls.leg_count, legs.legs
        from marts.fct_calls as calls
        inner join (
            select tenant_id, site_id, source_format, call_id, sum(cost) as cost, count(*) as legs
            from marts.fct_call_legs
            group by 1, 2, 3, 4
        ) as legs
            on calls.tenant_id = legs.tenant_id
            and calls.site_id = legs.site_id
            and calls.source_format = legs.source_format
            and calls.call_id = legs.call_id
        where calls.cost <> legs.cost or calls.leg_count <> legs.legs
        """,
    )
    assert mismatches == []
    assert _query(duckdb_warehouse, "select count(*) from marts.fct_calls")[0][0] == len(EXPECTED)


@pytest.mark.postgres
def test_postgres_builds_the_same_calls_as_duckdb(
    tmp_path: Path, postgres_url: str, duckdb_calls: dict[tuple[str, str], tuple[Any, ...]]
) -> None:
    warehouse = Warehouse.from_url(postgres_url)
    _land(warehouse, tmp_path)
    _dbt_build(warehouse, tmp_path)
    assert _calls(warehouse) == duckdb_calls
