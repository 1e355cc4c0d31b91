{#- A relation (use it in `from`) of the integers 0 .. count - 1 in a column `n`, built by
    cross-joining digit lists: plain SQL that DuckDB and Postgres run alike, no generate_series. -#}
{% macro integer_series(count) -%}
    {%- set digits = (count - 1) | string | length -%}
    (
        select
            {% for place in range(digits) -%}
            {{ ' + ' if not loop.first }}d{{ place }}.digit * {{ 10 ** place }}
            {%- endfor %} as n
        from
            {% for place in range(digits) -%}
            (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as d{{ place }} (digit)
            {{- ',' if not loop.last }}
            {% endfor -%}
    ) as integer_series
    where integer_series.n < {{ count }}
{%- endmacro %}
