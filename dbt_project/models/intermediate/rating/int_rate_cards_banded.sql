{{ config(materialized='table', post_hook="{{ analyze_relation(this) }}") }}
-- The rate card resolved per leg band: for each version, band (peak, offpeak, weekend) and prefix,
-- the one row that applies: the row for that band, else the row for `any`. The rating model then
-- only needs the longest prefix among these rows (docs/design.md, "Rating rules"). A table, not a
-- view: the rating lookup reads it once per prefix length.
with

cards as (
    select * from {{ ref('stg_reference__rate_cards') }}
    where rate_per_minute is not null
        and {{ is_digits('prefix') }}
),

bands as (
    select 'peak' as leg_band
    union all
    select 'offpeak' as leg_band
    union all
    select 'weekend' as leg_band
),

candidates as (
    select
        cards.*,
        bands.leg_band,
        row_number() over (
            partition by cards.version_id, bands.leg_band, cards.prefix
            -- the band's own row beats `any`; duplicates within a version: first row wins
            order by case when cards.time_band = bands.leg_band then 0 else 1 end, cards.row_number
        ) as preference
    from cards
    inner join bands
        on cards.time_band = bands.leg_band
        or cards.time_band = 'any'
),

final as (
    select
        version_id,
        is_resale,
        leg_band,
        prefix,
        cast(length(prefix) as integer) as prefix_length,
        time_band as card_time_band,
        row_number as card_row_number,
        destination,
        rate_per_minute,
        connection_fee,
        minimum_seconds,
        initial_increment,
        subsequent_increment,
        currency
    from candidates
    where preference = 1
)

select * from final
