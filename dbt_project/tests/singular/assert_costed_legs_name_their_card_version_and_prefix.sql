-- Every leg costed by a card says which card (rate_card), version and prefix produced the cost,
-- so a statement can trace each amount. Legs free by rule (unanswered, inbound, internal, the
-- PBX-side hop of a B2BUA pair) are excluded. Returns the costed legs that do not say.
select
    legs.tenant_id,
    legs.site_id,
    legs.source_format,
    legs.source_record_id
from {{ ref('fct_call_legs') }} as legs
left join {{ ref('int_call_legs_rated') }} as rated
    on legs.tenant_id = rated.tenant_id
    and legs.site_id = rated.site_id
    and legs.source_format = rated.source_format
    and legs.source_record_id = rated.source_record_id
where legs.direction = 'outbound'
    and legs.disposition = 'answered'
    and coalesce(legs.destination_type, '') <> 'internal'
    and legs.cost is not null
    and not coalesce(rated.is_b2bua_hop, false)
    and (legs.rate_card is null or legs.rate_card_version is null or legs.rated_prefix is null)
