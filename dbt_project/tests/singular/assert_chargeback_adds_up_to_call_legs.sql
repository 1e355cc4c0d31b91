-- fct_chargeback_monthly must add up exactly (to the 4th decimal, per tenant and currency) to the
-- rounded costs of fct_call_legs, with the same number of legs: finance reconciles the two.
-- Returns the tenants and currencies where they differ.
with

legs as (
    select
        tenant_id,
        currency,
        count(*) as legs,
        coalesce(sum(cost), 0) as cost
    from {{ ref('fct_call_legs') }}
    group by tenant_id, currency
),

chargeback as (
    select
        tenant_id,
        currency,
        sum(legs) as legs,
        coalesce(sum(cost), 0) as cost
    from {{ ref('fct_chargeback_monthly') }}
    group by tenant_id, currency
)

select
    coalesce(legs.tenant_id, chargeback.tenant_id) as tenant_id,
    coalesce(legs.currency, chargeback.currency) as currency,
    legs.legs as leg_count,
    chargeback.legs as chargeback_leg_count,
    legs.cost as leg_cost,
    chargeback.cost as chargeback_cost
from legs
full outer join chargeback
    on legs.tenant_id = chargeback.tenant_id
    and legs.currency = chargeback.currency
where legs.cost is distinct from chargeback.cost
    or legs.legs is distinct from chargeback.legs
