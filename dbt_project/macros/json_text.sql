{#- A text field of a JSON-text column (parsers' `extra`): ->> works on DuckDB json and Postgres json. -#}
{% macro json_text(column, key) -%}
    (cast({{ column }} as json) ->> '{{ key }}')
{%- endmacro %}

{#-
  Several text fields of one JSON-text column, the document read once instead of once per field
  (on 1M legs with CUCM's `extra`, eight ->> cost 6.6 s on DuckDB, one read 1.1 s):
  `json_document(column, keys)` in one CTE, then `json_document_text(doc, keys, key)` in the next.
-#}
{% macro json_document(column, keys) -%}
    {{ return(adapter.dispatch('json_document')(column, keys)) }}
{%- endmacro %}

{% macro default__json_document(column, keys) -%}
    cast({{ column }} as jsonb)
{%- endmacro %}

{% macro duckdb__json_document(column, keys) -%}
    {#- a list of the fields' texts, in the order of `keys` -#}
    json_extract_string({{ column }}, [{% for key in keys %}'$.{{ key }}'{{ ', ' if not loop.last }}{% endfor %}])
{%- endmacro %}

{% macro json_document_text(document, keys, key) -%}
    {{ return(adapter.dispatch('json_document_text')(document, keys, key)) }}
{%- endmacro %}

{% macro default__json_document_text(document, keys, key) -%}
    ({{ document }} ->> '{{ key }}')
{%- endmacro %}

{% macro duckdb__json_document_text(document, keys, key) -%}
    {{ document }}[{{ keys.index(key) + 1 }}]
{%- endmacro %}
