-- Every leg costed by a card says which card (rate_card), version and prefix produced the cost,
-- so a statement can trace each amount. Legs free by rule (unanswered, inbound, internal) are
-- excluded. Returns the costed legs that do not say.
select
    tenant_id,
    site_id,
    source_format,
    source_record_id
from {{ ref('fct_call_legs') }}
where direction = 'outbound'
    and disposition = 'answered'
    and coalesce(destination_type, '') <> 'internal'
    and cost is not null
    and (rate_card is null or rate_card_version is null or rated_prefix is null)
