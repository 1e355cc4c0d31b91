"""Account codes (docs/imports.md): the code a user keys in before a call, mapped to a project
and a client for chargeback to clients.

An import replaces the tenant's whole map in raw.account_codes. The optional valid_from lets a
code be reused for another project from a date on (one row per code and date)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa

from callmeter.settings import Warehouse

from .landing import RawTable, import_file, tenant_schema, tenant_table
from .tabular import ImportRefused, RowReader, iso_date, read_tenant_sheet, text

REQUIRED = ("account_code", "project", "client")
OPTIONAL = ("valid_from",)
PIPELINE = "callmeter_account_codes"

SCHEMA = tenant_schema(
    [
        pa.field("account_code", pa.string(), nullable=False),
        pa.field("project", pa.string(), nullable=False),
        pa.field("client", pa.string()),
        pa.field("valid_from", pa.date32()),
    ]
)


@dataclass(frozen=True, slots=True)
class AccountCode:
    """One validated account code row."""

    row_number: int
    account_code: str
    project: str
    client: str | None
    valid_from: date | None = None


@dataclass
class AccountCodes:
    """A validated account-code file of one tenant."""

    tenant_id: str
    source_file: str
    codes: list[AccountCode]


def read_account_codes(data: bytes, file_name: str, tenant_id: str) -> AccountCodes:
    """Validate a whole account-code file without writing anything.

    Raises:
        ImportRefused: with every problem, each naming the row and the column.
    """
    sheet, problems = read_tenant_sheet(
        data, file_name, tenant_id, required=REQUIRED, optional=OPTIONAL
    )
    codes: list[AccountCode] = []
    first_row: dict[tuple[str, date | None], int] = {}
    for number, row in sheet.rows:
        reader = RowReader(number, row, problems)
        code = AccountCode(
            row_number=number,
            account_code=reader.get("account_code", text, required=True),
            project=reader.get("project", text, required=True),
            client=reader.get("client", text),
            valid_from=reader.get("valid_from", iso_date),
        )
        if not reader.ok:
            continue
        key = (code.account_code, code.valid_from)
        if key in first_row:
            since = f" from {code.valid_from}" if code.valid_from else ""
            reader.fail(
                "account_code",
                f"account code {code.account_code}{since} is already on row {first_row[key]}",
            )
            continue
        first_row[key] = number
        codes.append(code)
    if problems:
        raise ImportRefused(file_name, problems)
    return AccountCodes(tenant_id, Path(file_name).name, codes)


def account_codes_table(codes: AccountCodes, imported_at: datetime) -> pa.Table:
    """raw.account_codes rows of a validated file, as an Arrow table."""
    return tenant_table(
        SCHEMA,
        codes.codes,
        tenant_id=codes.tenant_id,
        source_file=codes.source_file,
        imported_at=imported_at,
    )


def import_account_codes(
    path: Path,
    tenant_id: str,
    warehouse: Warehouse,
    *,
    pipelines_dir: str | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> AccountCodes:
    """Validate an account-code file whole, then replace the tenant's map with it.

    Raises:
        ImportRefused: the file is invalid; nothing was written.
        OSError: the file cannot be read.
    """
    return import_file(
        path,
        lambda data, name: read_account_codes(data, name, tenant_id),
        lambda codes: len(codes.codes),
        lambda codes, at: [
            RawTable("account_codes", account_codes_table(codes, at), ["tenant_id"])
        ],
        warehouse,
        PIPELINE,
        pipelines_dir=pipelines_dir,
        now=now,
        progress=progress,
    )
