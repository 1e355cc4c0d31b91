{#- A column that a raw table may or may not have (optional import columns such as a rate card's
    peak_start): the column cast to data_type where the relation has it, else a typed null.
    A missing relation also gives the typed null (source_or_empty serves the empty relation). -#}
{% macro optional_column(relation, column_name, data_type) -%}
    {%- set found = false -%}
    {%- if execute -%}
        {%- set loaded = load_relation(relation) -%}
        {%- if loaded is not none -%}
            {%- set names = adapter.get_columns_in_relation(loaded) | map(attribute='name') | map('lower') | list -%}
            {%- set found = column_name | lower in names -%}
        {%- endif -%}
    {%- endif -%}
    {%- if found -%}
        cast({{ adapter.quote(column_name) }} as {{ data_type }})
    {%- else -%}
        cast(null as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
