"""Jobs that are not tied to one area: the build `callmeter build` runs."""

import dagster as dg

build_marts = dg.define_asset_job(
    "build_marts",
    selection=dg.AssetSelection.groups("reference", "staging", "intermediate", "marts")
    | dg.AssetSelection.assets(
        dg.AssetKey(["raw", "tenants"]),
        dg.AssetKey(["raw", "sites"]),
        dg.AssetKey(["raw", "site_trunks"]),
    ),
    description="Sync callmeter.yaml, then dbt build: staging -> intermediate -> marts.",
)
