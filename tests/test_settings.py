from pathlib import Path

import pytest

from callmeter.config import ConfigError, load_config
from callmeter.settings import Warehouse, load_warehouse
from tests.paths import FIXTURES


def test_the_default_warehouse_is_an_embedded_duckdb_file_under_the_data_folder(
    tmp_path: Path,
) -> None:
    warehouse = load_warehouse({"CALLMETER_DATA_DIR": str(tmp_path)})
    assert warehouse.kind == "duckdb"
    assert warehouse.duckdb_path == tmp_path / "callmeter.duckdb"


def test_a_relative_duckdb_path_is_refused_because_dbt_and_dlt_would_open_different_files() -> None:
    with pytest.raises(ValueError, match="absolute path"):
        Warehouse.from_url("duckdb:///relative/wh.duckdb")


def test_a_duckdb_file_named_after_a_schema_is_refused() -> None:
    with pytest.raises(ValueError, match="named after a schema"):
        Warehouse.from_url("duckdb:////srv/marts.duckdb")


def test_postgres_urls_feed_dbt_and_get_a_placeholder_password_for_dlt() -> None:
    warehouse = Warehouse.from_url("postgresql://postgres@db.example:5433/calls")
    assert warehouse.kind == "postgres"
    assert warehouse.dbt_env()["CALLMETER_PG_PORT"] == "5433"
    assert warehouse.dbt_env()["CALLMETER_PG_DBNAME"] == "calls"
    assert warehouse.dlt_credentials == "postgresql://postgres:unused@db.example:5433/calls"


def test_an_unknown_warehouse_scheme_is_an_error() -> None:
    with pytest.raises(ValueError, match="CALLMETER_WAREHOUSE"):
        Warehouse.from_url("mysql://localhost/calls")


def test_the_test_configuration_loads_with_sites_and_trunks() -> None:
    config = load_config(FIXTURES / "callmeter.yaml")
    london = config.site("acme", "london")
    assert london.timezone == "Europe/London"
    assert london.trunks == {"SIP-GAMMA": "gamma"}
    assert "CUBE-LON-01" in london.all_trunk_devices


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            "tenants:\n  - id: a\n    name: A\n    currency: GBP\n    sites:\n      - id: s\n        timezone: Europe/Londn\n        country_code: '44'\n        carrier: bt\n",
            "tenants[0] (id a).sites[0] (id s).timezone: unknown timezone 'Europe/Londn'",
        ),
        (
            "tenants:\n  - id: a\n    name: A\n    currency: GBP\n    sites:\n      - id: s\n        timezone: UTC\n        country_code: '44'\n        carier: bt\n",
            "tenants[0] (id a).sites[0] (id s).carier: unknown key",
        ),
        (
            "tenants:\n  - id: a\n    name: A\n    currency: pounds\n    sites: []\n",
            "tenants[0] (id a).currency: currency must be an ISO 4217 code",
        ),
        ("tenants: [\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping"),
    ],
    ids=["typo-in-timezone", "typo-in-key", "bad-currency", "broken-yaml", "not-a-mapping"],
)
def test_a_config_mistake_names_the_file_the_key_and_what_is_wrong(
    tmp_path: Path, yaml_text: str, expected: str
) -> None:
    path = tmp_path / "callmeter.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_a_missing_config_file_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CALLMETER_CONFIG"):
        load_config(tmp_path / "nope.yaml")


def test_the_example_configuration_in_the_repository_is_valid() -> None:
    from streaming.settings import load_streaming
    from tests.paths import ROOT

    config = load_config(ROOT / "callmeter.yaml.example")
    assert config.site("acme", "london").carrier == "bt"
    assert [rule.id for rule in load_streaming(config).rules][:3] == ["premium", "burst", "night"]
