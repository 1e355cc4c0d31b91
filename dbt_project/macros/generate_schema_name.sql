{#- Use the folder's +schema verbatim (staging, intermediate, marts) on every target, so the
    relations are marts.fct_call_legs etc., as docs/design.md fixes them for Power BI and the API. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
