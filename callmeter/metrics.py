"""The semantic layer from Python: MetricFlow metrics (dbt_project/models/marts/_semantic_models.yml)
queried against the configured warehouse, DuckDB or Postgres (docs/semantic-layer.md).

MetricFlow's Python API compiles the query to SQL; the SQL then runs on a plain DuckDB or
psycopg2 connection, so money comes back as Decimal (both drivers return numeric as Decimal).
The `mf` CLI is not used: it asks pypi.org for updates on every command.

    query_metrics(["cost", "calls"], ["site", "month"], where=["direction=outbound"])

Names: a metric is its name in the YAML; a group-by is a dimension name (`site`, `cost_centre`),
a time grain of metric_time (`day`, `week`, `month`, `quarter`, `year`), or any full MetricFlow
name (`call_leg__site`, `metric_time__month`, `call_leg__started_local_at__month`). Rows come
back as dicts keyed by the names as given."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from callmeter.settings import Warehouse, load_warehouse

__all__ = [
    "MetricsError",
    "SemanticLayer",
    "load_semantic_layer",
    "query_metrics",
    "semantic_manifest_path",
]

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
TIME_GRAINS = ("day", "week", "month", "quarter", "year")

# Metrics returned as Decimal with this many places: money is exact in the warehouse; minutes
# are sums of k/60, which never tie at the fifth place, so rounding a DuckDB double is exact too.
DECIMAL_PLACES = {"cost": 4, "resale_price": 4, "margin": 4, "minutes": 4}
# Counts come back as int, everything else numeric (ratios, averages) as float.
INTEGER_METRICS = frozenset({"legs", "calls", "answered_calls"})

_SIMPLE_WHERE = re.compile(r"^\s*([A-Za-z_][\w]*)\s*(=|!=|<>|>=|<=|>|<)\s*(.*?)\s*$")


class MetricsError(ValueError):
    """A user-facing problem with a metrics query: unknown name, bad filter, no manifest."""


def semantic_manifest_path() -> Path:
    """Where `dbt parse` (run by `callmeter build`) writes the semantic manifest."""
    return DBT_PROJECT_DIR / "target" / "semantic_manifest.json"


@dataclass(frozen=True, eq=False)  # hashed by identity: it keys the engine cache
class SemanticLayer:
    """The parsed semantic manifest and what query_metrics needs from it."""

    manifest: Any  # metricflow_semantic_interfaces PydanticSemanticManifest
    metrics: tuple[str, ...]
    # dimension name -> full group-by names (entity__dimension), one per semantic model
    dimensions: dict[str, tuple[str, ...]]
    time_dimensions: frozenset[str]  # full names of time dimensions
    # metric -> the entities (primary and foreign) of the models its measures live in: the
    # prefixes of the dimensions it can be grouped by
    metric_entities: dict[str, frozenset[str]]

    def resolve_group_by(self, name: str, metrics: Sequence[str] = ()) -> str:
        """The MetricFlow group-by name for a user's name.

        Args:
            name: a dimension name, a time grain, or a full MetricFlow name.
            metrics: the metrics queried: a dimension that several semantic models have
                (site) resolves to the model the metrics come from.

        Returns:
            The full name, e.g. `call_leg__site` or `metric_time__month`.

        Raises:
            MetricsError: the name is neither.
        """
        if name in TIME_GRAINS:
            return f"metric_time__{name}"
        if name == "metric_time":
            return "metric_time__day"
        if name in self.dimensions:
            candidates = self.dimensions[name]
            wanted = [self.metric_entities.get(metric, frozenset()) for metric in metrics]
            for full in candidates:
                if all(full.split("__", 1)[0] in entities for entities in wanted):
                    return full
            return candidates[0]
        if "__" in name:  # a full name: MetricFlow checks it when the query compiles
            return name
        raise MetricsError(
            f"unknown dimension {name!r}; known: {', '.join(sorted(self.dimensions))}, "
            f"or a time grain: {', '.join(TIME_GRAINS)}"
        )

    def where_clause(self, condition: str, metrics: Sequence[str] = ()) -> str:
        """A MetricFlow where filter from `name=value` (also !=, <>, >=, <=, >, <), or a filter
        already in MetricFlow's Jinja form ("{{ Dimension('call_leg__site') }} = 'london'").

        Raises:
            MetricsError: the condition is neither form or names an unknown dimension.
        """
        if "{{" in condition:
            return condition
        match = _SIMPLE_WHERE.match(condition)
        if not match or not match.group(3):
            raise MetricsError(
                f"cannot read the filter {condition!r}: write name=value (or !=, >=, <=, >, <), "
                "e.g. site=london or month>=2026-01-01"
            )
        name, operator, value = match.groups()
        value = value.strip("'\"")
        full = self.resolve_group_by(name, metrics)
        element, _, grain = (
            full.rpartition("__") if full.startswith("metric_time__") else ("", "", "")
        )
        if element:
            reference = f"{{{{ TimeDimension('{element}', '{grain}') }}}}"
        elif self._is_time(full):
            reference = f"{{{{ TimeDimension('{full}') }}}}"
        else:
            reference = f"{{{{ Dimension('{full}') }}}}"
        literal = "'" + value.replace("'", "''") + "'"
        return f"{reference} {operator} {literal}"

    def _is_time(self, full: str) -> bool:
        return any(full == t or full.startswith(t + "__") for t in self.time_dimensions)


def _relations_without_database(node: Any) -> Any:
    """Drop the database from every node_relation: dbt records the DuckDB catalog (the file
    stem) or the Postgres database it parsed against, but a query must also work on the serving
    snapshot (another file) and whatever database the warehouse URL names."""
    if isinstance(node, dict):
        if isinstance(node.get("node_relation"), dict):
            relation = node["node_relation"]
            relation["database"] = None
            relation["relation_name"] = f'"{relation["schema_name"]}"."{relation["alias"]}"'
        return {key: _relations_without_database(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_relations_without_database(value) for value in node]
    return node


def load_semantic_layer(path: Path | None = None) -> SemanticLayer:
    """Parse the semantic manifest dbt wrote (cached per file and modification time).

    Args:
        path: semantic_manifest.json; default dbt_project/target/ (`callmeter build` writes it;
            when it is missing or older than _semantic_models.yml, `dbt parse` runs first).

    Returns:
        The semantic layer.

    Raises:
        MetricsError: the manifest is missing and dbt parse could not write it.
    """
    path = path or semantic_manifest_path()
    if path == semantic_manifest_path() and _stale(path):
        _dbt_parse()
    if not path.exists():
        raise MetricsError(f"no semantic manifest at {path}: run `callmeter build` first")
    return _load(path, path.stat().st_mtime_ns)


def _stale(path: Path) -> bool:
    """Missing, or older than the semantic-layer YAML it was parsed from."""
    if not path.exists():
        return True
    sources = (DBT_PROJECT_DIR / "models" / "marts").glob("_*semantic*.yml")
    return any(source.stat().st_mtime > path.stat().st_mtime for source in sources)


def _dbt_parse() -> None:
    try:
        from orchestration.lib.dbt_project import dbt_parse
    except ImportError as error:  # an install without the orchestration package
        raise MetricsError("no semantic manifest: run `callmeter build` first") from error
    try:
        dbt_parse()
    except RuntimeError as error:
        raise MetricsError(str(error)) from None


@functools.lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int) -> SemanticLayer:
    del mtime_ns  # part of the cache key only: a new parse reloads
    from metricflow_semantic_interfaces.type_enums.dimension_type import DimensionType
    from metricflow_semantic_interfaces.type_enums.entity_type import EntityType
    from metricflow_semantics.model.dbt_manifest_parser import (
        parse_manifest_from_dbt_generated_manifest,
    )

    raw = _relations_without_database(json.loads(path.read_text()))
    manifest = parse_manifest_from_dbt_generated_manifest(json.dumps(raw))
    dimensions: dict[str, tuple[str, ...]] = {}
    time_dimensions: set[str] = set()
    measure_entities: dict[str, frozenset[str]] = {}
    for model in manifest.semantic_models:
        primary = next((e.name for e in model.entities if e.type is EntityType.PRIMARY), None)
        if primary is None:
            continue
        for dimension in model.dimensions:
            full = f"{primary}__{dimension.name}"
            dimensions[dimension.name] = (*dimensions.get(dimension.name, ()), full)
            if dimension.type is DimensionType.TIME:
                time_dimensions.add(full)
        entities = frozenset(entity.name for entity in model.entities)
        measure_entities.update((measure.name, entities) for measure in model.measures)
    metric_entities = {
        metric.name: frozenset().union(
            *(measure_entities.get(m.name, frozenset()) for m in metric.input_measures)
        )
        for metric in manifest.metrics
    }
    return SemanticLayer(
        manifest=manifest,
        metrics=tuple(sorted(metric.name for metric in manifest.metrics)),
        dimensions=dimensions,
        time_dimensions=frozenset(time_dimensions),
        metric_entities=metric_entities,
    )


@functools.lru_cache(maxsize=8)
def _engine(layer: SemanticLayer, kind: str) -> Any:
    from metricflow.engine.metricflow_engine import MetricFlowEngine
    from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

    return MetricFlowEngine(SemanticManifestLookup(layer.manifest), _CompileOnlyClient(kind))


class _CompileOnlyClient:
    """The parts of MetricFlow's SqlClient protocol that compiling needs: the dialect. The SQL
    runs on our own connection (_fetch), never through this object."""

    def __init__(self, kind: str) -> None:
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
        from metricflow.sql.render.postgres import PostgresSQLSqlPlanRenderer
        from metricflow.sql.render.sql_plan_renderer import SqlPlanRenderer

        self.sql_plan_renderer: SqlPlanRenderer
        if kind == "duckdb":
            self.sql_engine_type, self.sql_plan_renderer = SqlEngine.DUCKDB, DuckDbSqlPlanRenderer()
        else:
            self.sql_engine_type = SqlEngine.POSTGRES
            self.sql_plan_renderer = PostgresSQLSqlPlanRenderer()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"%({bind_parameter_key})s"

    def close(self) -> None:
        """Nothing to close: no connection is held."""

    def query(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("compile-only client")

    execute = dry_run = query


def compile_sql(
    metrics: Sequence[str],
    group_by: Sequence[str],
    where: Sequence[str] | None = None,
    order_by: Sequence[str] | None = None,
    limit: int | None = None,
    *,
    kind: str = "duckdb",
    layer: SemanticLayer | None = None,
) -> tuple[str, dict[str, str]]:
    """The SQL MetricFlow generates for a query, and the output column for each group-by.

    Args:
        metrics: metric names.
        group_by: dimension names, time grains or full MetricFlow names.
        where: filters, `name=value` or MetricFlow Jinja.
        order_by: metric or group-by names; a leading `-` sorts descending.
        limit: at most this many rows.
        kind: "duckdb" or "postgres", the SQL dialect.
        layer: the semantic layer (default: load_semantic_layer()).

    Returns:
        (sql, {output column: name as given}).

    Raises:
        MetricsError: an unknown metric or dimension, a bad filter, or a query MetricFlow rejects.
    """
    layer = layer or load_semantic_layer()
    if not metrics:
        raise MetricsError(f"name at least one metric; known: {', '.join(layer.metrics)}")
    unknown = [name for name in metrics if name not in layer.metrics]
    if unknown:
        raise MetricsError(
            f"unknown metric{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(layer.metrics)}"
        )
    full_names = [layer.resolve_group_by(name, metrics) for name in group_by]
    columns = dict(zip(full_names, group_by, strict=True))
    orders = []
    for name in order_by or ():
        descending, bare = name.startswith("-"), name.lstrip("-")
        full = bare if bare in metrics else layer.resolve_group_by(bare, metrics)
        if full not in metrics and full not in full_names:
            raise MetricsError(
                f"order by {bare!r}: it must be one of the metrics or group-bys queried"
            )
        orders.append(("-" if descending else "") + full)
    if limit is not None and limit < 1:
        raise MetricsError(f"limit must be at least 1, got {limit}")
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

    request = MetricFlowQueryRequest.create(
        metric_names=list(metrics),
        group_by_names=full_names,
        where_constraints=[layer.where_clause(c, metrics) for c in where or ()] or None,
        order_by_names=orders or None,
        limit=limit,
    )
    engine = _engine(layer, kind)
    try:
        statement = engine.explain(request).sql_statement
    except Exception as error:  # MetricFlow's own errors carry a readable explanation
        raise MetricsError(_first_paragraphs(str(error))) from None
    if statement.bind_parameter_set.param_items:
        raise MetricsError(
            "MetricFlow produced a query with bind parameters, which is not supported"
        )
    return statement.sql, columns


def query_metrics(
    metrics: Sequence[str],
    group_by: Sequence[str] = (),
    where: Sequence[str] | None = None,
    order_by: Sequence[str] | None = None,
    limit: int | None = None,
    *,
    warehouse: Warehouse | None = None,
    manifest_path: Path | None = None,
) -> list[dict[str, Any]]:
    """Query metrics by dimensions through MetricFlow, on DuckDB or Postgres.

    Args:
        metrics: metric names, e.g. ["cost", "calls"].
        group_by: dimension names or time grains, e.g. ["site", "month"].
        where: filters, `name=value` (also !=, >=, <=, >, <) or MetricFlow Jinja.
        order_by: metric or group-by names; a leading `-` sorts descending. Default: the
            group-bys in order.
        limit: at most this many rows.
        warehouse: default load_warehouse() (CALLMETER_WAREHOUSE). In DuckDB mode a reader that
            must not wait for a running build passes the serving snapshot here.
        manifest_path: semantic_manifest.json, default dbt_project/target/.

    Returns:
        One dict per row, keyed by the group-by names as given and the metric names. Money and
        minutes are Decimal (4 dp), counts int, ratios and averages float, time grains date.

    Raises:
        MetricsError: an unknown metric or dimension, a bad filter, a missing manifest, or the
            warehouse cannot answer (marts not built, DuckDB file locked).
    """
    warehouse = warehouse or load_warehouse()
    layer = load_semantic_layer(manifest_path)
    sql, columns = compile_sql(
        metrics,
        group_by,
        where,
        order_by if order_by is not None else list(group_by),
        limit,
        kind=warehouse.kind,
        layer=layer,
    )
    names, rows = _fetch(warehouse, sql)
    keys = [columns.get(name, name) for name in names]
    grains = {
        key
        for name, key in zip(names, keys, strict=True)
        if name.rsplit("__", 1)[-1] in TIME_GRAINS
    }
    order = [*group_by, *(name for name in metrics if name not in group_by)]
    result = []
    for row in rows:
        values = dict(zip(keys, row, strict=True))
        result.append({key: _normalise(key, values.get(key), key in grains) for key in order})
    return result


def _normalise(name: str, value: Any, is_grain: bool) -> Any:
    if value is None:
        return None
    if name in DECIMAL_PLACES:
        exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
        return exact.quantize(Decimal(1).scaleb(-DECIMAL_PLACES[name]))
    if name in INTEGER_METRICS:
        return int(value)
    if is_grain and isinstance(value, datetime):
        return value.date()
    if isinstance(value, Decimal):  # ratios and averages: not money
        return float(value)
    return value


def _fetch(warehouse: Warehouse, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run the compiled SQL on a short-lived read-only connection."""
    if warehouse.kind == "duckdb":
        import duckdb

        if not warehouse.duckdb_path.exists():
            raise MetricsError(
                f"no warehouse at {warehouse.duckdb_path}: run `callmeter build` first"
            )
        try:
            con = duckdb.connect(str(warehouse.duckdb_path), read_only=True)
        except duckdb.IOException as error:
            raise MetricsError(
                f"the warehouse is locked by a running build ({error}); query the serving snapshot "
                "or retry when it finishes"
            ) from None
        try:
            cursor = con.execute(sql)
            names = [column[0] for column in cursor.description or ()]
            return names, cursor.fetchall()
        except duckdb.Error as error:
            raise MetricsError(f"the warehouse could not answer: {error}") from None
        finally:
            con.close()
    import psycopg2

    try:
        pg = psycopg2.connect(warehouse.url)
    except psycopg2.Error as error:
        raise MetricsError(f"cannot connect to the warehouse: {error}") from None
    try:
        with pg.cursor() as cursor:
            cursor.execute(sql)
            names = [column.name for column in cursor.description or ()]
            return names, list(cursor.fetchall())
    except psycopg2.Error as error:
        raise MetricsError(f"the warehouse could not answer: {str(error).strip()}") from None
    finally:
        pg.close()


def _first_paragraphs(message: str, limit: int = 1200) -> str:
    message = message.strip()
    return message if len(message) <= limit else message[:limit] + " …"
