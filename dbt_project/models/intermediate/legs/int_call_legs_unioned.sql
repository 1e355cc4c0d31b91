-- Every source's staged legs in one relation. A new PBX format adds one line to `formats`.
{%- set formats = ['3cx', 'teams', 'zoom', 'cucm', 'avaya', 'mitel', 'sip', 'asterisk', 'freeswitch'] %}

with

{% for fmt in formats %}
{{ fmt | replace('3cx', 'three_cx') }} as (
    select * from {{ ref('stg_' ~ fmt ~ '__call_legs') }}
),
{% endfor %}

unioned as (
{%- for fmt in formats %}
    select * from {{ fmt | replace('3cx', 'three_cx') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
)

select * from unioned
