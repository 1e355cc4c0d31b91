-- Rate card rows of every version, with the design's defaults applied to blank optional cells
-- (connection_fee 0, minimum 0, increments 1, band `any`). peak_start / peak_end are optional
-- columns ('HH:MM', local time) by which a card moves its peak window (docs/rating.md).
{%- set relation = source('raw', 'rate_cards') %}
with

source as (
    select
        *,
        {{ optional_column(relation, 'peak_start', 'text') }} as peak_start_text,
        {{ optional_column(relation, 'peak_end', 'text') }} as peak_end_text
    from {{ source_or_empty('raw', 'rate_cards', [
        ('version_id', 'text'), ('carrier', 'text'), ('tenant_id', 'text'),
        ('is_resale', 'boolean'), ('effective_from', 'date'), ('row_number', 'bigint'),
        ('prefix', 'text'), ('destination', 'text'), ('rate_per_minute', 'numeric(18, 6)'),
        ('connection_fee', 'numeric(18, 6)'), ('minimum_seconds', 'bigint'),
        ('initial_increment', 'bigint'), ('subsequent_increment', 'bigint'),
        ('time_band', 'text'), ('currency', 'text'),
    ]) }} as raw_rows
),

renamed as (
    select
        -- ids
        version_id,
        cast(row_number as bigint) as row_number,

        -- version
        carrier,
        tenant_id,
        coalesce(is_resale, false) as is_resale,
        cast(effective_from as date) as effective_from,

        -- the row
        trim(prefix) as prefix,
        destination,
        cast(rate_per_minute as numeric(18, 6)) as rate_per_minute,
        cast(coalesce(connection_fee, 0) as numeric(18, 6)) as connection_fee,
        cast(coalesce(minimum_seconds, 0) as integer) as minimum_seconds,
        cast(coalesce(initial_increment, 1) as integer) as initial_increment,
        cast(coalesce(subsequent_increment, 1) as integer) as subsequent_increment,
        coalesce(nullif(lower(trim(time_band)), ''), 'any') as time_band,
        nullif(trim(currency), '') as currency,

        -- optional peak window (minutes since local midnight)
        {{ hhmm_to_minutes('peak_start_text') }} as peak_start_minute,
        {{ hhmm_to_minutes('peak_end_text') }} as peak_end_minute
    from source
)

select * from renamed
