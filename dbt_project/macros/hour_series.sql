{#- Select-list expression that expands a row into one row per hour start, from `first_hour`
    to `last_hour` inclusive (both already truncated to the hour, naive UTC). Postgres returns
    a set from generate_series in the select list; DuckDB's generate_series returns a list, so it
    is unnested. -#}
{% macro hour_series(first_hour, last_hour) -%}
    {{ return(adapter.dispatch('hour_series')(first_hour, last_hour)) }}
{%- endmacro %}

{% macro default__hour_series(first_hour, last_hour) -%}
    generate_series({{ first_hour }}, {{ last_hour }}, interval '1 hour')
{%- endmacro %}

{% macro duckdb__hour_series(first_hour, last_hour) -%}
    unnest(generate_series({{ first_hour }}, {{ last_hour }}, interval '1 hour'))
{%- endmacro %}


{#- Whole milliseconds from `start_at` to `end_at` (naive timestamps) as a bigint; negative when
    end_at is earlier. Exact integers on both engines, so sums of them stay exact. -#}
{% macro milliseconds_between(start_at, end_at) -%}
    {{ return(adapter.dispatch('milliseconds_between')(start_at, end_at)) }}
{%- endmacro %}

{% macro default__milliseconds_between(start_at, end_at) -%}
    cast(round(extract(epoch from (({{ end_at }}) - ({{ start_at }}))) * 1000) as bigint)
{%- endmacro %}

{% macro duckdb__milliseconds_between(start_at, end_at) -%}
    (epoch_ms({{ end_at }}) - epoch_ms({{ start_at }}))
{%- endmacro %}
