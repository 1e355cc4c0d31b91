{#- Longest-prefix lookup as a chain of equi-joins, one per prefix length, so that it runs as hash
    joins on both engines (a `like prefix || '%'` join is a nested loop). `keys` are the extra
    equality columns as (lookup column, leg expression) pairs; `lengths` the prefix lengths to
    probe, longest first (macros/prefix_lengths.sql).
    longest_prefix_joins(...) emits the left joins; longest_prefix_pick(...) the coalesce of
    `pick_column` from the longest length that matched. -#}
{% macro longest_prefix_joins(alias, lookup, number, keys=[], lengths=range(15, 0, -1)) -%}
    {%- for length in lengths %}
    left join {{ lookup }} as {{ alias }}_{{ length }}
        on {{ alias }}_{{ length }}.prefix = substr({{ number }}, 1, {{ length }})
        {%- for lookup_column, leg_expression in keys %}
        and {{ alias }}_{{ length }}.{{ lookup_column }} = {{ leg_expression }}
        {%- endfor %}
        and {{ alias }}_{{ length }}.prefix_length = {{ length }}
    {%- endfor %}
{%- endmacro %}

{% macro longest_prefix_pick(alias, pick_column, lengths=range(15, 0, -1)) -%}
    coalesce(
        {%- for length in lengths %}
        {{ alias }}_{{ length }}.{{ pick_column }},
        {%- endfor %}
        cast(null as text)
    )
{%- endmacro %}

{#- One value from several columns, for "did any input change" comparisons; null-safe. Only ever
    compared with values from the same warehouse. DuckDB: its 64-bit hash (fast; a collision
    would need 2^-64 luck), kept as the UBIGINT itself: as text it cost more to write than all
    the rating arithmetic (a rated table built with the text form still compares equal: DuckDB
    reads the digits as the number); elsewhere the md5 of the values as text. -#}
{% macro fingerprint(columns) -%}
    {{ return(adapter.dispatch('fingerprint')(columns)) }}
{%- endmacro %}

{% macro default__fingerprint(columns) -%}
    md5(
    {%- for column in columns -%}
        coalesce(cast({{ column }} as text), '~'){{ " || '|' || " if not loop.last }}
    {%- endfor -%}
    )
{%- endmacro %}

{% macro duckdb__fingerprint(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{#- `column` of the row the longest matching length found (null when none matched): taken from the
    chain's own joins, so the priced row needs no further join on the chosen prefix. A case on
    which length matched, not a coalesce: a null in the longest row must not fall through to a
    shorter one. `data_type` types the null when the chain is empty (no lengths). -#}
{% macro longest_prefix_column(alias, column, lengths, data_type) -%}
    {%- if lengths | length == 0 -%}
    cast(null as {{ data_type }})
    {%- else -%}
    case
        {%- for length in lengths %}
        when {{ alias }}_{{ length }}.prefix is not null then {{ alias }}_{{ length }}.{{ column }}
        {%- endfor %}
    end
    {%- endif -%}
{%- endmacro %}
