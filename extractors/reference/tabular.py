"""Reading reference files (CSV, or XLSX's first sheet) into rows, and typed cell conversion.

Pure: bytes in, rows out. Row numbers are those a spreadsheet user sees (the header is row 1),
blank rows are skipped but keep their number, and header names are trimmed and lower-cased.
Every problem is collected as a Problem naming the row and the column, so an import can be
refused whole with all of its errors listed at once."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# Spreadsheets save as CSV in UTF-8 (often with a BOM) or, on Windows, in cp1252.
_ENCODINGS = ("utf-8-sig", "cp1252")
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_CURRENCY = re.compile(r"[A-Z]{3}")
PROGRESS_EVERY = 10_000


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason to refuse a file: where (row as a spreadsheet shows it, column) and why."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        row = f"row {self.row}" if self.row is not None else ""
        column = self.column or ""
        if column and not column.startswith("--"):  # an option of the command, not a column
            column = f"column {column}"
        where = ", ".join(part for part in (row, column) if part)
        return f"{where}: {self.message}" if where else self.message


class ImportRefused(ValueError):
    """The file was refused whole; nothing was written. `problems` lists every reason."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(
            f"{source}: refused, nothing was imported "
            f"({count} problem{'s' if count != 1 else ''}):\n{lines}"
        )


@dataclass
class Sheet:
    """The rows of a file as {column: raw cell value}, with their spreadsheet row numbers."""

    columns: list[str]
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_sheet(
    data: bytes,
    file_name: str,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
) -> Sheet:
    """Read a CSV or XLSX file (first sheet) with a header row.

    Args:
        data: the file's bytes.
        file_name: its name, for messages and to tell XLSX from CSV.
        required: columns that must be present.
        optional: columns that may be present; any other column is a problem (a typo in a
            header must not silently turn into a default).
        progress: called with the number of rows read every PROGRESS_EVERY rows.

    Returns:
        The sheet; header problems are in `problems` and the rows carry only known columns.
    """
    if data.startswith(_OLE_MAGIC):
        return Sheet([], problems=[_file_problem("old .xls format: save it as .xlsx or CSV")])
    if data.startswith(_XLSX_MAGIC) or file_name.lower().endswith((".xlsx", ".xlsm")):
        records = _xlsx_records(data)
    else:
        records = _csv_records(data)
    sheet = Sheet([])
    header: list[str] | None = None
    keep: list[tuple[int, str]] = []
    unnamed: list[int] = []
    try:
        for number, values in records:
            if header is None:
                if _blank_row(values):
                    continue
                header = [_header_name(value) for value in values]
                keep = _check_header(header, number, required, optional, sheet)
                unnamed = [i for i, name in enumerate(header) if not name]
                continue
            if _blank_row(values):
                continue
            row = {name: (values[i] if i < len(values) else None) for i, name in keep}
            stray = [*unnamed, *range(len(header), len(values))]
            for i in stray:
                if i < len(values) and not _blank(values[i]):
                    sheet.problems.append(
                        Problem(number, _column_letter(i), "a value in a column without a header")
                    )
            sheet.rows.append((number, row))
            if progress and len(sheet.rows) % PROGRESS_EVERY == 0:
                progress(len(sheet.rows))
    except _Unreadable as error:
        sheet.problems.append(_file_problem(str(error)))
        return sheet
    if header is None:
        sheet.problems.append(_file_problem("the file is empty: a header row is required"))
    elif not sheet.rows:
        sheet.problems.append(_file_problem("the file has a header but no data rows"))
    return sheet


def read_tenant_sheet(
    data: bytes,
    file_name: str,
    tenant_id: str,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> tuple[Sheet, list[Problem]]:
    """read_sheet() for a tenant's file, with the problems so far (a blank tenant id first).

    Returns:
        The sheet, and a new list of its problems that the caller adds row problems to.
    """
    sheet = read_sheet(data, file_name, required=required, optional=optional)
    problems = list(sheet.problems)
    if not tenant_id.strip():
        problems.insert(0, Problem(None, "--tenant", "a tenant id is required"))
    return sheet, problems


class _Unreadable(Exception):
    pass


def _file_problem(message: str) -> Problem:
    return Problem(None, None, message)


def _header_name(value: Any) -> str:
    return "" if value is None else str(value).strip().lower()


def _check_header(
    header: list[str],
    number: int,
    required: Sequence[str],
    optional: Sequence[str],
    sheet: Sheet,
) -> list[tuple[int, str]]:
    known = (*required, *optional)
    keep: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for index, name in enumerate(header):
        if not name:
            continue  # an unnamed column: each row's value there must be blank
        if name not in known:
            sheet.problems.append(
                Problem(number, name, f"unknown column (expected: {', '.join(known)})")
            )
        elif name in seen:
            sheet.problems.append(Problem(number, name, "the column appears twice"))
        else:
            seen[name] = index
            keep.append((index, name))
    for name in required:
        if name not in seen:
            sheet.problems.append(Problem(number, name, "required column is missing"))
    sheet.columns = [name for _, name in keep]
    return keep


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _csv_records(data: bytes) -> Iterable[tuple[int, list[Any]]]:
    for encoding in _ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes all but five byte values
        raise _Unreadable("not a text file in UTF-8 or Windows-1252")
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in locales with a decimal comma save CSV with semicolons.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise _Unreadable(f"not a readable CSV file near row {reader.line_num}: {error}") from None


def _xlsx_records(data: bytes) -> Iterable[tuple[int, list[Any]]]:
    from zipfile import BadZipFile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as error:
        raise _Unreadable(f"not a readable XLSX workbook: {error}") from None
    try:
        if not workbook.worksheets:
            raise _Unreadable("the workbook has no sheets")
        sheet = workbook.worksheets[0]
        # Read-only sheets yield every row from 1, empty ones included: numbers stay right.
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    finally:
        workbook.close()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank_row(values: Sequence[Any]) -> bool:
    return all(_blank(value) for value in values)


# Cell conversion. Each converter takes a raw cell (str from CSV; str, int, float, datetime,
# bool or None from XLSX) and returns the typed value or raises ValueError with a message a
# spreadsheet user understands.


def is_blank(value: Any) -> bool:
    """Whether a cell is empty (None or only whitespace)."""
    return _blank(value)


def text(value: Any) -> str | None:
    """A trimmed text cell; blank is None. XLSX numbers become their digits (44.0 -> '44')."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected text, got the boolean {value}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def decimal(value: Any, places: int, integer_digits: int = 12) -> Decimal:
    """An exact decimal with at most `places` decimal places (never via binary floating point).

    XLSX numeric cells arrive as Python floats. A float is converted through its shortest
    round-trip representation (repr), which is exactly what the spreadsheet displays at full
    precision; a float whose shortest form needs more than `places` decimals is refused, since
    it is a binary artefact (0.30000000000000004) or a rate the warehouse cannot store exactly.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a decimal number, got the boolean {value}")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
        if number.is_finite() and -number.as_tuple().exponent > places:  # type: ignore[operator]
            raise ValueError(
                f"the cell holds the binary number {value!r}, which has more than {places} "
                f"decimal places; round it to {places} places (=ROUND(…, {places})) or store "
                "it as text"
            )
    else:
        raw = str(value).strip()
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise ValueError(
                f"{raw!r} is not a decimal number (write digits with a point, e.g. 0.0125, "
                "without currency symbols or thousands separators)"
            ) from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite decimal number")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > places:
        raise ValueError(f"{value!r} has more than {places} decimal places")
    if abs(number) >= Decimal(10) ** integer_digits:
        raise ValueError(
            f"{value!r} is too large (at most {integer_digits} digits before the point)"
        )
    return number + 0  # normalises -0 to 0


def whole_number(value: Any) -> int:
    """A whole number cell ('30', 30, 30.0)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got the boolean {value}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(f"{value!r} is not a whole number")
    raw = str(value).strip()
    if re.fullmatch(r"[+-]?\d+", raw):
        return int(raw)
    raise ValueError(f"{raw!r} is not a whole number")


def iso_date(value: Any) -> date:
    """A date cell: YYYY-MM-DD text, or an XLSX date."""
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise ValueError(f"expected a date without a time, got {value.isoformat()}")
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    if not _DATE.fullmatch(raw):
        raise ValueError(f"{raw!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a valid calendar date") from None


def month_start(value: Any) -> date:
    """A month cell 'YYYY-MM' (or an XLSX date on its first day) as the first day of the month."""
    if isinstance(value, datetime | date):
        day = value.date() if isinstance(value, datetime) else value
        if day.day != 1:
            raise ValueError(f"expected a month (YYYY-MM), got the date {day.isoformat()}")
        return day
    raw = str(value).strip()
    match = _MONTH.fullmatch(raw)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{raw!r} is not a month in the form YYYY-MM")
    return date(int(match.group(1)), int(match.group(2)), 1)


def currency(value: Any) -> str:
    """An ISO 4217 currency code (three letters; lower case is accepted and upper-cased)."""
    raw = str(value).strip().upper()
    if not _CURRENCY.fullmatch(raw):
        raise ValueError(f"{str(value).strip()!r} is not an ISO 4217 currency code such as GBP")
    return raw


class RowReader:
    """Collects typed values of one row, turning conversion errors into Problems."""

    def __init__(self, number: int, row: dict[str, Any], problems: list[Problem]) -> None:
        self.number = number
        self.row = row
        self.problems = problems
        self.ok = True
        self._failed: set[str | None] = set()

    def get(
        self,
        column: str,
        convert: Callable[[Any], Any],
        *,
        required: bool = False,
        default: Any = None,
    ) -> Any:
        """The converted value of `column`; blank gives `default`, or a problem if required."""
        if column not in self.row:
            if required:
                self.ok = False  # the missing column was reported with the header
            return default
        value = self.row[column]
        if _blank(value):
            if required:
                self.fail(column, "a value is required")
            return default
        try:
            return convert(value)
        except ValueError as error:
            self.fail(column, str(error))
            return default

    def fail(self, column: str | None, message: str) -> None:
        """Record a problem with this row."""
        self.ok = False
        self._failed.add(column)
        self.problems.append(Problem(self.number, column, message))

    def failed(self, column: str) -> bool:
        """Whether `column` of this row had a problem."""
        return column in self._failed
