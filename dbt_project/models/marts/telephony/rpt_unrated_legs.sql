-- Every leg that should have a cost and has none, with the reason (no rate card for carrier X in
-- force, no prefix matches N, no called number, direction unknown). Fix the card or the config,
-- run the build, and the leg leaves this list.
with

legs as (
    select * from {{ ref('fct_call_legs') }}
),

final as (
    select
        tenant_id,
        site_id,
        source_format,
        source_record_id,
        started_at,
        started_local_at,
        direction,
        extension,
        trunk,
        called_number,
        called_e164,
        destination_type,
        rate_card,
        rate_card_version,
        time_band,
        duration_seconds,
        unrated_reason
    from legs
    where unrated_reason is not null
)

select * from final
