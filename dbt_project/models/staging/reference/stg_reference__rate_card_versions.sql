-- One row per imported rate card version (callmeter ratecard import). version_id is
-- "carrier|tenant or *|cost or resale|effective_from"; re-importing a version keeps its id and
-- moves imported_at, which is how the rating model notices a re-import.
with

source as (
    select * from {{ source_or_empty('raw', 'rate_card_versions', [
        ('version_id', 'text'), ('carrier', 'text'), ('tenant_id', 'text'),
        ('is_resale', 'boolean'), ('effective_from', 'date'),
        ('imported_at', 'timestamp with time zone'), ('source_file', 'text'),
        ('row_count', 'bigint'),
    ]) }} as source_rows
),

renamed as (
    select
        version_id,
        carrier,
        tenant_id,
        coalesce(is_resale, false) as is_resale,
        cast(effective_from as date) as effective_from,
        imported_at at time zone 'UTC' as imported_at,
        source_file,
        cast(row_count as bigint) as row_count
    from source
)

select * from renamed
