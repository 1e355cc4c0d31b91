with

tenants as (
    select * from {{ ref('stg_config__tenants') }}
),

final as (
    select
        tenant_id,
        tenant_name,
        currency,
        resale_markup_percent
    from tenants
)

select * from final
