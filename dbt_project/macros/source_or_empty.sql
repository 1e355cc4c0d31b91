{#- A raw table that dlt has not created yet (dlt creates a table with its first row) reads as an
    empty relation of the given columns, so a build with no CUCM data yet still succeeds.
    source() is always called, so lineage and Dagster keys stay the same. Callers alias the
    result (`from {{ source_or_empty(...) }} as landed`): Postgres requires a subquery alias. -#}
{% macro source_or_empty(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and load_relation(relation) is none -%}
        (select
        {%- for name, data_type in columns %}
            cast(null as {{ data_type }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
        where 1 = 0)
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- The columns of every raw.<format>_call_legs table (extractors/raw_tables.py). -#}
{% macro raw_call_leg_columns() -%}
    {{ return([
        ("tenant_id", "text"), ("site_id", "text"), ("source_format", "text"),
        ("source_record_id", "text"), ("call_id", "text"),
        ("started_at", "timestamp with time zone"), ("answered_at", "timestamp with time zone"),
        ("ended_at", "timestamp with time zone"), ("ring_seconds", "bigint"),
        ("duration_seconds", "bigint"), ("direction", "text"), ("disposition", "text"),
        ("calling_number", "text"), ("called_number", "text"), ("extension", "text"),
        ("trunk", "text"), ("account_code", "text"), ("raw", "text"), ("extra", "text"),
        ("_dlt_load_id", "text"),
    ]) }}
{%- endmacro %}
