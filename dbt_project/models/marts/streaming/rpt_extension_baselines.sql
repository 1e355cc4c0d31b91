-- Per-extension baselines for the sidecar's anomaly rule (docs/streaming.md, "Baselines"): for
-- every extension, hour of week (0 = Monday 00:00-00:59 in the site's zone) and metric (calls,
-- minutes, distinct_destinations of its outbound legs), the mean and population standard
-- deviation over the weeks the extension was seen, counting weeks without calls in that hour as 0.
with

legs as (
    select * from {{ ref('fct_call_legs') }}
    where direction = 'outbound' and extension is not null
),

hourly as (
    select
        tenant_id,
        site_id,
        extension,
        {{ dbt.date_trunc('week', 'started_local_at') }} as week_start,
        cast((extract(isodow from started_local_at) - 1) * 24
            + extract(hour from started_local_at) as integer) as hour_of_week,
        count(*) as calls,
        sum(duration_seconds) as talk_seconds,
        count(distinct coalesce(called_e164, called_number)) as distinct_destinations
    from legs
    group by 1, 2, 3, 4, 5
),

weeks_seen as (
    select
        tenant_id,
        site_id,
        extension,
        count(distinct week_start) as weeks
    from hourly
    group by 1, 2, 3
),

measures as (
    select tenant_id, site_id, extension, hour_of_week, 'calls' as metric,
        cast(calls as numeric(18, 4)) as value
    from hourly
    union all
    select tenant_id, site_id, extension, hour_of_week, 'minutes' as metric,
        cast(talk_seconds as numeric(18, 4)) / 60 as value
    from hourly
    union all
    select tenant_id, site_id, extension, hour_of_week, 'distinct_destinations' as metric,
        cast(distinct_destinations as numeric(18, 4)) as value
    from hourly
),

sums as (
    select
        measures.tenant_id,
        measures.site_id,
        measures.extension,
        measures.hour_of_week,
        measures.metric,
        sum(measures.value) as total,
        sum(measures.value * measures.value) as total_squares,
        max(weeks_seen.weeks) as weeks
    from measures
    inner join weeks_seen
        on measures.tenant_id = weeks_seen.tenant_id
        and measures.site_id = weeks_seen.site_id
        and measures.extension = weeks_seen.extension
    group by 1, 2, 3, 4, 5
),

final as (
    select
        tenant_id,
        site_id,
        extension,
        hour_of_week,
        metric,
        cast(weeks as integer) as weeks,
        cast(total / weeks as numeric(18, 4)) as mean,
        cast(
            sqrt(greatest(cast(total_squares / weeks - (total / weeks) * (total / weeks) as double precision), 0))
            as numeric(18, 4)
        ) as stddev
    from sums
)

select * from final
