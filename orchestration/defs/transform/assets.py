"""dbt models as Dagster assets, grouped by their top models/ folder."""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from callmeter.settings import load_warehouse
from orchestration.lib.dbt_project import DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target=load_warehouse().kind,  # "duckdb" | "postgres" = the profiles.yml output names
)
DBT_PROJECT.prepare_if_dev()  # parses under `dagster dev`; CI and `callmeter build` parse first


class LayerTranslator(DagsterDbtTranslator):
    """Group = top models/ folder (staging | intermediate | marts), seeds in `reference`;
    models rebuild when their parents do."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "seed":
            return spec.replace_attributes(group_name="reference")
        if props["resource_type"] != "model":
            return spec
        return spec.replace_attributes(
            group_name=props["fqn"][1],
            automation_condition=dg.AutomationCondition.eager(),
        )


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=LayerTranslator(),
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """`dbt build` for the selected models; dbt data tests surface as Dagster asset checks.
    dbt unit tests are for CI (tests/dbt), not production runs, as dbt recommends."""
    yield from dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context).stream()
