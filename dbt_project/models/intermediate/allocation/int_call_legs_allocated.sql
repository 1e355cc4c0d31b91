-- Each leg, rated, and allocated: the cost centre, department and employee its extension (the
-- party it is charged to) belonged to at the leg's start in the site's local time
-- (valid_from <= local date < valid_to, raw.directory), and the project and client of its
-- account code. Unknown members are '-1', so fact keys are never null.
with

legs as (
    select * from {{ ref('int_call_legs_classified') }}
),

rated as (
    select * from {{ ref('int_call_legs_rated') }}
),

directory as (
    select * from {{ ref('stg_reference__directory') }}
),

account_codes as (
    select * from {{ ref('stg_reference__account_codes') }}
),

-- One entry per extension and start date (the latest import wins), ending where the next begins,
-- so a leg meets at most one entry even when imported intervals overlap.
directory_latest as (
    select
        *,
        row_number() over (
            partition by tenant_id, site_id, extension, valid_from
            order by imported_at desc, row_number desc
        ) as recency
    from directory
    where extension is not null
        and valid_from is not null
),

directory_intervals as (
    select
        *,
        lead(valid_from) over (
            partition by tenant_id, site_id, extension order by valid_from
        ) as next_valid_from
    from directory_latest
    where recency = 1
),

directory_entries as (
    select
        tenant_id,
        site_id,
        extension,
        employee,
        department,
        cost_centre,
        gl_account,
        source_file,
        row_number,
        valid_from,
        case
            when next_valid_from is not null and (valid_to is null or next_valid_from < valid_to)
                then next_valid_from
            else valid_to
        end as valid_to
    from directory_intervals
),

account_codes_latest as (
    select
        *,
        row_number() over (
            partition by tenant_id, account_code order by imported_at desc, row_number desc
        ) as recency
    from account_codes
),

final as (
    select
        -- ids
        legs.tenant_id,
        legs.site_id,
        legs.source_format,
        legs.source_record_id,
        legs.call_id,

        -- timestamps
        legs.started_at,
        legs.answered_at,
        legs.ended_at,
        legs.started_local_at,

        -- measures
        legs.ring_seconds,
        legs.duration_seconds,

        -- dimensions
        legs.direction,
        legs.disposition,
        legs.calling_number,
        legs.called_number,
        legs.called_e164,
        legs.calling_e164,
        legs.extension,
        legs.trunk,
        legs.account_code,
        legs.called_country,
        legs.destination_type,
        legs.time_band,

        -- rating
        rated.destination,
        rated.rate_card,
        rated.rate_card_version,
        rated.rated_prefix,
        rated.billed_seconds,
        rated.cost,
        coalesce(rated.currency, legs.tenant_currency) as currency,
        rated.resale_price,
        rated.resale_rate_card_version,
        case
            when rated.source_record_id is null then 'not rated yet (run the build)'
            else rated.unrated_reason
        end as unrated_reason,

        -- allocation
        coalesce(directory_entries.cost_centre, '-1') as cost_centre,
        coalesce(directory_entries.department, '-1') as department,
        coalesce(directory_entries.employee, '-1') as employee,
        directory_entries.gl_account,
        case
            when directory_entries.source_file is not null
                then directory_entries.source_file || '#' || cast(directory_entries.row_number as text)
        end as directory_entry,
        coalesce(account_codes_latest.project, '-1') as project,
        coalesce(account_codes_latest.client, '-1') as client,

        -- audit
        legs.raw
    from legs
    left join rated
        on legs.tenant_id = rated.tenant_id
        and legs.site_id = rated.site_id
        and legs.source_format = rated.source_format
        and legs.source_record_id = rated.source_record_id
        and legs.rating_fingerprint = rated.rating_fingerprint
    left join directory_entries
        on legs.tenant_id = directory_entries.tenant_id
        and legs.site_id = directory_entries.site_id
        and legs.extension = directory_entries.extension
        and legs.started_local_date >= directory_entries.valid_from
        and (directory_entries.valid_to is null or legs.started_local_date < directory_entries.valid_to)
    left join account_codes_latest
        on legs.tenant_id = account_codes_latest.tenant_id
        and legs.account_code = account_codes_latest.account_code
        and account_codes_latest.recency = 1
)

select * from final
