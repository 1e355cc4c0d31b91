{#- True when the text is one or more ASCII digits. `~` is a regex match on DuckDB and Postgres. -#}
{% macro is_digits(expression) -%}
    coalesce(({{ expression }}) ~ '^[0-9]+$', false)
{%- endmacro %}
