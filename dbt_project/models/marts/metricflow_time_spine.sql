-- One row per day from 2000-01-01 to 2049-12-31: the time spine MetricFlow joins metrics to
-- (docs/semantic-layer.md). Portable: an integer series added to a date, no generate_series.
with

days as (
    select n from {{ integer_series(18263) }}
),

final as (
    select cast({{ dbt.dateadd('day', 'n', "cast('2000-01-01' as date)") }} as date) as date_day
    from days
)

select * from final
