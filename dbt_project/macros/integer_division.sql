{#- Whole-number division of non-negative integers, rounded down: the same result on both engines
    (Postgres `/` truncates integers; DuckDB's `/` gives a DOUBLE, its `//` divides integers).
    Exact and far cheaper than decimal division: the rating does its money arithmetic on integer
    micro-units with these (docs/rating.md). -#}
{% macro int_div(numerator, denominator) -%}
    {{ return(adapter.dispatch('int_div')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__int_div(numerator, denominator) -%}
    (({{ numerator }}) / ({{ denominator }}))
{%- endmacro %}

{% macro duckdb__int_div(numerator, denominator) -%}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}

{#- round(numerator / denominator), half-up, for integers numerator >= 0 and denominator > 0. -#}
{% macro int_div_round(numerator, denominator) -%}
    {{ int_div('(' ~ numerator ~ ') * 2 + (' ~ denominator ~ ')', '(' ~ denominator ~ ') * 2') }}
{%- endmacro %}

{#- An integer count of 1/10^scale units as numeric(18, scale), exactly (a multiplication, not a
    division: DuckDB divides decimals as DOUBLE). -#}
{% macro units_to_numeric(units, scale=4) -%}
    cast(cast({{ units }} as numeric(18, 0)) * cast({{ '0.' ~ '0' * (scale - 1) ~ '1' }} as numeric(18, {{ scale }})) as numeric(18, {{ scale }}))
{%- endmacro %}

{#- A numeric value with at most `scale` decimals as a bigint count of 1/10^scale units (exact). -#}
{% macro numeric_to_units(value, scale=6) -%}
    cast(({{ value }}) * {{ 10 ** scale }} as bigint)
{%- endmacro %}
