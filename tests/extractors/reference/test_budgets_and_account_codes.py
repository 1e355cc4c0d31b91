"""Budget and account-code imports: validation, and replacement (months, whole map)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from callmeter.cli import main
from callmeter.settings import Warehouse
from extractors.reference import ImportRefused
from extractors.reference.account_codes import import_account_codes, read_account_codes
from extractors.reference.budgets import import_budgets, read_budgets

from .helpers import REFERENCE, count, rows, write

BUDGET_HEADER = "cost_centre,department,month,amount,currency\n"
CODE_HEADER = "account_code,project,client,valid_from\n"


def budget_refusal(body: str, header: str = BUDGET_HEADER) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        read_budgets((header + body).encode(), "b.csv", "acme")
    return [str(problem) for problem in caught.value.problems]


def code_refusal(body: str, header: str = CODE_HEADER) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        read_account_codes((header + body).encode(), "a.csv", "acme")
    return [str(problem) for problem in caught.value.problems]


def test_a_budget_month_becomes_the_first_day_of_the_month_and_the_amount_is_exact() -> None:
    budgets = read_budgets(
        (BUDGET_HEADER + "CC-100,,2026-03,275.10,gbp\n").encode(), "b.csv", "acme"
    )
    (budget,) = budgets.budgets
    assert (budget.cost_centre, budget.department, budget.month) == (
        "CC-100",
        None,
        date(2026, 3, 1),
    )
    assert (budget.amount, budget.currency) == (Decimal("275.10"), "GBP")


def test_a_department_only_budget_file_is_accepted() -> None:
    path = REFERENCE / "acme_department_budgets.csv"
    budgets = read_budgets(path.read_bytes(), path.name, "acme")
    assert [(b.department, b.cost_centre, b.currency) for b in budgets.budgets][0] == (
        "Sales",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("CC-1,,2026-3,10,\n", "row 2, column month: '2026-3' is not a month in the form YYYY-MM"),
        ("CC-1,,2026-13,10,\n", "row 2, column month: '2026-13' is not a month"),
        ("CC-1,,,10,\n", "row 2, column month: a value is required"),
        ("CC-1,,2026-03,,\n", "row 2, column amount: a value is required"),
        ("CC-1,,2026-03,1.23456,\n", "row 2, column amount: '1.23456' has more than 4 decimal"),
        ("CC-1,,2026-03,-5,\n", "row 2, column amount: -5 is negative"),
        ('CC-1,,2026-03,"1,000",\n', "row 2, column amount: '1,000' is not a decimal number"),
        ("CC-1,,2026-03,10,EURO\n", "row 2, column currency: 'EURO' is not an ISO 4217"),
        (",,2026-03,10,\n", "row 2, column cost_centre: a department or a cost_centre is required"),
        (
            "CC-1,Sales,2026-03,10,\n",
            "row 2, column department: give a department or a cost_centre",
        ),
    ],
)
def test_each_bad_budget_cell_is_refused_naming_its_row_and_column(
    body: str, expected: str
) -> None:
    problems = budget_refusal(body)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected)


def test_a_second_budget_for_the_same_cost_centre_and_month_names_the_first_row() -> None:
    assert budget_refusal("CC-1,,2026-03,10,\nCC-2,,2026-03,5,\nCC-1,,2026-03,12,\n") == [
        "row 4, column cost_centre: cost_centre CC-1 already has a budget for 2026-03 on row 2"
    ]


def test_a_budget_file_needs_a_department_or_cost_centre_column() -> None:
    assert budget_refusal("2026-03,10\n", header="month,amount\n") == [
        "row 1, column cost_centre: a department or a cost_centre column is required"
    ]


@pytest.mark.integration
def test_a_budget_import_replaces_only_the_months_in_the_file(
    warehouse: Warehouse, pipelines_dir: str, tmp_path: Path
) -> None:
    import_budgets(REFERENCE / "acme_budgets.csv", "acme", warehouse, pipelines_dir=pipelines_dir)
    assert count(warehouse, "budgets") == 10
    march = write(tmp_path / "march.csv", BUDGET_HEADER + "CC-100,,2026-03,300.5,GBP\n")
    import_budgets(march, "acme", warehouse, pipelines_dir=pipelines_dir)
    assert rows(
        warehouse, "select month, count(*), sum(amount) from raw.budgets group by 1 order by 1"
    ) == [
        (date(2026, 1, 1), 2, Decimal("330.0000")),
        (date(2026, 2, 1), 2, Decimal("330.0000")),
        (date(2026, 3, 1), 1, Decimal("300.5000")),
    ]


@pytest.mark.integration
def test_a_refused_budget_file_writes_nothing(
    warehouse: Warehouse, pipelines_dir: str, tmp_path: Path
) -> None:
    import_budgets(REFERENCE / "acme_budgets.csv", "acme", warehouse, pipelines_dir=pipelines_dir)
    bad = write(tmp_path / "bad.csv", BUDGET_HEADER + "CC-100,,2026-03,300,\nCC-200,,March,5,\n")
    with pytest.raises(ImportRefused, match="row 3, column month"):
        import_budgets(bad, "acme", warehouse, pipelines_dir=pipelines_dir)
    assert count(warehouse, "budgets") == 10


def test_account_codes_keep_leading_zeros_and_take_an_optional_valid_from() -> None:
    codes = read_account_codes(
        (CODE_HEADER + "0042,Audit,Umbrella,2026-01-01\n0043,Retainer,,\n").encode(),
        "a.csv",
        "acme",
    )
    assert [(c.account_code, c.client, c.valid_from) for c in codes.codes] == [
        ("0042", "Umbrella", date(2026, 1, 1)),
        ("0043", None, None),
    ]


def test_a_reused_account_code_needs_distinct_valid_from_dates() -> None:
    body = "7,Audit,Umbrella,2025-01-01\n7,Relaunch,Initech,2026-01-01\n7,Again,X,2026-01-01\n"
    assert code_refusal(body) == [
        "row 4, column account_code: account code 7 from 2026-01-01 is already on row 3"
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (",Audit,Umbrella,\n", "row 2, column account_code: a value is required"),
        ("7,,Umbrella,\n", "row 2, column project: a value is required"),
        ("7,Audit,Umbrella,2026/01/01\n", "row 2, column valid_from: '2026/01/01' is not a date"),
    ],
)
def test_each_bad_account_code_cell_is_refused_naming_its_row_and_column(
    body: str, expected: str
) -> None:
    problems = code_refusal(body)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected)


@pytest.mark.integration
def test_an_account_code_import_replaces_the_tenants_map(
    warehouse: Warehouse, pipelines_dir: str, tmp_path: Path
) -> None:
    import_account_codes(
        REFERENCE / "acme_account_codes.csv", "acme", warehouse, pipelines_dir=pipelines_dir
    )
    other = write(tmp_path / "globex.csv", CODE_HEADER + "1,Ops,Globex,\n")
    import_account_codes(other, "globex", warehouse, pipelines_dir=pipelines_dir)
    assert count(warehouse, "account_codes", "tenant_id = 'acme'") == 4
    new = write(tmp_path / "acme.csv", CODE_HEADER + "1001,Website relaunch,Initech,\n")
    import_account_codes(new, "acme", warehouse, pipelines_dir=pipelines_dir)
    assert rows(
        warehouse,
        "select tenant_id, account_code, project, client, valid_from, row_number "
        "from raw.account_codes order by 1",
    ) == [
        ("acme", "1001", "Website relaunch", "Initech", None, 2),
        ("globex", "1", "Ops", "Globex", None, 2),
    ]
    bad = write(tmp_path / "bad.csv", CODE_HEADER + "1002,,Initech,\n")
    with pytest.raises(ImportRefused):
        import_account_codes(bad, "acme", warehouse, pipelines_dir=pipelines_dir)
    assert count(warehouse, "account_codes") == 2


@pytest.mark.integration
def test_the_budget_and_accountcodes_commands_import_the_samples(
    cli_warehouse: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["budget", "import", str(REFERENCE / "acme_budgets.csv"), "--tenant", "acme"]) == 0
    assert "imported 10 budgets of acme for 2026-01, 2026-02, 2026-03" in capsys.readouterr().out
    codes = str(REFERENCE / "acme_account_codes.csv")
    assert main(["accountcodes", "import", codes, "--tenant", "acme"]) == 0
    assert capsys.readouterr().out.startswith("imported 4 account codes of acme")
    assert main(["accountcodes", "import", codes, "--tenant", "nobody"]) == 2
    assert "no tenant 'nobody'" in capsys.readouterr().err
    assert (count(cli_warehouse, "budgets"), count(cli_warehouse, "account_codes")) == (10, 4)
