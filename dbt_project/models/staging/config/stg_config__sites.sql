with

source as (
    select * from {{ source('raw', 'sites') }}
),

renamed as (
    select
        tenant_id,
        site_id,
        timezone,
        country_code,
        coalesce(outside_line_prefix, '') as outside_line_prefix,
        coalesce(national_prefix, '') as national_prefix,
        coalesce(international_prefix, '') as international_prefix,
        carrier,
        cast(extension_digits as integer) as extension_digits
    from source
)

select * from renamed
