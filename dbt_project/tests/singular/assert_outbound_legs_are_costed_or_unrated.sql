-- The design forbids costing an unmatched outbound leg 0: every answered outbound leg to an
-- external number has either a cost or an unrated_reason, never both and never neither; and
-- every leg with a reason is listed in rpt_unrated_legs. Returns the legs that break this.
with

legs as (
    select * from {{ ref('fct_call_legs') }}
),

unrated as (
    select * from {{ ref('rpt_unrated_legs') }}
)

select
    legs.tenant_id,
    legs.site_id,
    legs.source_format,
    legs.source_record_id
from legs
left join unrated
    on legs.tenant_id = unrated.tenant_id
    and legs.site_id = unrated.site_id
    and legs.source_format = unrated.source_format
    and legs.source_record_id = unrated.source_record_id
where (legs.cost is null) = (legs.unrated_reason is null)
    or (legs.unrated_reason is not null and unrated.source_record_id is null)
