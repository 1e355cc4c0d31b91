{#- Parse text that is sometimes '' or 'N/A'. DuckDB has try_cast; Postgres does not. -#}
{% macro safe_to_numeric(column, precision=18, scale=4) -%}
    {{ return(adapter.dispatch('safe_to_numeric')(column, precision, scale)) }}
{%- endmacro %}

{% macro duckdb__safe_to_numeric(column, precision, scale) -%}
    try_cast({{ column }} as numeric({{ precision }}, {{ scale }}))
{%- endmacro %}

{% macro default__safe_to_numeric(column, precision, scale) -%}
    case
        when trim(cast({{ column }} as text)) ~ '^-?[0-9]+(\.[0-9]+)?$'
            then cast(trim(cast({{ column }} as text)) as numeric({{ precision }}, {{ scale }}))
    end
{%- endmacro %}
