{#- Refresh the planner's statistics of a freshly built table. Postgres does not analyze a table
    created by `create table as` until autovacuum gets to it, and without statistics it plans the
    rating's prefix lookups as nested loops (minutes instead of seconds). DuckDB keeps its own. -#}
{% macro analyze_relation(relation) -%}
    {{ return(adapter.dispatch('analyze_relation')(relation)) }}
{%- endmacro %}

{% macro default__analyze_relation(relation) -%}
    select 1 as analyzed
{%- endmacro %}

{% macro postgres__analyze_relation(relation) -%}
    analyze {{ relation }}
{%- endmacro %}
