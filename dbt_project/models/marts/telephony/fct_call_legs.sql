-- One row per leg: the canonical fields plus tenant, site, E.164 numbers, the tariff columns
-- (destination, band, card, version, prefix, billed seconds, cost, resale price) and the
-- allocation columns (cost centre, department, employee, project, client). docs/rating.md.
with

legs as (
    select * from {{ ref('int_call_legs_allocated') }}
),

final as (
    select
        -- ids
        tenant_id,
        site_id,
        source_format,
        source_record_id,
        call_id,

        -- timestamps (UTC; started_local_at in the site's time zone)
        started_at,
        answered_at,
        ended_at,
        started_local_at,

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

        -- tariff
        destination,
        destination_type,
        called_country,
        rate_card,
        rate_card_version,
        rated_prefix,
        time_band,
        billed_seconds,
        cost,
        currency,
        resale_price,
        resale_rate_card_version,
        unrated_reason,

        -- allocation
        cost_centre,
        department,
        employee,
        project,
        client,
        gl_account,
        directory_entry,

        -- audit
        raw
    from legs
)

select * from final
