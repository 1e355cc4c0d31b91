-- Every rate card version with the date it stops being in force: a version is complete and
-- replaces the previous one of the same carrier, tenant scope (a tenant or every tenant) and kind
-- (cost or resale) from its effective_from date. Dates are site-local. Also the version's peak
-- window: 08:00-18:00 unless its rows say otherwise (optional peak_start / peak_end columns).
with

versions as (
    select * from {{ ref('stg_reference__rate_card_versions') }}
),

cards as (
    select * from {{ ref('stg_reference__rate_cards') }}
),

peak_windows as (
    select
        version_id,
        min(peak_start_minute) as peak_start_minute,
        min(peak_end_minute) as peak_end_minute
    from cards
    group by version_id
),

scheduled as (
    select
        versions.version_id,
        versions.carrier,
        versions.tenant_id,
        versions.is_resale,
        versions.effective_from,
        lead(versions.effective_from) over (
            partition by versions.carrier, coalesce(versions.tenant_id, '*'), versions.is_resale
            order by versions.effective_from
        ) as effective_to,
        versions.imported_at,
        coalesce(peak_windows.peak_start_minute, 480) as peak_start_minute,
        coalesce(peak_windows.peak_end_minute, 1080) as peak_end_minute
    from versions
    left join peak_windows on versions.version_id = peak_windows.version_id
)

select * from scheduled
