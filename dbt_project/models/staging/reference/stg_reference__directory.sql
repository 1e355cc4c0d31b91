-- Extension directory with history (callmeter directory import): who an extension belonged to,
-- with which department and cost centre, from valid_from to valid_to (exclusive, null = open).
with

source as (
    select * from {{ source_or_empty('raw', 'directory', [
        ('tenant_id', 'text'), ('extension', 'text'), ('name', 'text'), ('email', 'text'),
        ('department', 'text'), ('cost_centre', 'text'), ('site_id', 'text'),
        ('valid_from', 'date'), ('valid_to', 'date'), ('gl_account', 'text'),
        ('imported_at', 'timestamp with time zone'), ('source_file', 'text'),
        ('row_number', 'bigint'),
    ]) }} as source_rows
),

renamed as (
    select
        -- ids
        tenant_id,
        site_id,
        trim(extension) as extension,

        -- attributes
        name as employee,
        email,
        department,
        cost_centre,
        nullif(trim(gl_account), '') as gl_account,

        -- validity (site-local dates; valid_to exclusive)
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,

        -- audit
        imported_at at time zone 'UTC' as imported_at,
        source_file,
        cast(row_number as bigint) as row_number
    from source
)

select * from renamed
