{#- A text field of a JSON-text column (parsers' `extra`): ->> works on DuckDB json and Postgres json. -#}
{% macro json_text(column, key) -%}
    (cast({{ column }} as json) ->> '{{ key }}')
{%- endmacro %}
