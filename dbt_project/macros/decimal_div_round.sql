{#- round(numerator / denominator, scale), half-up, in exact decimal arithmetic, as docs/design.md
    requires for cost. Postgres numeric division is decimal. DuckDB's "/" returns DOUBLE even for
    DECIMAL, so on DuckDB the division is done on HUGEINT integers.
    Assumes numerator >= 0, an integer denominator > 0, and at most 8 decimal places in the numerator. -#}
{% macro decimal_div_round(numerator, denominator, scale=4) -%}
    {{ return(adapter.dispatch('decimal_div_round')(numerator, denominator, scale)) }}
{%- endmacro %}

{% macro default__decimal_div_round(numerator, denominator, scale) -%}
    round(cast({{ numerator }} as numeric(38, 8)) / ({{ denominator }}), {{ scale }})
{%- endmacro %}

{% macro duckdb__decimal_div_round(numerator, denominator, scale) -%}
    {%- set units = 10 ** (8 - scale) -%}
    (
        cast(
            (cast(cast({{ numerator }} as decimal(38, 8)) * 100000000 as hugeint) * 2
                + cast({{ denominator }} as hugeint) * {{ units }})
            // (cast({{ denominator }} as hugeint) * {{ units * 2 }})
            as decimal(38, 0)
        ) * cast({{ '0.' ~ '0' * (scale - 1) ~ '1' }} as decimal(18, {{ scale }}))
    )
{%- endmacro %}
