-- Per trunk: the time-consistent busy hour (the local hour of day with the highest average
-- offered erlangs over the period) and the single busiest hour, with Erlang-B blocking on the
-- configured channels and the channels needed for the grade of service (var
-- callmeter_capacity_gos, default 1 %) at each. Erlang-B runs as a recursive CTE over channels:
-- B(0) = 1, B(n) = A * B(n-1) / (n + A * B(n-1)), the recurrence callmeter/erlang.py uses.
{%- set gos = var('callmeter_capacity_gos', 0.01) %}
{%- set max_channels = 100000 %}
with recursive

hourly as (
    select * from {{ ref('fct_trunk_hourly') }}
),

trunks as (
    select * from {{ ref('dim_trunks') }}
),

periods as (
    select
        tenant_id,
        site_id,
        trunk,
        min(hour_at) as first_hour_at,
        max(hour_at) as last_hour_at,
        -- calendar days in the site's local time, idle days included
        {{ dbt.datediff('min(cast(hour_local_at as date))', 'max(cast(hour_local_at as date))', 'day') }}
            + 1 as days,
        max(peak_concurrent_legs) as peak_concurrent_legs
    from hourly
    group by tenant_id, site_id, trunk
),

by_hour_of_day as (
    select
        tenant_id,
        site_id,
        trunk,
        cast(extract(hour from hour_local_at) as integer) as local_hour,
        sum(offered_erlangs) as erlangs
    from hourly
    group by tenant_id, site_id, trunk, cast(extract(hour from hour_local_at) as integer)
),

-- ties go to the earlier hour
time_consistent_ranked as (
    select
        *,
        row_number() over (
            partition by tenant_id, site_id, trunk order by erlangs desc, local_hour
        ) as rank_in_trunk
    from by_hour_of_day
),

busiest_ranked as (
    select
        *,
        row_number() over (
            partition by tenant_id, site_id, trunk order by offered_erlangs desc, hour_at
        ) as rank_in_trunk
    from hourly
),

busy_hours as (
    select
        periods.tenant_id,
        periods.site_id,
        periods.trunk,
        periods.first_hour_at,
        periods.last_hour_at,
        periods.days,
        periods.peak_concurrent_legs,
        time_consistent.local_hour as busy_hour_of_day,
        cast({{ decimal_div_round('time_consistent.erlangs', 'periods.days', 6) }} as numeric(18, 6))
            as busy_hour_erlangs,
        busiest.hour_at as busiest_hour_at,
        busiest.hour_local_at as busiest_hour_local_at,
        busiest.offered_erlangs as busiest_hour_erlangs,
        busiest.peak_concurrent_legs as busiest_hour_peak_concurrent_legs,
        trunks.channels
    from periods
    inner join time_consistent_ranked as time_consistent
        on periods.tenant_id = time_consistent.tenant_id
        and periods.site_id = time_consistent.site_id
        and periods.trunk = time_consistent.trunk
        and time_consistent.rank_in_trunk = 1
    inner join busiest_ranked as busiest
        on periods.tenant_id = busiest.tenant_id
        and periods.site_id = busiest.site_id
        and periods.trunk = busiest.trunk
        and busiest.rank_in_trunk = 1
    left join trunks
        on periods.tenant_id = trunks.tenant_id
        and periods.site_id = trunks.site_id
        and periods.trunk = trunks.trunk
),

-- one row per trunk and channel count n, until n covers the configured channels and both
-- traffics meet the grade of service
erlang_b as (
    select
        tenant_id,
        site_id,
        trunk,
        coalesce(channels, 0) as channels,
        cast(busy_hour_erlangs as double precision) as busy_a,
        cast(busiest_hour_erlangs as double precision) as busiest_a,
        1 as n,
        cast(busy_hour_erlangs as double precision)
            / (1 + cast(busy_hour_erlangs as double precision)) as busy_b,
        cast(busiest_hour_erlangs as double precision)
            / (1 + cast(busiest_hour_erlangs as double precision)) as busiest_b
    from busy_hours
    union all
    select
        tenant_id,
        site_id,
        trunk,
        channels,
        busy_a,
        busiest_a,
        n + 1 as n,
        busy_a * busy_b / (n + 1 + busy_a * busy_b) as busy_b,
        busiest_a * busiest_b / (n + 1 + busiest_a * busiest_b) as busiest_b
    from erlang_b
    where
        n < {{ max_channels }}
        and (n < channels or busy_b > {{ gos }} or busiest_b > {{ gos }})
),

sizing as (
    select
        tenant_id,
        site_id,
        trunk,
        max(case when n = channels then busy_b end) as busy_hour_blocking,
        min(case when busy_b <= {{ gos }} then n end) as busy_hour_channels_needed,
        max(case when n = channels then busiest_b end) as busiest_hour_blocking,
        min(case when busiest_b <= {{ gos }} then n end) as busiest_hour_channels_needed
    from erlang_b
    group by tenant_id, site_id, trunk
),

final as (
    select
        -- ids
        busy_hours.tenant_id,
        busy_hours.site_id,
        busy_hours.trunk,

        -- the period observed
        busy_hours.first_hour_at,
        busy_hours.last_hour_at,
        cast(busy_hours.days as integer) as days,
        cast(busy_hours.channels as integer) as channels,
        cast(busy_hours.peak_concurrent_legs as integer) as peak_concurrent_legs,
        cast({{ gos }} as double precision) as grade_of_service,

        -- time-consistent busy hour
        busy_hours.busy_hour_of_day,
        busy_hours.busy_hour_erlangs,
        cast(case
            when busy_hours.channels is null then null
            when busy_hours.busy_hour_erlangs = 0 then 0
            else sizing.busy_hour_blocking
        end as double precision) as busy_hour_blocking,
        cast(case
            when busy_hours.busy_hour_erlangs = 0 then 0
            else sizing.busy_hour_channels_needed
        end as integer) as busy_hour_channels_needed,

        -- single busiest hour
        busy_hours.busiest_hour_at,
        busy_hours.busiest_hour_local_at,
        busy_hours.busiest_hour_erlangs,
        busy_hours.busiest_hour_peak_concurrent_legs,
        cast(case
            when busy_hours.channels is null then null
            when busy_hours.busiest_hour_erlangs = 0 then 0
            else sizing.busiest_hour_blocking
        end as double precision) as busiest_hour_blocking,
        cast(case
            when busy_hours.busiest_hour_erlangs = 0 then 0
            else sizing.busiest_hour_channels_needed
        end as integer) as busiest_hour_channels_needed
    from busy_hours
    inner join sizing
        on busy_hours.tenant_id = sizing.tenant_id
        and busy_hours.site_id = sizing.site_id
        and busy_hours.trunk = sizing.trunk
)

select * from final
