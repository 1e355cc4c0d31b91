-- Every extension legs were charged to, per tenant and site, plus a '-1' member per site for
-- legs with no extension, so facts never join to nothing.
with

legs as (
    select * from {{ ref('int_call_legs') }}
),

sites as (
    select * from {{ ref('stg_config__sites') }}
),

seen as (
    select
        tenant_id,
        site_id,
        extension,
        min(started_at) as first_seen_at,
        max(started_at) as last_seen_at,
        count(*) as legs
    from legs
    where extension is not null
    group by tenant_id, site_id, extension
),

missing_members as (
    select
        tenant_id,
        site_id,
        '-1' as extension,
        cast(null as timestamp) as first_seen_at,
        cast(null as timestamp) as last_seen_at,
        0 as legs
    from sites
),

final as (
    select tenant_id, site_id, extension, first_seen_at, last_seen_at, cast(legs as bigint) as legs
    from seen
    union all
    select tenant_id, site_id, extension, first_seen_at, last_seen_at, cast(legs as bigint) as legs
    from missing_members
)

select * from final
