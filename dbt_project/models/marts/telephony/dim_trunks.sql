-- Every trunk a leg used or callmeter.yaml names, with its carrier (the site's unless the
-- `trunks:` map names another) and its channel count where configured.
with

legs as (
    select * from {{ ref('int_call_legs') }}
),

sites as (
    select * from {{ ref('stg_config__sites') }}
),

configured as (
    select * from {{ ref('stg_config__site_trunks') }}
),

seen as (
    select
        tenant_id,
        site_id,
        trunk,
        min(started_at) as first_seen_at,
        max(started_at) as last_seen_at,
        count(*) as legs
    from legs
    where trunk is not null
    group by tenant_id, site_id, trunk
),

trunks as (
    select tenant_id, site_id, trunk from seen
    union
    select tenant_id, site_id, trunk from configured
),

final as (
    select
        trunks.tenant_id,
        trunks.site_id,
        trunks.trunk,
        coalesce(configured.carrier, sites.carrier) as carrier,
        configured.channels,
        seen.first_seen_at,
        seen.last_seen_at,
        cast(coalesce(seen.legs, 0) as bigint) as legs
    from trunks
    left join configured
        on trunks.tenant_id = configured.tenant_id
        and trunks.site_id = configured.site_id
        and trunks.trunk = configured.trunk
    left join seen
        on trunks.tenant_id = seen.tenant_id
        and trunks.site_id = seen.site_id
        and trunks.trunk = seen.trunk
    left join sites
        on trunks.tenant_id = sites.tenant_id
        and trunks.site_id = sites.site_id
)

select * from final
