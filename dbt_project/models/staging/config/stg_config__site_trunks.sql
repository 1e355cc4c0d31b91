with

source as (
    select * from {{ source_or_empty('raw', 'site_trunks', [
        ('tenant_id', 'text'), ('site_id', 'text'), ('trunk', 'text'),
        ('carrier', 'text'), ('channels', 'bigint'),
    ]) }} as landed
),

renamed as (
    select
        tenant_id,
        site_id,
        trunk,
        carrier,
        cast(channels as integer) as channels
    from source
)

select * from renamed
