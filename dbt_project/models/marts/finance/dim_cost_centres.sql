-- Every cost centre of the directory per tenant, with its department and GL account as of its
-- latest directory entry, plus a '-1' missing member per tenant for unallocated legs.
with

directory as (
    select * from {{ ref('stg_reference__directory') }}
),

tenants as (
    select * from {{ ref('stg_config__tenants') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by tenant_id, cost_centre
            order by valid_from desc, imported_at desc, row_number desc
        ) as recency
    from directory
    where cost_centre is not null
),

extensions as (
    select
        tenant_id,
        cost_centre,
        count(distinct extension) as extensions
    from directory
    where cost_centre is not null
    group by tenant_id, cost_centre
),

known as (
    select
        ranked.tenant_id,
        ranked.cost_centre,
        ranked.department,
        ranked.gl_account,
        extensions.extensions
    from ranked
    inner join extensions
        on ranked.tenant_id = extensions.tenant_id
        and ranked.cost_centre = extensions.cost_centre
    where ranked.recency = 1
),

missing_members as (
    select
        tenant_id,
        '-1' as cost_centre,
        '-1' as department,
        cast(null as text) as gl_account,
        0 as extensions
    from tenants
),

final as (
    select
        tenant_id,
        cost_centre,
        department,
        gl_account,
        cast(extensions as bigint) as extensions
    from known
    union all
    select
        tenant_id,
        cost_centre,
        department,
        gl_account,
        cast(extensions as bigint) as extensions
    from missing_members
)

select * from final
