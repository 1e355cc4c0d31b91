{#- Every raw.<format>_call_legs table has the canonical columns (extractors/raw_tables.py), so each
    stg_<pbx>__call_legs model is this one rename/cast over its own source. -#}
{% macro stage_call_legs(table_name) -%}
with

source as (
    select * from {{ source_or_empty('raw', table_name, raw_call_leg_columns()) }} as landed
),

renamed as (
    select
        -- ids
        tenant_id,
        site_id,
        source_format,
        source_record_id,
        call_id,

        -- dimensions
        direction,
        disposition,
        calling_number,
        called_number,
        extension,
        trunk,
        account_code,

        -- measures
        cast(ring_seconds as integer) as ring_seconds,
        cast(duration_seconds as integer) as duration_seconds,

        -- timestamps: timestamptz from dlt -> naive UTC, independent of the session time zone
        started_at at time zone 'UTC' as started_at,
        answered_at at time zone 'UTC' as answered_at,
        ended_at at time zone 'UTC' as ended_at,

        -- audit
        raw,
        extra,
        _dlt_load_id
    from source
)

select * from renamed
{%- endmacro %}
