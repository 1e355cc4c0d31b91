"""Chargeback statements per cost centre and the GL journal, read from the marts.

Every amount traces back: a statement lists each leg of the cost centre's month with the rate
card version and prefix that priced it and the directory row that allocated it; each journal line
is the sum of one cost centre's legs per GL account, currency, card version and directory row,
and names the statement file that lists those legs. Reads marts.fct_call_legs only, over a
read-only connection (the DuckDB file or Postgres of callmeter.settings.Warehouse)."""

from __future__ import annotations

import calendar
import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from callmeter.settings import Warehouse

STATEMENT_COLUMNS = (
    "tenant_id",
    "cost_centre",
    "department",
    "employee",
    "extension",
    "site_id",
    "source_format",
    "source_record_id",
    "started_local_at",
    "called_number",
    "destination",
    "destination_type",
    "time_band",
    "duration_seconds",
    "billed_seconds",
    "rate_card",
    "rate_card_version",
    "rated_prefix",
    "cost",
    "currency",
    "unrated_reason",
    "gl_account",
    "directory_entry",
)
JOURNAL_COLUMNS = (
    "journal_date",
    "tenant_id",
    "cost_centre",
    "gl_account",
    "currency",
    "amount",
    "legs",
    "rate_card_version",
    "directory_entry",
    "statement_file",
    "description",
)
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class StatementError(ValueError):
    """A request that cannot be answered (bad month, unknown tenant, no marts yet)."""


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month of the sites' local time."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """`YYYY-MM` -> Month; StatementError names the expected form."""
        match = _MONTH.fullmatch(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise StatementError(f"month must be YYYY-MM, e.g. 2026-03, got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def next_first_day(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def read_rows(warehouse: Warehouse, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Run one query over a read-only connection; rows as dicts. `%s` placeholders."""
    if warehouse.kind == "duckdb":
        import duckdb

        if not warehouse.duckdb_path.exists():
            raise StatementError(
                f"no warehouse at {warehouse.duckdb_path}: run callmeter build first"
            )
        try:
            with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
                cursor = con.execute(sql.replace("%s", "?"), list(params))
                names = [d[0] for d in cursor.description or ()]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except duckdb.CatalogException as error:
            raise StatementError(
                f"the marts are not built yet (run callmeter build): {error}"
            ) from None
    import psycopg2
    import psycopg2.errors

    con = psycopg2.connect(warehouse.url)
    try:
        con.set_session(readonly=True)
        with con.cursor() as cursor:
            try:
                cursor.execute(sql, list(params))
            except (psycopg2.errors.UndefinedTable, psycopg2.errors.InvalidSchemaName) as error:
                raise StatementError(
                    f"the marts are not built yet (run callmeter build): {error}"
                ) from None
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def statement_lines(
    warehouse: Warehouse, tenant_id: str, month: Month, cost_centre: str | None = None
) -> list[dict[str, Any]]:
    """Every leg of the tenant's month (site-local), optionally of one cost centre, in statement order."""
    columns = ", ".join(STATEMENT_COLUMNS)
    sql = (
        f"select {columns} from marts.fct_call_legs "
        "where tenant_id = %s and started_local_at >= %s and started_local_at < %s"
    )
    params: list[Any] = [tenant_id, _midnight(month.first_day), _midnight(month.next_first_day)]
    if cost_centre is not None:
        sql += " and cost_centre = %s"
        params.append(cost_centre)
    sql += " order by cost_centre, started_local_at, site_id, source_format, source_record_id"
    return read_rows(warehouse, sql, params)


def journal_lines(lines: Sequence[dict[str, Any]], month: Month) -> list[dict[str, Any]]:
    """GL journal lines: per cost centre, GL account, currency, card version and directory row,
    the sum of the costed legs; legs that cost nothing or are unrated add no line."""
    totals: dict[tuple[Any, ...], list[Any]] = {}
    for line in lines:
        cost = line["cost"]
        if cost is None or cost == 0:
            continue
        key = (
            line["tenant_id"],
            line["cost_centre"],
            line["gl_account"] or "",
            line["currency"],
            line["rate_card_version"] or "",
            line["directory_entry"] or "",
        )
        total = totals.setdefault(key, [Decimal(0), 0])
        total[0] += Decimal(cost)
        total[1] += 1
    journal = []
    for (tenant_id, centre, account, currency, version, entry), (amount, legs) in sorted(
        totals.items()
    ):
        journal.append(
            {
                "journal_date": month.last_day.isoformat(),
                "tenant_id": tenant_id,
                "cost_centre": centre,
                "gl_account": account,
                "currency": currency,
                "amount": amount,
                "legs": legs,
                "rate_card_version": version,
                "directory_entry": entry,
                "statement_file": statement_file_name(tenant_id, month, centre),
                "description": f"Telephony {month} {centre}",
            }
        )
    return journal


def statement_file_name(tenant_id: str, month: Month, cost_centre: str) -> str:
    return f"statement_{_safe(tenant_id)}_{month}_{_safe(cost_centre)}.csv"


def write_statements(
    out_dir: Path, tenant_id: str, month: Month, lines: Sequence[dict[str, Any]]
) -> list[Path]:
    """One CSV per cost centre: its legs, then a TOTAL row per currency. Returns the files."""
    by_centre: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_centre.setdefault(line["cost_centre"], []).append(line)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for centre, rows in sorted(by_centre.items()):
        path = out_dir / statement_file_name(tenant_id, month, centre)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(STATEMENT_COLUMNS)
            for row in rows:
                writer.writerow([_cell(row[name]) for name in STATEMENT_COLUMNS])
            for currency, total in sorted(_totals(rows).items()):
                total_row: dict[str, Any] = dict.fromkeys(STATEMENT_COLUMNS, "")
                total_row |= {
                    "tenant_id": tenant_id,
                    "cost_centre": centre,
                    "source_record_id": "TOTAL",
                    "cost": total,
                    "currency": currency,
                }
                writer.writerow([_cell(total_row[name]) for name in STATEMENT_COLUMNS])
        written.append(path)
    return written


def write_journal(out_dir: Path, month: Month, journal: Sequence[dict[str, Any]]) -> Path:
    """gl_journal_YYYY-MM.csv with the journal lines (debits to each cost centre's GL account)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"gl_journal_{month}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(JOURNAL_COLUMNS)
        for line in journal:
            writer.writerow([_cell(line[name]) for name in JOURNAL_COLUMNS])
    return path


def write_xlsx(
    path: Path, statements: Sequence[dict[str, Any]], journal: Sequence[dict[str, Any]]
) -> Path:
    """The same content as one workbook: a Journal sheet and a Statement sheet (every leg)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Journal"
    sheet.append(list(JOURNAL_COLUMNS))
    for line in journal:
        sheet.append([_excel(line[name]) for name in JOURNAL_COLUMNS])
    legs = workbook.create_sheet("Statement")
    legs.append(list(STATEMENT_COLUMNS))
    for line in statements:
        legs.append([_excel(line[name]) for name in STATEMENT_COLUMNS])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _totals(rows: Sequence[dict[str, Any]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals.setdefault(row["currency"], Decimal(0))
        if row["cost"] is not None:
            totals[row["currency"]] += Decimal(row["cost"])
    return totals


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.4f}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _excel(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text) or "_"
