-- Account codes mapped to projects and clients (callmeter accountcodes import).
with

source as (
    select * from {{ source_or_empty('raw', 'account_codes', [
        ('tenant_id', 'text'), ('account_code', 'text'), ('project', 'text'),
        ('client', 'text'), ('imported_at', 'timestamp with time zone'),
        ('source_file', 'text'), ('row_number', 'bigint'),
    ]) }} as source_rows
),

renamed as (
    select
        tenant_id,
        trim(account_code) as account_code,
        project,
        client,
        imported_at at time zone 'UTC' as imported_at,
        source_file,
        cast(row_number as bigint) as row_number
    from source
)

select * from renamed
