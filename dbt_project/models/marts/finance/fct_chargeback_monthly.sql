-- Cost per tenant, cost centre and month (the first of the month in the site's local time) and
-- currency. Built from fct_call_legs, so its costs add up exactly to the legs' rounded costs
-- (tests/singular/assert_chargeback_adds_up_to_call_legs.sql). Unrated legs count in `legs`
-- and add nothing to `cost` (rpt_unrated_legs lists them).
with

legs as (
    select * from {{ ref('fct_call_legs') }}
),

monthly as (
    select
        tenant_id,
        cost_centre,
        cast({{ dbt.date_trunc('month', 'started_local_at') }} as date) as month,
        currency,
        count(*) as legs,
        sum(cost) as cost
    from legs
    group by
        tenant_id,
        cost_centre,
        cast({{ dbt.date_trunc('month', 'started_local_at') }} as date),
        currency
),

final as (
    select
        tenant_id,
        cost_centre,
        month,
        cast(legs as bigint) as legs,
        cast(coalesce(cost, 0) as numeric(18, 4)) as cost,
        currency
    from monthly
)

select * from final
