"""The sidecar's Python dial plan gives the same E.164 digits as dbt's to_e164 macro: these are
the cases of the dbt unit test test_dialled_numbers_become_e164_with_the_sites_dial_plan."""

import pytest

from callmeter.config import load_config
from callmeter.dialplan import to_e164
from tests.paths import FIXTURES

CONFIG = load_config(FIXTURES / "callmeter.yaml")


@pytest.mark.parametrize(
    ("site_id", "dialled", "expected"),
    [
        ("london", "902071234567", "442071234567"),
        ("london", "02071234567", "442071234567"),
        ("london", "900331234567890", "331234567890"),
        ("london", "0033 1-23 (45) 67.89", "33123456789"),
        ("london", "+442071234567", "442071234567"),
        ("london", "2001", None),
        ("london", "999", "44999"),
        ("london", "9999", "44999"),
        ("london", "2071234567", "442071234567"),
        ("london", "anonymous", None),
        ("london", None, None),
        ("portland", "915035551234", "15035551234"),
        ("portland", "9011441234567890", "441234567890"),
        ("portland", "9911", "1911"),
    ],
)
def test_dialled_numbers_become_e164_with_the_sites_dial_plan(
    site_id: str, dialled: str | None, expected: str | None
) -> None:
    assert to_e164(dialled, CONFIG.site("acme", site_id)) == expected


def test_the_sql_unit_test_checks_the_same_cases_as_the_python_dial_plan() -> None:
    text = (
        FIXTURES.parents[1] / "dbt_project/models/intermediate/legs/_int_legs__models.yml"
    ).read_text()
    for dialled in ("902071234567", "900331234567890", "9999", "9011441234567890", "9911"):
        assert f"'{dialled}'" in text
