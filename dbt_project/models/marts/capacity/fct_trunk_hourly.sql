-- Per tenant, site, trunk and UTC hour: legs started in the hour, talk minutes and offered
-- traffic overlapping the hour (legs split exactly at hour boundaries), and the peak number of
-- concurrent legs from an event sweep. Only legs with a trunk. docs/capacity.md.
with

legs as (
    select
        tenant_id,
        site_id,
        trunk,
        site_timezone,
        started_at,
        answered_at,
        -- a leg that ends before it starts (a skewed PBX clock) occupies no time at all
        case when ended_at < started_at then started_at else ended_at end as ended_at
    from {{ ref('int_call_legs') }}
    where trunk is not null
),

-- one row per leg and UTC hour it started in or overlaps; an end exactly on the hour does not
-- reach into the next hour (intervals are half-open)
leg_hours_expanded as (
    select
        legs.*,
        {{ dbt.date_trunc('hour', 'started_at') }} as start_hour_at,
        {{ hour_series(dbt.date_trunc('hour', 'started_at'), dbt.date_trunc('hour', 'ended_at')) }}
            as hour_at
    from legs
),

leg_hours as (
    select
        *,
        hour_at + interval '1 hour' as hour_end_at
    from leg_hours_expanded
    where hour_at = start_hour_at or hour_at < ended_at
),

leg_hour_measures as (
    select
        tenant_id,
        site_id,
        trunk,
        site_timezone,
        hour_at,
        case when hour_at = start_hour_at then 1 else 0 end as started_here,
        case when hour_at = start_hour_at and answered_at is not null then 1 else 0 end
            as answered_here,
        case
            when answered_at is null then 0
            else greatest(0, {{ milliseconds_between(
                'greatest(answered_at, hour_at)', 'least(ended_at, hour_end_at)') }})
        end as talk_ms,
        greatest(0, {{ milliseconds_between(
            'greatest(started_at, hour_at)', 'least(ended_at, hour_end_at)') }}) as seized_ms
    from leg_hours
),

hourly_volume as (
    select
        tenant_id,
        site_id,
        trunk,
        hour_at,
        max(site_timezone) as site_timezone,
        sum(started_here) as legs,
        sum(answered_here) as answered_legs,
        sum(talk_ms) as talk_ms,
        sum(seized_ms) as seized_ms
    from leg_hour_measures
    group by tenant_id, site_id, trunk, hour_at
),

-- Event sweep: +1 when a leg starts occupying the trunk (answer, else start), -1 when it ends,
-- and a 0 marker at each hour start so a leg already in progress counts in the hour it spans.
-- At one instant ends sort before markers before starts: back-to-back legs are not concurrent.
occupying as (
    select
        tenant_id,
        site_id,
        trunk,
        coalesce(answered_at, started_at) as occupied_from,
        ended_at
    from legs
    where ended_at > coalesce(answered_at, started_at)
),

events as (
    select tenant_id, site_id, trunk, occupied_from as event_at, 1 as delta from occupying
    union all
    select tenant_id, site_id, trunk, ended_at as event_at, -1 as delta from occupying
    union all
    select tenant_id, site_id, trunk, hour_at as event_at, 0 as delta from hourly_volume
),

levels as (
    select
        tenant_id,
        site_id,
        trunk,
        event_at,
        sum(delta) over (
            partition by tenant_id, site_id, trunk
            order by event_at, delta
            rows between unbounded preceding and current row
        ) as concurrent_legs
    from events
),

hourly_peaks as (
    select
        tenant_id,
        site_id,
        trunk,
        {{ dbt.date_trunc('hour', 'event_at') }} as hour_at,
        max(concurrent_legs) as peak_concurrent_legs
    from levels
    group by tenant_id, site_id, trunk, {{ dbt.date_trunc('hour', 'event_at') }}
),

final as (
    select
        -- ids
        hourly_volume.tenant_id,
        hourly_volume.site_id,
        hourly_volume.trunk,

        -- timestamps
        hourly_volume.hour_at,
        {{ local_timestamp('hourly_volume.hour_at', 'hourly_volume.site_timezone') }}
            as hour_local_at,

        -- measures
        cast(hourly_volume.legs as bigint) as legs,
        cast(hourly_volume.answered_legs as bigint) as answered_legs,
        cast({{ decimal_div_round('hourly_volume.talk_ms', 60000, 4) }} as numeric(18, 4))
            as minutes,
        cast(coalesce(hourly_peaks.peak_concurrent_legs, 0) as integer) as peak_concurrent_legs,
        cast({{ decimal_div_round('hourly_volume.seized_ms', 3600000, 6) }} as numeric(18, 6))
            as offered_erlangs
    from hourly_volume
    left join hourly_peaks
        on hourly_volume.tenant_id = hourly_peaks.tenant_id
        and hourly_volume.site_id = hourly_peaks.site_id
        and hourly_volume.trunk = hourly_peaks.trunk
        and hourly_volume.hour_at = hourly_peaks.hour_at
)

select * from final
