-- One row per leg: the canonical fields plus tenant, site and the E.164 numbers.
-- The tariff models add destination, band, billed seconds, cost and allocation columns.
with

legs as (
    select * from {{ ref('int_call_legs') }}
),

final as (
    select
        -- ids
        tenant_id,
        site_id,
        source_format,
        source_record_id,
        call_id,

        -- timestamps (UTC)
        started_at,
        answered_at,
        ended_at,

        -- measures
        ring_seconds,
        duration_seconds,

        -- dimensions
        direction,
        disposition,
        calling_number,
        called_number,
        called_e164,
        calling_e164,
        extension,
        trunk,
        account_code,

        -- audit
        raw
    from legs
)

select * from final
