-- Budgets per cost centre or department and month (callmeter budget import).
with

source as (
    select * from {{ source_or_empty('raw', 'budgets', [
        ('tenant_id', 'text'), ('cost_centre', 'text'), ('department', 'text'),
        ('month', 'date'), ('amount', 'numeric(18, 4)'), ('currency', 'text'),
        ('imported_at', 'timestamp with time zone'), ('source_file', 'text'),
        ('row_number', 'bigint'),
    ]) }} as source_rows
),

renamed as (
    select
        tenant_id,
        nullif(trim(cost_centre), '') as cost_centre,
        nullif(trim(department), '') as department,
        cast(month as date) as budget_month,
        cast(amount as numeric(18, 4)) as amount,
        nullif(trim(currency), '') as currency,
        imported_at at time zone 'UTC' as imported_at,
        source_file,
        cast(row_number as bigint) as row_number
    from source
)

select * from renamed
