"""The directory (docs/design.md, "Import formats"; docs/imports.md): who had which extension,
in which department and cost centre, when.

The file is the tenant's full directory history: each row holds an extension at a site for an
interval [valid_from, valid_to) (valid_to blank = still current). An import replaces the
tenant's whole directory in raw.directory; history survives because the rows carry their
validity intervals, so a department move is two rows, not an overwrite."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa

from callmeter.settings import Warehouse

from .landing import RawTable, import_file, tenant_schema, tenant_table
from .tabular import ImportRefused, Problem, RowReader, iso_date, read_tenant_sheet, text

REQUIRED = ("extension", "name", "email", "department", "cost_centre", "site", "valid_from")
OPTIONAL = ("valid_to", "gl_account")
PIPELINE = "callmeter_directory"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

SCHEMA = tenant_schema(
    [
        pa.field("extension", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("email", pa.string()),
        pa.field("department", pa.string()),
        pa.field("cost_centre", pa.string(), nullable=False),
        pa.field("site_id", pa.string(), nullable=False),
        pa.field("valid_from", pa.date32(), nullable=False),
        pa.field("valid_to", pa.date32()),
        pa.field("gl_account", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One validated directory row: an extension at a site for [valid_from, valid_to)."""

    row_number: int
    extension: str
    name: str
    email: str | None
    department: str | None
    cost_centre: str
    site_id: str
    valid_from: date
    valid_to: date | None = None
    gl_account: str | None = None


@dataclass
class Directory:
    """A validated directory file of one tenant."""

    tenant_id: str
    source_file: str
    entries: list[Entry]

    @property
    def extensions(self) -> int:
        """Distinct (site, extension) pairs."""
        return len({(e.site_id, e.extension) for e in self.entries})

    @property
    def cost_centres(self) -> int:
        """Distinct cost centres."""
        return len({e.cost_centre for e in self.entries})

    @property
    def current(self) -> int:
        """Rows without an end date (the extensions as they are now)."""
        return sum(1 for e in self.entries if e.valid_to is None)


def read_directory(
    data: bytes,
    file_name: str,
    tenant_id: str,
    known_sites: Collection[str] | None = None,
) -> Directory:
    """Validate a whole directory file without writing anything.

    Args:
        data: the CSV (or XLSX) bytes.
        file_name: its name, for messages and raw.directory.source_file.
        tenant_id: whose directory it is.
        known_sites: the tenant's site ids from callmeter.yaml; other sites are refused.

    Returns:
        The validated directory.

    Raises:
        ImportRefused: with every problem, each naming the row and the column.
    """
    sheet, problems = read_tenant_sheet(
        data, file_name, tenant_id, required=REQUIRED, optional=OPTIONAL
    )

    def site(value: object) -> str:
        raw = text(value) or ""
        if known_sites is not None and raw not in known_sites:
            raise ValueError(
                f"tenant {tenant_id!r} has no site {raw!r} (sites: {', '.join(sorted(known_sites))})"
            )
        return raw

    entries: list[Entry] = []
    for number, row in sheet.rows:
        reader = RowReader(number, row, problems)
        entry = Entry(
            row_number=number,
            extension=reader.get("extension", text, required=True),
            name=reader.get("name", text, required=True),
            email=reader.get("email", _email),
            department=reader.get("department", text),
            cost_centre=reader.get("cost_centre", text, required=True),
            site_id=reader.get("site", site, required=True),
            valid_from=reader.get("valid_from", iso_date, required=True),
            valid_to=reader.get("valid_to", iso_date),
            gl_account=reader.get("gl_account", text),
        )
        if entry.valid_from and entry.valid_to and entry.valid_to <= entry.valid_from:
            reader.fail(
                "valid_to",
                f"{entry.valid_to} must be after valid_from {entry.valid_from} "
                "(valid_to is exclusive: the first day the row no longer applies)",
            )
        if reader.ok:
            entries.append(entry)
    problems.extend(_overlaps(entries))
    if problems:
        raise ImportRefused(file_name, sorted(problems, key=_order))
    return Directory(tenant_id, Path(file_name).name, entries)


def _order(problem: Problem) -> tuple[int, int]:
    return (0 if problem.row is None else 1, problem.row or 0)


def _email(value: object) -> str:
    raw = text(value) or ""
    if not _EMAIL.fullmatch(raw):
        raise ValueError(f"{raw!r} is not an e-mail address")
    return raw


def _overlaps(entries: list[Entry]) -> list[Problem]:
    """An extension may be at a site only once at a time: overlapping intervals are errors."""
    by_key: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        by_key.setdefault((entry.extension, entry.site_id), []).append(entry)
    problems = []
    for (extension, site_id), group in by_key.items():
        group.sort(key=lambda e: (e.valid_from, e.row_number))
        latest = group[0]  # the interval reaching furthest so far
        for entry in group[1:]:
            if latest.valid_to is None or latest.valid_to > entry.valid_from:
                until = latest.valid_to.isoformat() if latest.valid_to else "open-ended"
                problems.append(
                    Problem(
                        entry.row_number,
                        "valid_from",
                        f"extension {extension} at site {site_id} from {entry.valid_from} "
                        f"overlaps row {latest.row_number} ({latest.valid_from} to {until}); "
                        "end the earlier row with valid_to",
                    )
                )
            if latest.valid_to is not None and (
                entry.valid_to is None or entry.valid_to > latest.valid_to
            ):
                latest = entry
    return problems


def directory_table(directory: Directory, imported_at: datetime) -> pa.Table:
    """raw.directory rows of a validated directory, as an Arrow table."""
    return tenant_table(
        SCHEMA,
        directory.entries,
        tenant_id=directory.tenant_id,
        source_file=directory.source_file,
        imported_at=imported_at,
    )


def import_directory(
    path: Path,
    tenant_id: str,
    warehouse: Warehouse,
    *,
    known_sites: Collection[str] | None = None,
    pipelines_dir: str | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> Directory:
    """Validate a directory file whole, then replace the tenant's directory with it.

    Args:
        path: the CSV file.
        tenant_id: whose directory it is.
        warehouse: where to land it.
        known_sites: the tenant's site ids (None: not checked).
        pipelines_dir: dlt's working folder (default: <data dir>/dlt).
        now: the import time recorded on each row (default: the clock).
        progress: called with short messages for the user.

    Returns:
        The directory as landed.

    Raises:
        ImportRefused: the file is invalid; nothing was written.
        OSError: the file cannot be read.
    """
    return import_file(
        path,
        lambda data, name: read_directory(data, name, tenant_id, known_sites),
        lambda directory: len(directory.entries),
        lambda directory, at: [
            RawTable("directory", directory_table(directory, at), ["tenant_id"])
        ],
        warehouse,
        PIPELINE,
        pipelines_dir=pipelines_dir,
        now=now,
        progress=progress,
    )
