"""Rate-card import: validation (every error named by row and column), CSV and XLSX, versions."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from callmeter.cli import main
from callmeter.settings import Warehouse
from extractors.reference import ImportRefused
from extractors.reference.ratecards import RateCardVersion, import_rate_card, read_rate_card

from .helpers import REFERENCE, count, rows, write

HEADER = (
    "prefix,destination,rate_per_minute,connection_fee,minimum_seconds,"
    "initial_increment,subsequent_increment,time_band,currency\n"
)
BT = RateCardVersion("bt", date(2026, 1, 1))
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def card(body: str, version: RateCardVersion = BT, header: str = HEADER, name: str = "card.csv"):
    return read_rate_card((header + body).encode(), name, version)


def refusal(body: str, version: RateCardVersion = BT, header: str = HEADER) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        card(body, version, header)
    return [str(problem) for problem in caught.value.problems]


def test_blank_optional_cells_take_the_documented_defaults() -> None:
    (rate,) = card("447,UK - Mobile,0.0400,,,,,,\n").rates
    assert rate.prefix == "447"
    assert rate.rate_per_minute == Decimal("0.0400")
    assert rate.connection_fee == Decimal(0)
    assert (rate.minimum_seconds, rate.initial_increment, rate.subsequent_increment) == (0, 1, 1)
    assert rate.time_band == "any"
    assert rate.currency is None  # the tenant's currency, resolved in dbt


def test_optional_columns_may_be_left_out_of_the_header() -> None:
    (rate,) = card("44,UK,0.05\n", header="prefix,destination,rate_per_minute\n").rates
    assert (rate.time_band, rate.connection_fee, rate.initial_increment) == ("any", 0, 1)


def test_header_names_are_case_insensitive_and_trimmed() -> None:
    header = " PREFIX ,Destination, Rate_Per_Minute ,Time_Band\n"
    (rate,) = card("44, UK ,0.05, Peak \n", header=header).rates
    assert (rate.prefix, rate.destination, rate.time_band) == ("44", "UK", "peak")


def test_money_is_read_as_exact_decimals() -> None:
    (rate,) = card("44,UK,0.1,0.2,,,,,GBP\n").rates
    assert rate.rate_per_minute + rate.connection_fee == Decimal("0.3")


def test_the_sample_cards_are_valid() -> None:
    for path in sorted(REFERENCE.glob("*_20*.csv")):
        version = RateCardVersion("x", date(2026, 1, 1), "acme", "resale" in path.name)
        parsed = read_rate_card(path.read_bytes(), path.name, version)
        assert parsed.rates, path.name


def test_the_uk_sample_card_prices_peak_offpeak_and_weekend_separately() -> None:
    path = REFERENCE / "bt_uk_2026-01-01.csv"
    parsed = read_rate_card(path.read_bytes(), path.name, BT)
    mobile = {r.time_band: r.rate_per_minute for r in parsed.rates if r.prefix == "447"}
    assert mobile == {
        "peak": Decimal("0.040000"),
        "offpeak": Decimal("0.030000"),
        "weekend": Decimal("0.025000"),
    }
    assert {"44909", "44800", "1", "33", "49"} <= {r.prefix for r in parsed.rates}
    assert parsed.warnings == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("+44,UK,0.05,,,,,,\n", "row 2, column prefix: '+44': write E.164 digits without '+'"),
        ("44a,UK,0.05,,,,,,\n", "row 2, column prefix: '44a' is not a prefix"),
        ("4412345678901234,UK,0.05,,,,,,\n", "row 2, column prefix: '4412345678901234' is not"),
        ("020,UK,0.05,,,,,,\n", "row 2, column prefix: '020' starts with 0"),
        (",UK,0.05,,,,,,\n", "row 2, column prefix: a value is required"),
        ("44,,0.05,,,,,,\n", "row 2, column destination: a value is required"),
        ("44,UK,,,,,,,\n", "row 2, column rate_per_minute: a value is required"),
        ("44,UK,abc,,,,,,\n", "row 2, column rate_per_minute: 'abc' is not a decimal number"),
        ("44,UK,£0.05,,,,,,\n", "row 2, column rate_per_minute: '£0.05' is not a decimal"),
        ("44,UK,-0.05,,,,,,\n", "row 2, column rate_per_minute: -0.05 is negative"),
        ("44,UK,0.0000001,,,,,,\n", "row 2, column rate_per_minute: '0.0000001' has more than 6"),
        ("44,UK,NaN,,,,,,\n", "row 2, column rate_per_minute: 'NaN' is not a finite"),
        ("44,UK,0.05,-1,,,,,\n", "row 2, column connection_fee: -1 is negative"),
        ("44,UK,0.05,,-30,,,,\n", "row 2, column minimum_seconds: -30 must be at least 0"),
        ("44,UK,0.05,,1.5,,,,\n", "row 2, column minimum_seconds: '1.5' is not a whole number"),
        ("44,UK,0.05,,,0,,,\n", "row 2, column initial_increment: 0 must be at least 1"),
        ("44,UK,0.05,,,,0,,\n", "row 2, column subsequent_increment: 0 must be at least 1"),
        ("44,UK,0.05,,,,x,,\n", "row 2, column subsequent_increment: 'x' is not a whole number"),
        ("44,UK,0.05,,,,,evening,\n", "row 2, column time_band: 'evening' is not a time band"),
        ("44,UK,0.05,,,,,,pounds\n", "row 2, column currency: 'pounds' is not an ISO 4217"),
        ("44,UK,0.05,,,,,,G1P\n", "row 2, column currency: 'G1P' is not an ISO 4217"),
    ],
)
def test_each_malformed_cell_is_refused_naming_its_row_and_column(body: str, expected: str) -> None:
    problems = refusal(body)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected)


def test_a_duplicate_prefix_and_band_names_both_rows() -> None:
    problems = refusal("44,UK,0.05,,,,,peak,\n447,Mob,0.1,,,,,,\n44,UK again,0.06,,,,,PEAK,\n")
    assert problems == [
        "row 4, column prefix: prefix 44 with time_band peak is already on row 2 "
        "(one row per prefix and band)"
    ]


def test_the_same_prefix_for_a_band_and_for_any_is_not_a_duplicate() -> None:
    parsed = card("44,UK,0.05,,,,,peak,\n44,UK,0.03,,,,,any,\n")
    assert [r.time_band for r in parsed.rates] == ["peak", "any"]


def test_a_missing_required_column_is_named() -> None:
    problems = refusal("44,UK\n", header="prefix,destination\n")
    assert problems == ["row 1, column rate_per_minute: required column is missing"]


def test_an_unknown_column_is_refused_rather_than_silently_defaulted() -> None:
    problems = refusal(
        "44,UK,0.05,0.01\n", header="prefix,destination,rate_per_minute,conection_fee\n"
    )
    assert problems[0].startswith("row 1, column conection_fee: unknown column")


def test_a_value_under_no_header_is_refused() -> None:
    problems = refusal("44,UK,0.05,oops\n", header="prefix,destination,rate_per_minute\n")
    assert problems == ["row 2, column D: a value in a column without a header"]


def test_a_resale_card_without_a_tenant_is_refused() -> None:
    version = RateCardVersion("bt", date(2026, 1, 1), None, is_resale=True)
    assert refusal("44,UK,0.05,,,,,,\n", version) == [
        "--resale: a resale card is per tenant: give --tenant as well"
    ]


def test_an_empty_file_and_a_header_only_file_are_refused() -> None:
    with pytest.raises(ImportRefused, match="a header row is required"):
        read_rate_card(b"", "empty.csv", BT)
    assert refusal("") == ["the file has a header but no data rows"]


def test_every_problem_of_a_card_is_listed_at_once() -> None:
    problems = refusal(
        "+44,UK,0.05,,,,,,\n"
        "447,Mob,-1,,,,,,\n"
        "\n"  # a blank row keeps its number, as in a spreadsheet
        "33,France,0.02,,,0,,night,EURO\n"
    )
    assert [p.split(":")[0] for p in problems] == [
        "row 2, column prefix",
        "row 3, column rate_per_minute",
        "row 5, column initial_increment",
        "row 5, column time_band",
        "row 5, column currency",
    ]


def test_a_semicolon_separated_csv_from_a_decimal_comma_locale_is_read() -> None:
    header = "prefix;destination;rate_per_minute\n"
    (rate,) = card("49;Deutschland;0.019\n", header=header).rates
    assert (rate.prefix, rate.rate_per_minute) == ("49", Decimal("0.019"))


def test_a_utf8_bom_and_windows_line_endings_are_accepted() -> None:
    data = "\ufeffprefix,destination,rate_per_minute\r\n44,Royaume-Uni – Fixe,0.05\r\n".encode()
    (rate,) = read_rate_card(data, "bom.csv", BT).rates
    assert (rate.prefix, rate.destination) == ("44", "Royaume-Uni – Fixe")


def xlsx(*rows_: tuple[object, ...]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows_:
        sheet.append(list(row))
    workbook.create_sheet("notes").append(["only the first sheet is read"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX_HEADER = (
    "Prefix",
    "Destination",
    "Rate_per_minute",
    "Connection_fee",
    "Initial_increment",
    "Time_band",
    "Currency",
)


def test_an_xlsx_card_with_numeric_cells_reads_exactly_like_the_csv() -> None:
    data = xlsx(
        XLSX_HEADER,
        (447, "UK - Mobile", 0.04, 0.01, 60, "peak", "GBP"),
        ("44909", "UK - Premium", 1.5, None, 60.0, None, None),
    )
    parsed = read_rate_card(data, "card.xlsx", BT)
    first, second = parsed.rates
    assert (first.prefix, first.rate_per_minute, first.connection_fee) == (
        "447",
        Decimal("0.04"),
        Decimal("0.01"),
    )
    assert (first.initial_increment, first.time_band, first.currency) == (60, "peak", "GBP")
    assert (second.prefix, second.rate_per_minute, second.initial_increment) == (
        "44909",
        Decimal("1.5"),
        60,
    )
    assert (second.time_band, second.currency, second.connection_fee) == ("any", None, 0)


def with_cell_xml(data: bytes, old: str, new: str) -> bytes:
    """Rewrite a value in the first sheet's XML, as Excel stores a formula's binary result."""
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert old.encode() in content
                content = content.replace(old.encode(), new.encode())
            out.writestr(item, content)
    return target.getvalue()


def test_an_xlsx_binary_float_artefact_is_refused_with_a_clear_error() -> None:
    data = xlsx(XLSX_HEADER, (447, "UK - Mobile", 0.3, 0, 60, "peak", "GBP"))
    # Excel writes =0.1+0.2 as the nearest binary double, 17 significant digits.
    data = with_cell_xml(data, "<v>0.3</v>", "<v>0.30000000000000004</v>")
    with pytest.raises(ImportRefused) as caught:
        read_rate_card(data, "card.xlsx", BT)
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (2, "rate_per_minute")
    assert "binary number 0.30000000000000004" in problem.message
    assert "round it to 6" in problem.message


def test_xlsx_errors_name_the_spreadsheet_row_even_after_blank_rows() -> None:
    data = xlsx(XLSX_HEADER, (44, "UK", 0.05), (), (), (33, "France", -0.02))
    with pytest.raises(ImportRefused) as caught:
        read_rate_card(data, "card.xlsx", BT)
    assert [str(p) for p in caught.value.problems] == [
        "row 5, column rate_per_minute: -0.02 is negative"
    ]


def test_an_old_binary_xls_file_is_refused_with_a_hint() -> None:
    with pytest.raises(ImportRefused, match=r"save it as \.xlsx or CSV"):
        read_rate_card(b"\xd0\xcf\x11\xe0" + b"\0" * 100, "card.xls", BT)


def test_a_prefix_gap_for_a_band_is_reported_as_a_warning() -> None:
    parsed = card("447,Mob,0.04,,,,,peak,\n447,Mob,0.03,,,,,offpeak,\n")
    assert parsed.warnings == [
        "prefix 447 has no row for weekend (nor 'any'): those calls are rated by a shorter "
        "prefix, or unrated"
    ]


def test_a_card_may_move_its_peak_window_with_peak_start_and_peak_end() -> None:
    header = "prefix,destination,rate_per_minute,time_band,peak_start,peak_end\n"
    parsed = card("44,UK,0.02,peak,7:30,19:00\n44,UK,0.01,offpeak,,\n", header=header)
    assert parsed.peak_window == ("07:30", "19:00")
    assert card("44,UK,0.02,peak,,\n", header=header).peak_window is None


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ("08:00,", "row 2, column peak_end: give both peak_start and peak_end"),
        ("8h,18:00", "row 2, column peak_start: '8h' is not a time of day HH:MM"),
        ("08:00,24:30", "row 2, column peak_end: '24:30' is not a time of day between"),
        ("18:00,08:00", "row 2, column peak_end: 08:00 must be after peak_start 18:00"),
    ],
)
def test_a_bad_peak_window_is_refused(cells: str, expected: str) -> None:
    header = "prefix,destination,rate_per_minute,peak_start,peak_end\n"
    problems = refusal(f"44,UK,0.02,{cells}\n", header=header)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected)


def test_a_card_has_one_peak_window() -> None:
    header = "prefix,destination,rate_per_minute,peak_start,peak_end\n"
    problems = refusal("44,UK,0.02,08:00,18:00\n33,FR,0.02,07:00,18:00\n", header=header)
    assert problems == [
        "row 3, column peak_start: peak window 07:00-18:00 differs from 08:00-18:00 on row 2 "
        "(one peak window per card)"
    ]


def test_the_version_id_names_carrier_tenant_kind_and_date() -> None:
    assert BT.version_id == "bt|*|cost|2026-01-01"
    resale = RateCardVersion("bt", date(2026, 4, 1), "acme", is_resale=True)
    assert resale.version_id == "bt|acme|resale|2026-04-01"


# Landing in a warehouse


@pytest.mark.integration
def test_an_import_lands_the_version_and_its_rows_with_exact_types(
    warehouse: Warehouse, pipelines_dir: str
) -> None:
    path = REFERENCE / "bt_uk_2026-01-01.csv"
    import_rate_card(path, BT, warehouse, pipelines_dir=pipelines_dir, now=NOW)
    (version,) = rows(
        warehouse,
        "select version_id, carrier, tenant_id, is_resale, effective_from, imported_at, "
        "source_file, row_count from raw.rate_card_versions",
    )
    assert version == (
        "bt|*|cost|2026-01-01",
        "bt",
        None,
        False,
        date(2026, 1, 1),
        NOW,
        "bt_uk_2026-01-01.csv",
        23,
    )
    premium = rows(
        warehouse,
        "select row_number, destination, rate_per_minute, connection_fee, minimum_seconds, "
        "initial_increment, subsequent_increment, time_band, currency, tenant_id, is_resale "
        "from raw.rate_cards where prefix = '44909'",
    )
    assert premium == [
        (
            15,
            "United Kingdom - Premium 0909",
            Decimal("1.500000"),
            Decimal("0.250000"),
            60,
            60,
            60,
            "any",
            "GBP",
            None,
            False,
        )
    ]
    assert count(warehouse, "rate_cards") == 23
    assert rows(warehouse, "select distinct peak_start, peak_end from raw.rate_cards") == [
        (None, None)
    ]


@pytest.mark.integration
def test_a_cards_peak_window_is_carried_on_every_row(
    warehouse: Warehouse, pipelines_dir: str, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "peak.csv",
        "prefix,destination,rate_per_minute,time_band,peak_start,peak_end\n"
        "44,UK,0.02,peak,07:00,19:00\n44,UK,0.01,offpeak,,\n",
    )
    import_rate_card(path, BT, warehouse, pipelines_dir=pipelines_dir)
    assert rows(
        warehouse, "select time_band, peak_start, peak_end from raw.rate_cards order by 1"
    ) == [
        ("offpeak", "07:00", "19:00"),
        ("peak", "07:00", "19:00"),
    ]


@pytest.mark.integration
def test_reimporting_a_version_replaces_it_entirely_and_leaves_other_versions(
    warehouse: Warehouse, pipelines_dir: str, tmp_path: Path
) -> None:
    april = RateCardVersion("bt", date(2026, 4, 1))
    import_rate_card(REFERENCE / "bt_uk_2026-01-01.csv", BT, warehouse, pipelines_dir=pipelines_dir)
    import_rate_card(
        REFERENCE / "bt_uk_2026-04-01.csv", april, warehouse, pipelines_dir=pipelines_dir
    )
    small = write(tmp_path / "fix.csv", HEADER + "44,UK,0.02,,,,,,\n447,Mob,0.05,,,,,,\n")
    import_rate_card(small, BT, warehouse, pipelines_dir=pipelines_dir)

    january = "version_id = 'bt|*|cost|2026-01-01'"
    assert count(warehouse, "rate_cards", january) == 2
    assert count(warehouse, "rate_cards", "version_id = 'bt|*|cost|2026-04-01'") == 23
    assert rows(
        warehouse, f"select row_count, source_file from raw.rate_card_versions where {january}"
    ) == [(2, "fix.csv")]
    assert count(warehouse, "rate_card_versions") == 2


@pytest.mark.integration
def test_a_resale_card_is_its_own_version_beside_the_cost_card(
    warehouse: Warehouse, pipelines_dir: str
) -> None:
    resale = RateCardVersion("bt", date(2026, 1, 1), "acme", is_resale=True)
    import_rate_card(REFERENCE / "bt_uk_2026-01-01.csv", BT, warehouse, pipelines_dir=pipelines_dir)
    import_rate_card(
        REFERENCE / "acme_resale_bt_2026-01-01.csv", resale, warehouse, pipelines_dir=pipelines_dir
    )
    assert rows(
        warehouse,
        "select version_id, tenant_id, is_resale, count(*) from raw.rate_cards "
        "group by 1, 2, 3 order by 1",
    ) == [("bt|*|cost|2026-01-01", None, False, 23), ("bt|acme|resale|2026-01-01", "acme", True, 9)]


@pytest.mark.integration
def test_a_refused_card_writes_nothing(
    warehouse: Warehouse, pipelines_dir: str, tmp_path: Path
) -> None:
    import_rate_card(REFERENCE / "bt_uk_2026-01-01.csv", BT, warehouse, pipelines_dir=pipelines_dir)
    bad = write(tmp_path / "bad.csv", HEADER + "44,UK,0.02,,,,,,\n447,Mob,-0.05,,,,,,\n")
    with pytest.raises(ImportRefused, match="row 3, column rate_per_minute"):
        import_rate_card(bad, BT, warehouse, pipelines_dir=pipelines_dir)
    assert count(warehouse, "rate_cards") == 23
    assert rows(warehouse, "select row_count from raw.rate_card_versions") == [(23,)]


@pytest.mark.integration
def test_an_xlsx_card_lands_like_a_csv_card(
    warehouse: Warehouse, pipelines_dir: str, tmp_path: Path
) -> None:
    path = tmp_path / "gamma.xlsx"
    path.write_bytes(xlsx(XLSX_HEADER, (447, "UK - Mobile", 0.022, None, 1, "any", "GBP")))
    gamma = RateCardVersion("gamma", date(2026, 2, 1))
    import_rate_card(path, gamma, warehouse, pipelines_dir=pipelines_dir)
    assert rows(
        warehouse, "select prefix, rate_per_minute, connection_fee from raw.rate_cards"
    ) == [("447", Decimal("0.022000"), Decimal("0.000000"))]


@pytest.mark.integration
def test_the_cli_imports_a_card_into_the_configured_warehouse_and_prints_a_summary(
    cli_warehouse: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "ratecard",
        "import",
        str(REFERENCE / "acme_resale_bt_2026-01-01.csv"),
        "--carrier",
        "bt",
        "--effective-from",
        "2026-01-01",
        "--tenant",
        "acme",
        "--resale",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "imported rate card bt|acme|resale|2026-01-01: 9 rows, 9 prefixes (any 9)"
    )
    assert count(cli_warehouse, "rate_cards") == 9


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--effective-from", "01/01/2026"], "--effective-from: '01/01/2026' is not a date"),
        (["--effective-from", "2026-01-01", "--tenant", "nobody"], "no tenant 'nobody'"),
        (["--effective-from", "2026-01-01", "--resale"], "--resale: a resale card is per tenant"),
    ],
)
def test_the_cli_refuses_bad_options_with_exit_2_and_writes_nothing(
    extra: list[str],
    message: str,
    cli_warehouse: Warehouse,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [
        "ratecard",
        "import",
        str(REFERENCE / "bt_uk_2026-01-01.csv"),
        "--carrier",
        "bt",
        *extra,
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not cli_warehouse.duckdb_path.exists()


@pytest.mark.postgres
def test_a_rate_card_lands_in_postgres_with_numeric_money(
    postgres_url: str, tmp_path: Path
) -> None:
    target = Warehouse.from_url(postgres_url)
    pipelines = str(tmp_path / "dlt")
    import_rate_card(REFERENCE / "bt_uk_2026-01-01.csv", BT, target, pipelines_dir=pipelines)
    import_rate_card(REFERENCE / "bt_uk_2026-01-01.csv", BT, target, pipelines_dir=pipelines)
    assert count(target, "rate_cards") == 23
    assert rows(
        target,
        "select rate_per_minute, data_type, numeric_precision, numeric_scale from raw.rate_cards "
        "join information_schema.columns on table_schema = 'raw' and table_name = 'rate_cards' "
        "and column_name = 'rate_per_minute' where prefix = '447' and time_band = 'peak'",
    ) == [(Decimal("0.040000"), "numeric", 18, 6)]
    assert rows(target, "select effective_from, tenant_id from raw.rate_card_versions") == [
        (date(2026, 1, 1), None)
    ]


def test_reading_a_big_card_reports_progress_every_ten_thousand_rows() -> None:
    body = "".join(f"{prefix},Dest,0.01,,,,,,\n" for prefix in range(100000, 125000))
    messages: list[str] = []
    parsed = read_rate_card((HEADER + body).encode(), "big.csv", BT, messages.append)
    assert len(parsed.rates) == 25_000
    assert messages == ["read 10000 rows", "read 20000 rows"]


@pytest.mark.integration
@pytest.mark.usefixtures("cli_warehouse")
def test_the_cli_shows_at_most_twenty_band_gap_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "".join(f"{prefix},Dest,0.01,,,,,peak,\n" for prefix in range(4401, 4426))
    path = write(tmp_path / "gaps.csv", HEADER + body)
    argv = ["ratecard", "import", str(path), "--carrier", "bt", "--effective-from", "2026-01-01"]
    assert main(argv) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning")]
    assert len(warnings) == 21
    assert warnings[-1] == "warning: … and 5 more prefixes with bands missing"


def test_a_windows_1252_csv_keeps_its_accented_names() -> None:
    data = (HEADER + "44,Vereinigtes Königreich,0.029,,,,,,EUR\n").encode("cp1252")
    (rate,) = read_rate_card(data, "dtag.csv", BT).rates
    assert rate.destination == "Vereinigtes Königreich"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (RateCardVersion("b|t", date(2026, 1, 1)), "--carrier: 'b|t' may not contain '|'"),
        (RateCardVersion(" ", date(2026, 1, 1)), "--carrier: a carrier name is required"),
        (RateCardVersion("bt", date(2026, 1, 1), "ac|me"), "--tenant: 'ac|me' may not contain"),
    ],
)
def test_a_carrier_or_tenant_that_would_break_the_version_id_is_refused(
    version: RateCardVersion, expected: str
) -> None:
    assert refusal("44,UK,0.05,,,,,,\n", version)[0].startswith(expected)
