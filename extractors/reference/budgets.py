"""Budgets (docs/imports.md): a monthly amount per department or per cost centre.

An import replaces the tenant's budgets for every month that appears in the file (all of that
month's rows, department and cost-centre budgets alike), and leaves other months alone; so a
file holds the complete budget of the months it names. rpt_budget_vs_actual reads raw.budgets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from callmeter.settings import Warehouse

from .landing import RawTable, land
from .tabular import (
    ImportRefused,
    Problem,
    RowReader,
    currency,
    decimal,
    month_start,
    read_sheet,
    text,
)

REQUIRED = ("month", "amount")
OPTIONAL = ("department", "cost_centre", "currency")
AMOUNT_PLACES = 4  # raw.budgets.amount is decimal(18, 4)
PIPELINE = "callmeter_budgets"

SCHEMA = pa.schema(
    [
        pa.field("tenant_id", pa.string(), nullable=False),
        pa.field("cost_centre", pa.string()),
        pa.field("department", pa.string()),
        pa.field("month", pa.date32(), nullable=False),
        pa.field("amount", pa.decimal128(18, AMOUNT_PLACES), nullable=False),
        pa.field("currency", pa.string()),
        pa.field("imported_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("source_file", pa.string()),
        pa.field("row_number", pa.int64(), nullable=False),
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
    sheet = read_sheet(data, file_name, required=REQUIRED, optional=OPTIONAL)
    problems = list(sheet.problems)
    if not tenant_id.strip():
        problems.insert(0, Problem(None, "--tenant", "a tenant id is required"))
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
    return pa.Table.from_pylist(
        [
            {
                "tenant_id": budgets.tenant_id,
                "cost_centre": b.cost_centre,
                "department": b.department,
                "month": b.month,
                "amount": b.amount,
                "currency": b.currency,
                "imported_at": imported_at,
                "source_file": budgets.source_file,
                "row_number": b.row_number,
            }
            for b in budgets.budgets
        ],
        schema=SCHEMA,
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
    budgets = read_budgets(path.read_bytes(), path.name, tenant_id)
    if progress:
        progress(f"validated {len(budgets.budgets)} rows; loading into the warehouse")
    table = budgets_table(budgets, now or datetime.now(UTC))
    land(warehouse, PIPELINE, [RawTable("budgets", table, ["tenant_id", "month"])], pipelines_dir)
    return budgets
