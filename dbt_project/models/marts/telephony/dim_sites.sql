with

sites as (
    select * from {{ ref('stg_config__sites') }}
),

final as (
    select
        tenant_id,
        site_id,
        timezone,
        country_code,
        outside_line_prefix,
        national_prefix,
        international_prefix,
        carrier,
        extension_digits
    from sites
)

select * from final
