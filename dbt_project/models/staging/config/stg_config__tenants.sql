with

source as (
    select * from {{ source('raw', 'tenants') }}
),

renamed as (
    select
        tenant_id,
        name as tenant_name,
        currency,
        cast(resale_markup_percent as numeric(9, 4)) as resale_markup_percent
    from source
)

select * from renamed
