{#- The prefix lengths present in a lookup relation, longest first, so the longest-prefix join
    chain (macros/longest_prefix.sql) probes only lengths that can match: 2 joins instead of 15
    for a card of 2- and 5-digit prefixes. Asked of the warehouse when the model is built (the
    lookup is upstream, so it is already current); `fallback` (every length) when the relation is
    not built yet and in unit tests, whose fixtures are not in the warehouse. A card with new
    lengths changes the fingerprint of the legs it covers, so they are re-rated with a new chain. -#}
{% macro prefix_lengths(relation, fallback, where='1 = 1', column='prefix') -%}
    {%- set lengths = fallback -%}
    {%- if execute and model.resource_type == 'model' and load_relation(relation) is not none -%}
        {%- set found = run_query(
            'select distinct length(' ~ column ~ ') from ' ~ relation ~ ' where ' ~ where
            ~ ' and ' ~ column ~ ' is not null order by 1 desc'
        ).columns[0].values() | map('int') | list -%}
        {%- set lengths = found -%}
    {%- endif -%}
    {{ return(lengths) }}
{%- endmacro %}
