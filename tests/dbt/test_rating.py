"""dbt build on a temp DuckDB (and Postgres) with hand-made legs and cards: costs to the 4th
decimal, versions, bands across DST, unrated legs, incremental re-costing of exactly the legs a
new card version covers, and identical results on both warehouses."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from callmeter.settings import Warehouse
from tests.dbt import warehouse as wh

pytestmark = pytest.mark.integration

# Hand-computed (docs/rating.md): cost = fee + rate * billed / 60, half-up 4 dp; resale +20 %.
EXPECTED_V1: dict[str, tuple[Any, ...]] = {
    # 61 s on 60/1 at 0.015 peak: 61 s billed, 0.015 * 61 / 60 = 0.01525 -> 0.0153
    "peak_national": (
        "peak",
        "national",
        "bt",
        wh.CARD_V1,
        "44",
        61,
        "0.0153",
        "0.0184",
        None,
        "CC-100",
    ),
    # 95 s on 30/6: 30 + 11 * 6 = 96 s; 0.01 + 0.06 * 96 / 60 = 0.106
    "weekend_mobile": (
        "weekend",
        "mobile",
        "bt",
        wh.CARD_V1,
        "447",
        96,
        "0.1060",
        "0.1272",
        None,
        "CC-100",
    ),
    # weekend: no weekend row for 44, so the `any` row: 0.005 * 125 / 60 = 0.0104166 -> 0.0104
    "weekend_national": (
        "weekend",
        "national",
        "bt",
        wh.CARD_V1,
        "44",
        125,
        "0.0104",
        "0.0125",
        None,
        "CC-100",
    ),
    # 08:30 BST (07:30 UTC) after the clocks changed: peak; premium 60 s minimum: 0.25 + 1.5
    "premium_after_dst": (
        "peak",
        "premium",
        "bt",
        wh.CARD_V1,
        "44909",
        60,
        "1.7500",
        "2.1000",
        None,
        "CC-100",
    ),
    "unanswered": ("peak", "national", None, None, None, 0, "0.0000", "0.0000", None, "CC-100"),
    "inbound": ("peak", "national", None, None, None, 0, "0.0000", "0.0000", None, "CC-100"),
    "gamma_no_card": (
        "peak",
        "mobile",
        "gamma",
        None,
        None,
        None,
        None,
        None,
        "no rate card for carrier gamma in force",
        "CC-100",
    ),
    "no_prefix": (
        "peak",
        "international",
        "bt",
        wh.CARD_V1,
        None,
        None,
        None,
        None,
        "no prefix matches 33123456789",
        "-1",
    ),
    # 07:59 BST on the Monday after the change: offpeak at 0.008, 60 s initial block
    "offpeak_0759_after_dst": (
        "offpeak",
        "national",
        "bt",
        wh.CARD_V1,
        "44",
        60,
        "0.0080",
        "0.0096",
        None,
        "CC-100",
    ),
    # 18:00 GMT is offpeak (18:00 exclusive); Bob moved to CC-200 on 16 March
    "offpeak_1800": (
        "offpeak",
        "national",
        "bt",
        wh.CARD_V1,
        "44",
        120,
        "0.0160",
        "0.0192",
        None,
        "CC-200",
    ),
}

# Version bt 2026-03-15 (44 any 0.02 1/1, 447 any 0.1 1/1) replaces v1 from 15 March local.
EXPECTED_V2_CHANGES: dict[str, tuple[Any, ...]] = {
    "premium_after_dst": (
        "peak",
        "premium",
        "bt",
        wh.CARD_V2,
        "44",
        10,
        "0.0033",
        "0.0040",
        None,
        "CC-100",
    ),
    "offpeak_0759_after_dst": (
        "offpeak",
        "national",
        "bt",
        wh.CARD_V2,
        "44",
        30,
        "0.0100",
        "0.0120",
        None,
        "CC-100",
    ),
    "offpeak_1800": (
        "offpeak",
        "national",
        "bt",
        wh.CARD_V2,
        "44",
        120,
        "0.0400",
        "0.0480",
        None,
        "CC-200",
    ),
}
COVERED_BY_V2 = {"premium_after_dst", "offpeak_0759_after_dst", "offpeak_1800", "unanswered"}


def _check(actual: dict[str, tuple[Any, ...]], expected: dict[str, tuple[Any, ...]]) -> None:
    for record_id, (
        band,
        dtype,
        card,
        version,
        prefix,
        billed,
        cost,
        resale,
        reason,
        centre,
    ) in expected.items():
        got = actual[record_id]
        assert got[:9] == (band, dtype, card, version, prefix, billed, cost, resale, "GBP"), (
            record_id
        )
        assert got[9] == reason, record_id
        assert got[10] == centre, record_id


def test_costs_bands_and_unrated_legs_match_hand_computed_values(duckdb_run: Any) -> None:
    first, _, _, _ = duckdb_run
    _check(first, EXPECTED_V1)


def test_a_new_card_version_recosts_exactly_the_legs_it_covers(duckdb_run: Any) -> None:
    first, second, recosted, _ = duckdb_run
    assert recosted == COVERED_BY_V2
    _check(second, EXPECTED_V2_CHANGES)
    for record_id in set(first) - set(EXPECTED_V2_CHANGES):
        assert second[record_id] == first[record_id], record_id


def test_an_unchanged_rebuild_rates_nothing(duckdb_run: Any, tmp_path: Path) -> None:
    _, _, _, warehouse = duckdb_run
    before = wh.rated_in(warehouse)
    wh.dbt_build(warehouse, tmp_path / "target", "--select", "int_call_legs_rated")
    assert wh.rated_in(warehouse) == before


def test_unrated_legs_are_listed_with_their_reason(duckdb_run: Any) -> None:
    _, _, _, warehouse = duckdb_run
    rows = wh.query(
        warehouse, "select source_record_id, unrated_reason from marts.rpt_unrated_legs"
    )
    assert sorted(rows) == [
        ("gamma_no_card", "no rate card for carrier gamma in force"),
        ("no_prefix", "no prefix matches 33123456789"),
    ]


@pytest.mark.postgres
def test_postgres_gives_identical_results(
    duckdb_run: Any, postgres_url: str, tmp_path: Path
) -> None:
    first, second, recosted, _ = duckdb_run
    pg_first, pg_second, pg_recosted = wh.build_and_recost(
        Warehouse.from_url(postgres_url), tmp_path
    )
    assert pg_first == first
    assert pg_second == second
    assert pg_recosted == recosted


def _sip_leg(record_id: str, start: str, called: str, trunk: str, extra: str) -> str:
    """An answered 120 s outbound SIP leg of the call 'call-b2bua' (raw.sip_call_legs order)."""
    return (
        "insert into raw.sip_call_legs select 'acme', 'london', 'sip', "
        f"'{record_id}', 'call-b2bua', cast('{start}+00' as timestamp with time zone), "
        f"cast('{start}+00' as timestamp with time zone) + interval '5 seconds', "
        f"cast('{start}+00' as timestamp with time zone) + interval '125 seconds', 5, 120, "
        f"'outbound', 'answered', '2000', '{called}', '201', '{trunk}', null, 'raw', "
        f"'{extra}', 'load-1'"
    )


def test_a_b2bua_pair_is_costed_once_on_its_carrier_leg(tmp_path: Path) -> None:
    """Extension -> PBX and PBX -> carrier, joined by the SIP parser's B2BUA correlation
    (extra.linked_by): only the carrier leg is priced, so the call sums one cost."""
    warehouse = Warehouse.from_url(f"duckdb:///{tmp_path / 'callmeter.duckdb'}")
    wh.execute(
        warehouse,
        [
            *wh.initial_statements(),
            _sip_leg("b2bua_hop", "2026-03-02 11:00:00", "901632960000", "pbx", "{}"),
            _sip_leg(
                "b2bua_carrier",
                "2026-03-02 11:00:01",
                "01632960000",
                "SIP-BT",
                '{"linked_by": "numbers_and_time", "linked_to": "call-b2bua"}',
            ),
        ],
    )
    wh.dbt_build(warehouse, tmp_path / "target")
    legs = dict(
        wh.query(
            warehouse,
            "select source_record_id, cost from marts.fct_call_legs where call_id = 'call-b2bua'",
        )
    )
    # 120 s on the 60/1 peak row for 44 at 0.015: 0.015 * 120 / 60 = 0.03
    assert legs == {"b2bua_hop": Decimal("0"), "b2bua_carrier": Decimal("0.03")}
    calls = wh.query(
        warehouse,
        "select leg_count, cost, costing_leg_id from marts.fct_calls where call_id = 'call-b2bua'",
    )
    assert calls == [(2, Decimal("0.03"), "b2bua_carrier")]
