"""Budgets (docs/imports.md): a monthly amount per department or per cost centre.

An import replaces the tenant's budgets for every month that appears in the file (all of that
month's rows, department and cost-centre budgets alike), and leaves other months alone; so a
file holds the complete budget of the months it names. rpt_budget_vs_actual reads raw.budgets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from callmeter.settings import Warehouse

from .landing import RawTable, import_file, tenant_schema, tenant_table
from .tabular import (
    ImportRefused,
    Problem,
    RowReader,
    currency,
    decimal,
    month_start,
    read_tenant_sheet,
    text,
)

REQUIRED = ("month", "amount")
OPTIONAL = ("department", "cost_centre", "currency")
AMOUNT_PLACES = 4  # raw.budgets.amount is decimal(18, 4)
PIPELINE = "callmeter_budgets"

SCHEMA = tenant_schema(
    [
        pa.field("cost_centre", pa.string()),
        pa.field("department", pa.string()),
        pa.field("month", pa.date32(), nullable=False),
        pa.field("amount", pa.decimal128(18, AMOUNT_PLACES), nullable=False),
        pa.field("currency", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class Budget:
    """One validated budget line: exactly one of cost_centre and department is set."""

    row_number: int
    cost_centre: str | None
    department: str | None
    month: date
    amount: Decimal
    currency: str | None = None


@dataclass
class Budgets:
    """A validated budget file of one tenant."""

    tenant_id: str
    source_file: str
    budgets: list[Budget]

    @property
    def months(self) -> list[date]:
        """The months the file replaces."""
        return sorted({b.month for b in self.budgets})


def read_budgets(data: bytes, file_name: str, tenant_id: str) -> Budgets:
    """Validate a whole budget file without writing anything.

    Raises:
        ImportRefused: with every problem, each naming the row and the column.
    """
    sheet, problems = read_tenant_sheet(
        data, file_name, tenant_id, required=REQUIRED, optional=OPTIONAL
    )
    if sheet.columns and not {"department", "cost_centre"} & set(sheet.columns):
        problems.append(
            Problem(1, "cost_centre", "a department or a cost_centre column is required")
        )
    budgets: list[Budget] = []
    first_row: dict[tuple[str, str, date], int] = {}
    for number, row in sheet.rows:
        reader = RowReader(number, row, problems)
        cost_centre = reader.get("cost_centre", text)
        department = reader.get("department", text)
        budget = Budget(
            row_number=number,
            cost_centre=cost_centre,
            department=department,
            month=reader.get("month", month_start, required=True),
            amount=reader.get("amount", _amount, required=True),
            currency=reader.get("currency", currency),
        )
        if cost_centre and department:
            reader.fail("department", "give a department or a cost_centre on a row, not both")
        elif not (cost_centre or department) and {"department", "cost_centre"} & set(row):
            reader.fail("cost_centre", "a department or a cost_centre is required")
        if reader.ok:
            key = (
                ("cost_centre", cost_centre, budget.month)
                if cost_centre
                else ("department", department or "", budget.month)
            )
            if key in first_row:
                reader.fail(
                    key[0],
                    f"{key[0]} {key[1]} already has a budget for {budget.month:%Y-%m} on row "
                    f"{first_row[key]}",
                )
            else:
                first_row[key] = number
                budgets.append(budget)
    if problems:
        raise ImportRefused(file_name, problems)
    return Budgets(tenant_id, Path(file_name).name, budgets)


def _amount(value: object) -> Decimal:
    number = decimal(value, AMOUNT_PLACES, integer_digits=14)
    if number < 0:
        raise ValueError(f"{number} is negative")
    return number


def budgets_table(budgets: Budgets, imported_at: datetime) -> pa.Table:
    """raw.budgets rows of a validated file, as an Arrow table."""
    return tenant_table(
        SCHEMA,
        budgets.budgets,
        tenant_id=budgets.tenant_id,
        source_file=budgets.source_file,
        imported_at=imported_at,
    )


def import_budgets(
    path: Path,
    tenant_id: str,
    warehouse: Warehouse,
    *,
    pipelines_dir: str | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> Budgets:
    """Validate a budget file whole, then replace the tenant's budgets for its months.

    Raises:
        ImportRefused: the file is invalid; nothing was written.
        OSError: the file cannot be read.
    """
    return import_file(
        path,
        lambda data, name: read_budgets(data, name, tenant_id),
        lambda budgets: len(budgets.budgets),
        lambda budgets, at: [
            RawTable("budgets", budgets_table(budgets, at), ["tenant_id", "month"])
        ],
        warehouse,
        PIPELINE,
        pipelines_dir=pipelines_dir,
        now=now,
        progress=progress,
    )
