"""Directory import: validation, history intervals (a mid-month move), replacement per tenant."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from callmeter.cli import main
from callmeter.settings import Warehouse
from extractors.reference import ImportRefused
from extractors.reference.directory import import_directory, read_directory

from .helpers import REFERENCE, count, rows, write

HEADER = "extension,name,email,department,cost_centre,site,valid_from,valid_to,gl_account\n"
SITES = {"london", "portland"}
NOW = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)


def refusal(body: str, header: str = HEADER) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        read_directory((header + body).encode(), "dir.csv", "acme", SITES)
    return [str(problem) for problem in caught.value.problems]


def test_the_sample_directory_keeps_a_mid_month_department_move_as_two_intervals() -> None:
    path = REFERENCE / "acme_directory.csv"
    directory = read_directory(path.read_bytes(), path.name, "acme", SITES)
    bob = [
        (e.department, e.cost_centre, e.valid_from, e.valid_to)
        for e in directory.entries
        if e.extension == "213"
    ]
    assert bob == [
        ("Sales", "CC-100", date(2025, 1, 1), date(2026, 3, 16)),
        ("Marketing", "CC-200", date(2026, 3, 16), None),
    ]
    assert directory.extensions == 9  # extension 201 exists at two sites


def test_blank_optional_cells_are_null() -> None:
    directory = read_directory(
        (HEADER + "1001,Reception,,,CC-9,london,2025-01-01,,\n").encode(), "d.csv", "acme", SITES
    )
    (entry,) = directory.entries
    assert (entry.email, entry.department, entry.valid_to, entry.gl_account) == (
        None,
        None,
        None,
        None,
    )


def test_the_same_extension_at_two_sites_is_not_an_overlap() -> None:
    body = "201,A,,S,CC-1,london,2025-01-01,,\n201,B,,S,CC-2,portland,2025-01-01,,\n"
    directory = read_directory((HEADER + body).encode(), "d.csv", "acme", SITES)
    assert len(directory.entries) == 2


def test_back_to_back_intervals_do_not_overlap_because_valid_to_is_exclusive() -> None:
    body = (
        "213,Bob,,Sales,CC-100,london,2025-01-01,2026-03-16,\n"
        "213,Bob,,Marketing,CC-200,london,2026-03-16,2026-04-01,\n"
        "213,Bob,,Finance,CC-300,london,2026-04-01,,\n"
    )
    assert len(read_directory((HEADER + body).encode(), "d.csv", "acme", SITES).entries) == 3


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (",A,,S,CC-1,london,2025-01-01,,\n", "row 2, column extension: a value is required"),
        ("201,,,S,CC-1,london,2025-01-01,,\n", "row 2, column name: a value is required"),
        (
            "201,A,alice,S,CC-1,london,2025-01-01,,\n",
            "row 2, column email: 'alice' is not an e-mail",
        ),
        ("201,A,,S,,london,2025-01-01,,\n", "row 2, column cost_centre: a value is required"),
        ("201,A,,S,CC-1,,2025-01-01,,\n", "row 2, column site: a value is required"),
        (
            "201,A,,S,CC-1,paris,2025-01-01,,\n",
            "row 2, column site: tenant 'acme' has no site 'paris'",
        ),
        ("201,A,,S,CC-1,london,,,\n", "row 2, column valid_from: a value is required"),
        (
            "201,A,,S,CC-1,london,01/02/2025,,\n",
            "row 2, column valid_from: '01/02/2025' is not a date",
        ),
        (
            "201,A,,S,CC-1,london,2025-02-30,,\n",
            "row 2, column valid_from: '2025-02-30' is not a valid",
        ),
        (
            "201,A,,S,CC-1,london,2025-01-01,2025-13-01,\n",
            "row 2, column valid_to: '2025-13-01' is not",
        ),
        (
            "201,A,,S,CC-1,london,2025-01-01,2025-01-01,\n",
            "row 2, column valid_to: 2025-01-01 must be after",
        ),
    ],
)
def test_each_bad_cell_is_refused_naming_its_row_and_column(body: str, expected: str) -> None:
    problems = refusal(body)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected)


def test_overlapping_intervals_of_an_extension_name_both_rows() -> None:
    problems = refusal(
        "213,Bob,,Sales,CC-100,london,2025-01-01,2026-03-20,\n"
        "214,Carol,,Finance,CC-300,london,2025-01-01,,\n"
        "213,Bob,,Marketing,CC-200,london,2026-03-16,,\n"
    )
    assert problems == [
        "row 4, column valid_from: extension 213 at site london from 2026-03-16 overlaps row 2 "
        "(2025-01-01 to 2026-03-20); end the earlier row with valid_to"
    ]


def test_an_open_ended_row_overlaps_every_later_row() -> None:
    problems = refusal(
        "213,Bob,,Sales,CC-100,london,2025-01-01,,\n213,Bob,,Marketing,CC-200,london,2026-03-16,,\n"
    )
    assert problems[0].startswith("row 3, column valid_from: extension 213 at site london")
    assert "overlaps row 2 (2025-01-01 to open-ended)" in problems[0]


def test_a_missing_required_column_is_named() -> None:
    problems = refusal(
        "201,A,,S,CC-1,2025-01-01\n",
        header="extension,name,email,department,cost_centre,valid_from\n",
    )
    assert problems == ["row 1, column site: required column is missing"]


@pytest.mark.integration
def test_an_import_replaces_the_tenants_directory_and_leaves_other_tenants(
    warehouse: Warehouse, pipelines_dir: str, tmp_path: Path
) -> None:
    sample = REFERENCE / "acme_directory.csv"
    import_directory(sample, "acme", warehouse, pipelines_dir=pipelines_dir, now=NOW)
    globex = write(tmp_path / "globex.csv", HEADER + "300,Hans,,IT,KST-1,berlin,2025-01-01,,\n")
    import_directory(globex, "globex", warehouse, pipelines_dir=pipelines_dir, now=NOW)
    assert count(warehouse, "directory", "tenant_id = 'acme'") == 10

    smaller = write(
        tmp_path / "acme.csv", HEADER + "201,Alice,,Sales,CC-100,london,2025-01-01,,6100\n"
    )
    import_directory(smaller, "acme", warehouse, pipelines_dir=pipelines_dir, now=NOW)
    assert rows(
        warehouse,
        "select tenant_id, extension, site_id, valid_from, valid_to, gl_account, source_file, "
        "row_number, imported_at from raw.directory order by tenant_id",
    ) == [
        ("acme", "201", "london", date(2025, 1, 1), None, "6100", "acme.csv", 2, NOW),
        ("globex", "300", "berlin", date(2025, 1, 1), None, None, "globex.csv", 2, NOW),
    ]


@pytest.mark.integration
def test_the_landed_history_answers_which_department_on_a_given_day(
    warehouse: Warehouse, pipelines_dir: str
) -> None:
    import_directory(
        REFERENCE / "acme_directory.csv", "acme", warehouse, pipelines_dir=pipelines_dir
    )
    on = (
        "select department from raw.directory where extension = '213' and site_id = 'london' "
        "and valid_from <= cast(%s as date) and (valid_to is null or valid_to > cast(%s as date))"
    )
    assert rows(warehouse, on, ("2026-03-15", "2026-03-15")) == [("Sales",)]
    assert rows(warehouse, on, ("2026-03-16", "2026-03-16")) == [("Marketing",)]


@pytest.mark.integration
def test_a_refused_directory_writes_nothing(
    warehouse: Warehouse, pipelines_dir: str, tmp_path: Path
) -> None:
    import_directory(
        REFERENCE / "acme_directory.csv", "acme", warehouse, pipelines_dir=pipelines_dir
    )
    bad = write(tmp_path / "bad.csv", HEADER + "201,Alice,,Sales,CC-100,london,2025-13-01,,\n")
    with pytest.raises(ImportRefused, match="row 2, column valid_from"):
        import_directory(bad, "acme", warehouse, pipelines_dir=pipelines_dir)
    assert count(warehouse, "directory") == 10


@pytest.mark.integration
def test_the_cli_checks_sites_against_the_configuration(
    cli_warehouse: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(REFERENCE / "acme_directory.csv")
    assert main(["directory", "import", sample, "--tenant", "globex"]) == 2
    err = capsys.readouterr().err
    assert "row 2, column site: tenant 'globex' has no site 'london' (sites: berlin)" in err
    assert not cli_warehouse.duckdb_path.exists()
    assert main(["directory", "import", sample, "--tenant", "acme"]) == 0
    assert capsys.readouterr().out.startswith("imported the directory of acme: 10 rows")
    assert count(cli_warehouse, "directory") == 10


def test_an_xlsx_directory_with_date_cells_reads_like_the_csv() -> None:
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(
        [213, "Bob", None, "Sales", "CC-100", "london", datetime(2025, 1, 1), datetime(2026, 3, 16)]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    (entry,) = read_directory(buffer.getvalue(), "dir.xlsx", "acme", SITES).entries
    assert (entry.extension, entry.valid_from, entry.valid_to) == (
        "213",
        date(2025, 1, 1),
        date(2026, 3, 16),
    )
