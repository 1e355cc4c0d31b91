-- One row per call: the legs of fct_call_legs grouped by tenant, site, format and call_id, with
-- the first caller, the final answering extension, direction, disposition, ring and talk totals,
-- the transfer path, the transfer/forward flags and the call's cost with the trunk that cost it.
-- The rules, and why each was chosen, are in docs/calls.md.
with

legs as (
    select * from {{ ref('int_call_legs_sequenced') }}
),

leg_costs as (
    select
        tenant_id,
        site_id,
        source_format,
        source_record_id,
        cost,
        resale_price,
        currency
    from {{ ref('fct_call_legs') }}
),

costed as (
    select
        legs.*,
        leg_costs.cost,
        leg_costs.resale_price,
        leg_costs.currency
    from legs
    left join leg_costs
        on legs.tenant_id = leg_costs.tenant_id
        and legs.site_id = leg_costs.site_id
        and legs.source_format = leg_costs.source_format
        and legs.source_record_id = leg_costs.source_record_id
),

first_legs as (
    select
        tenant_id,
        site_id,
        source_format,
        call_id,
        calling_number,
        extension,
        direction,
        disposition
    from costed
    where leg_number = 1
),

-- the internal party of the last answered leg, preferring legs that are not on a trunk
answerers as (
    select
        tenant_id,
        site_id,
        source_format,
        call_id,
        answering_party,
        row_number() over (
            partition by tenant_id, site_id, source_format, call_id
            order by
                case when trunk is null then 0 else 1 end,
                answered_at desc,
                leg_number desc
        ) as answer_rank
    from costed
    where answering_party is not null
),

-- the costliest outbound leg (unrated legs last, then the earliest)
costing_legs as (
    select
        tenant_id,
        site_id,
        source_format,
        call_id,
        trunk,
        source_record_id,
        row_number() over (
            partition by tenant_id, site_id, source_format, call_id
            order by cost desc nulls last, leg_number
        ) as cost_rank
    from costed
    where direction = 'outbound'
),

totals as (
    select
        tenant_id,
        site_id,
        source_format,
        call_id,
        min(started_at) as call_started_at,
        max(ended_at) as call_ended_at,
        min(case when is_party_leg then answered_at end) as first_answered_at,
        count(*) as leg_count,
        sum(case when direction = 'outbound' then 1 else 0 end) as outbound_legs,
        sum(case when direction = 'internal' then 1 else 0 end) as internal_legs,
        sum(case when adds_talk then duration_seconds else 0 end) as talk_seconds,
        string_agg(path_step, ' > ' order by leg_number) as transfer_path,
        count(distinct answering_party) as answering_parties,
        max(case when has_transfer_signal then 1 else 0 end) as transfer_signal,
        max(
            case when has_forward_signal then 1 when not has_forward_signal then 0 end
        ) as forward_signal,
        sum(case when cost is null then 1 else 0 end) as unrated_legs,
        sum(cost) as cost,
        sum(case when resale_price is null then 1 else 0 end) as unpriced_legs,
        sum(resale_price) as resale_price,
        max(currency) as currency
    from costed
    group by tenant_id, site_id, source_format, call_id
),

final as (
    select
        -- ids
        totals.tenant_id,
        totals.site_id,
        totals.source_format,
        totals.call_id,

        -- timestamps (UTC)
        totals.call_started_at,
        totals.first_answered_at,
        totals.call_ended_at,

        -- parties
        first_legs.calling_number,
        first_legs.extension as first_extension,
        answerers.answering_party as answering_extension,
        totals.transfer_path,

        -- classification
        case
            when first_legs.direction = 'inbound' then 'inbound'
            when totals.outbound_legs > 0 then 'outbound'
            when totals.internal_legs > 0 or first_legs.direction = 'internal' then 'internal'
            else 'unknown'
        end as direction,
        case
            when totals.first_answered_at is not null then 'answered'
            else first_legs.disposition
        end as disposition,
        totals.transfer_signal = 1 or totals.answering_parties > 1 as is_transferred,
        case
            when totals.forward_signal is not null then totals.forward_signal = 1
        end as is_forwarded,

        -- measures
        cast(totals.leg_count as integer) as leg_count,
        cast(
            floor(
                extract(epoch from (
                    coalesce(totals.first_answered_at, totals.call_ended_at)
                    - totals.call_started_at
                ))
            ) as integer
        ) as ring_seconds,
        cast(totals.talk_seconds as integer) as talk_seconds,

        -- cost
        costing_legs.trunk as costing_trunk,
        costing_legs.source_record_id as costing_leg_id,
        cast(case when totals.unrated_legs = 0 then totals.cost end as numeric(18, 4)) as cost,
        cast(
            case when totals.unpriced_legs = 0 then totals.resale_price end as numeric(18, 4)
        ) as resale_price,
        totals.currency,
        cast(totals.unrated_legs as integer) as unrated_legs
    from totals
    inner join first_legs
        on totals.tenant_id = first_legs.tenant_id
        and totals.site_id = first_legs.site_id
        and totals.source_format = first_legs.source_format
        and totals.call_id = first_legs.call_id
    left join answerers
        on totals.tenant_id = answerers.tenant_id
        and totals.site_id = answerers.site_id
        and totals.source_format = answerers.source_format
        and totals.call_id = answerers.call_id
        and answerers.answer_rank = 1
    left join costing_legs
        on totals.tenant_id = costing_legs.tenant_id
        and totals.site_id = costing_legs.site_id
        and totals.source_format = costing_legs.source_format
        and totals.call_id = costing_legs.call_id
        and costing_legs.cost_rank = 1
)

select * from final
