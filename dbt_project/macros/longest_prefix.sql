{#- Longest-prefix lookup as a chain of equi-joins, one per prefix length, so that it runs as hash
    joins on both engines (a `like prefix || '%'` join is a nested loop). `keys` are the extra
    equality columns as (lookup column, leg expression) pairs.
    longest_prefix_joins(...) emits the left joins; longest_prefix_pick(...) the coalesce of
    `pick_column` from the longest length that matched. -#}
{% macro longest_prefix_joins(alias, lookup, number, keys=[], max_length=15) -%}
    {%- for length in range(max_length, 0, -1) %}
    left join {{ lookup }} as {{ alias }}_{{ length }}
        on {{ alias }}_{{ length }}.prefix = substr({{ number }}, 1, {{ length }})
        {%- for lookup_column, leg_expression in keys %}
        and {{ alias }}_{{ length }}.{{ lookup_column }} = {{ leg_expression }}
        {%- endfor %}
        and {{ alias }}_{{ length }}.prefix_length = {{ length }}
    {%- endfor %}
{%- endmacro %}

{% macro longest_prefix_pick(alias, pick_column, max_length=15) -%}
    coalesce(
        {%- for length in range(max_length, 0, -1) %}
        {{ alias }}_{{ length }}.{{ pick_column }}{{ "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- One text value from several columns, for "did any input change" comparisons; null-safe. -#}
{% macro fingerprint(columns) -%}
    {%- for column in columns -%}
        coalesce(cast({{ column }} as text), '~'){{ " || '|' || " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
