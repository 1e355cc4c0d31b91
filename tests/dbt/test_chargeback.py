"""Chargeback, budget against actual, statements and the GL journal over the shared warehouse
(tests/dbt/conftest.py: after the second card version). Amounts are hand-computed in
tests/dbt/test_rating.py; here they are summed per cost centre."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from callmeter.cli import main
from tests.dbt import warehouse as wh

pytestmark = pytest.mark.integration

# After version 2: CC-100 = 0.0153 + 0.1060 + 0.0104 + 0.0033 + 0.0100 (+ three legs at 0 and
# gamma_no_card unrated) over 8 legs; CC-200 = Bob's leg after his move; '-1' = the unknown 999.
CHARGEBACK = {
    ("CC-100", "2026-03-01"): (8, Decimal("0.1450")),
    ("CC-200", "2026-03-01"): (1, Decimal("0.0400")),
    ("-1", "2026-03-01"): (1, Decimal("0.0000")),
}


def test_chargeback_adds_up_per_cost_centre_and_local_month(duckdb_run: Any) -> None:
    warehouse = duckdb_run[3]
    rows = wh.query(
        warehouse,
        "select cost_centre, cast(month as text), legs, cost, currency "
        "from marts.fct_chargeback_monthly where tenant_id = 'acme'",
    )
    assert {(c, m): (legs, cost) for c, m, legs, cost, _ in rows} == CHARGEBACK
    assert {row[4] for row in rows} == {"GBP"}


def test_budget_vs_actual_projects_the_current_month_at_its_run_rate(duckdb_run: Any) -> None:
    warehouse = duckdb_run[3]
    rows = wh.query(
        warehouse,
        "select budget_level, coalesce(cost_centre, department), budget, mtd_cost, "
        "projected_month_end_cost, month_status, days_elapsed from marts.rpt_budget_vs_actual "
        "where tenant_id = 'acme' and month = date '2026-03-01'",
    )
    report = {(level, holder): rest for level, holder, *rest in rows}
    # "today" is 2026-03-20: legs of the 30th are not in the month-to-date cost yet;
    # mtd 0.0153 + 0.1060 + 0.0104 = 0.1317; projected 0.1317 / 20 * 31 = 0.204135 -> 0.2041
    assert report[("cost_centre", "CC-100")] == [
        Decimal("1.0000"),
        Decimal("0.1317"),
        Decimal("0.2041"),
        "current",
        20,
    ]
    # no budget, but cost: listed with a null budget; 0.04 / 20 * 31 = 0.062
    assert report[("cost_centre", "CC-200")] == [
        None,
        Decimal("0.0400"),
        Decimal("0.0620"),
        "current",
        20,
    ]
    assert report[("department", "Sales")] == [
        Decimal("5.0000"),
        Decimal("0.1317"),
        Decimal("0.2041"),
        "current",
        20,
    ]
    assert ("department", "Marketing") not in report  # department rows only where budgeted


def test_statements_and_journal_trace_every_amount_to_legs_version_and_directory_row(
    duckdb_run: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # a copy, like the serving snapshot readers use: in-process dbt keeps the file open
    snapshot = tmp_path / "serving.duckdb"
    source = duckdb_run[3].duckdb_path
    for suffix in ("", ".wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{snapshot}{suffix}")
    monkeypatch.setenv("CALLMETER_WAREHOUSE", f"duckdb:///{snapshot}")
    out = tmp_path / "out"
    assert (
        main(["statement", "--tenant", "acme", "--month", "2026-03", "--out", str(out), "--xlsx"])
        == 0
    )
    assert (out / "chargeback_acme_2026-03.xlsx").exists()
    statements = {
        path.name: list(csv.DictReader(path.open(encoding="utf-8")))
        for path in out.glob("statement_*.csv")
    }
    assert set(statements) == {
        "statement_acme_2026-03_CC-100.csv",
        "statement_acme_2026-03_CC-200.csv",
        "statement_acme_2026-03_-1.csv",
    }
    for (centre, _), (legs, cost) in CHARGEBACK.items():
        rows = statements[f"statement_acme_2026-03_{centre}.csv"]
        total = [r for r in rows if r["source_record_id"] == "TOTAL"]
        assert len(rows) - len(total) == legs
        assert [Decimal(r["cost"]) for r in total] == [cost]
    journal = list(csv.DictReader((out / "gl_journal_2026-03.csv").open(encoding="utf-8")))
    by_centre: dict[str, Decimal] = {}
    for line in journal:
        by_centre[line["cost_centre"]] = by_centre.get(line["cost_centre"], Decimal(0)) + Decimal(
            line["amount"]
        )
        # the statement it names lists legs with exactly this version and directory row
        listed = [
            r
            for r in statements[line["statement_file"]]
            if r["rate_card_version"] == line["rate_card_version"]
            and r["directory_entry"] == line["directory_entry"]
            and r["cost"]
            and Decimal(r["cost"]) != 0
        ]
        assert len(listed) == int(line["legs"])
        assert sum(Decimal(r["cost"]) for r in listed) == Decimal(line["amount"])
    assert by_centre == {"CC-100": Decimal("0.1450"), "CC-200": Decimal("0.0400")}
    assert {line["gl_account"] for line in journal} == {"6100", "6200"}
    assert {line["journal_date"] for line in journal} == {"2026-03-31"}


def test_statement_refuses_a_malformed_month_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["statement", "--tenant", "acme", "--month", "March", "--out", str(tmp_path)]) == 2
    assert "month must be YYYY-MM" in capsys.readouterr().err
