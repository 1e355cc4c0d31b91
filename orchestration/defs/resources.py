"""The only place resources are bound."""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.lib.dbt_project import DBT_EXECUTABLE, DBT_PROJECT_DIR


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "dbt": DbtCliResource(project_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE),
        }
    )
