-- The unified legs with their site's dial plan applied: called_e164 and calling_e164 are the
-- E.164 digits (no '+') of the numbers as dialled, null for internal numbers (macros/to_e164.sql).
with

legs as (
    select * from {{ ref('int_call_legs_unioned') }}
),

sites as (
    select * from {{ ref('stg_config__sites') }}
),

emergency as (
    select * from {{ ref('emergency_numbers') }}
),

emergency_lists as (
    select
        country_code,
        ',' || string_agg(number, ',') || ',' as emergency_list
    from emergency
    group by country_code
),

dial_plans as (
    select
        sites.tenant_id,
        sites.site_id,
        sites.timezone as site_timezone,
        sites.country_code,
        sites.outside_line_prefix,
        sites.national_prefix,
        sites.international_prefix,
        sites.extension_digits,
        coalesce(emergency_lists.emergency_list, ',112,') as emergency_list
    from sites
    left join emergency_lists on sites.country_code = emergency_lists.country_code
),

with_digits as (
    select
        legs.*,
        dial_plans.site_timezone,
        dial_plans.country_code,
        dial_plans.outside_line_prefix,
        dial_plans.national_prefix,
        dial_plans.international_prefix,
        dial_plans.extension_digits,
        dial_plans.emergency_list,
        {{ number_digits('legs.called_number') }} as called_digits,
        {{ number_digits('legs.calling_number') }} as calling_digits
    from legs
    left join dial_plans
        on legs.tenant_id = dial_plans.tenant_id
        and legs.site_id = dial_plans.site_id
),

final as (
    select
        -- ids
        tenant_id,
        site_id,
        source_format,
        source_record_id,
        call_id,

        -- dimensions
        direction,
        disposition,
        calling_number,
        called_number,
        {{ to_e164('called_digits', 'with_digits') }} as called_e164,
        {{ to_e164('calling_digits', 'with_digits') }} as calling_e164,
        extension,
        trunk,
        account_code,
        site_timezone,
        country_code as site_country_code,

        -- measures
        ring_seconds,
        duration_seconds,

        -- timestamps (naive UTC)
        started_at,
        answered_at,
        ended_at,

        -- audit
        raw,
        extra,
        _dlt_load_id
    from with_digits
)

select * from final
