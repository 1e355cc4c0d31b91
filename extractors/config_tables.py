"""callmeter.yaml as raw tables (raw.tenants, raw.sites, raw.site_trunks), so dbt can read the
dial plans, carriers and trunks. Synced (replaced) before every build."""

from __future__ import annotations

from typing import Any

from callmeter.config import CallmeterConfig
from callmeter.settings import Warehouse


def _text() -> dict[str, Any]:
    return {"data_type": "text"}  # a fresh dict per column: dlt writes into column hints


TENANT_COLUMNS: dict[str, Any] = {
    "tenant_id": _text(),
    "name": _text(),
    "currency": _text(),
    "resale_markup_percent": {"data_type": "decimal", "precision": 9, "scale": 4},
}
SITE_COLUMNS: dict[str, Any] = {
    name: _text()
    for name in (
        "tenant_id",
        "site_id",
        "timezone",
        "country_code",
        "outside_line_prefix",
        "national_prefix",
        "international_prefix",
        "carrier",
    )
} | {"extension_digits": {"data_type": "bigint"}}
TRUNK_COLUMNS: dict[str, Any] = {
    "tenant_id": _text(),
    "site_id": _text(),
    "trunk": _text(),
    "carrier": _text(),
    "channels": {"data_type": "bigint"},
}


def config_rows(config: CallmeterConfig) -> dict[str, list[dict[str, Any]]]:
    tenants, sites, trunks = [], [], []
    for tenant in config.tenants:
        tenants.append(
            {
                "tenant_id": tenant.id,
                "name": tenant.name,
                "currency": tenant.currency,
                "resale_markup_percent": tenant.resale_markup_percent,
            }
        )
        for site in tenant.sites:
            sites.append(
                {
                    "tenant_id": tenant.id,
                    "site_id": site.id,
                    "timezone": site.timezone,
                    "country_code": site.country_code,
                    "outside_line_prefix": site.outside_line_prefix,
                    "national_prefix": site.national_prefix,
                    "international_prefix": site.international_prefix,
                    "carrier": site.carrier,
                    "extension_digits": site.extension_digits,
                }
            )
            for name in sorted(site.all_trunk_devices | set(site.trunk_channels)):
                trunks.append(
                    {
                        "tenant_id": tenant.id,
                        "site_id": site.id,
                        "trunk": name,
                        "carrier": site.trunks.get(name, site.carrier),
                        "channels": site.trunk_channels.get(name),
                    }
                )
    return {"tenants": tenants, "sites": sites, "site_trunks": trunks}


def land_config(
    warehouse: Warehouse, config: CallmeterConfig, pipelines_dir: str | None = None
) -> None:
    """Replace raw.tenants, raw.sites and raw.site_trunks with what callmeter.yaml says now."""
    import dlt

    from .destinations import raw_pipeline

    rows = config_rows(config)
    columns = {"tenants": TENANT_COLUMNS, "sites": SITE_COLUMNS, "site_trunks": TRUNK_COLUMNS}
    resources = [
        dlt.resource(
            rows[name],
            name=name,
            table_name=name,
            write_disposition="replace",
            columns=columns[name],
        )
        for name in ("tenants", "sites", "site_trunks")
    ]
    raw_pipeline("callmeter_config", warehouse, pipelines_dir).run(resources).raise_on_failed_jobs()
