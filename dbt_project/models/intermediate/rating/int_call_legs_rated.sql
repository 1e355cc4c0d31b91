{{
    config(
        materialized='incremental',
        unique_key=['tenant_id', 'site_id', 'source_format', 'source_record_id'],
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
    )
}}
-- Cost and resale price of each leg (docs/design.md "Rating rules", docs/rating.md).
-- Which row: among the version's rows for the leg's band or `any` (int_rate_cards_banded), the
-- longest prefix of called_e164. billable = max(duration, minimum); billed = the initial increment,
-- then whole subsequent increments; cost = fee + rate * billed / 60, exact decimal, half-up 4 dp.
-- Unanswered, inbound and internal legs cost 0; an outbound leg no row prices is unrated (cost
-- null, unrated_reason says why), never 0.
-- Incremental: a build rates only legs that are new or whose rating inputs changed
-- (rating_fingerprint: a new or re-imported card version in force, a changed duration, ...).
{%- set every_length = range(15, 0, -1) | list %}
{%- set cost_lengths = prefix_lengths(ref('int_rate_cards_banded'), every_length, 'not is_resale') %}
{%- set resale_lengths = prefix_lengths(ref('int_rate_cards_banded'), every_length, 'is_resale') %}
with

classified as (
    select * from {{ ref('int_call_legs_classified') }}
),


{% if is_incremental() %}
stored as (
    select tenant_id, site_id, source_format, source_record_id, rating_fingerprint
    from {{ this }}
),

to_rate as (
    select classified.*
    from classified
    left join stored
        on classified.tenant_id = stored.tenant_id
        and classified.site_id = stored.site_id
        and classified.source_format = stored.source_format
        and classified.source_record_id = stored.source_record_id
    where stored.source_record_id is null
        or stored.rating_fingerprint <> classified.rating_fingerprint
),
{% else %}
to_rate as (
    select * from classified
),
{% endif %}

chargeable as (
    select
        *,
        -- a B2BUA's hop towards the PBX is free: the call is costed on its carrier leg
        disposition = 'answered'
            and direction = 'outbound'
            and coalesce(destination_type, '') <> 'internal'
            and not coalesce(is_b2bua_hop, false) as is_billable,
        disposition = 'answered'
            and direction = 'unknown'
            and coalesce(destination_type, '') <> 'internal' as is_unknown_direction
    from to_rate
),

-- The lookup joins name the table itself, not an import CTE: Postgres materializes a CTE that
-- is referenced many times and then plans nested loops over it (minutes instead of seconds).
-- The priced row's columns come from the chain's joins (macros/longest_prefix.sql): no third join
-- back on the chosen prefix (that join was the costliest of the step).
matched as (
    select
        chargeable.*,
        {{ longest_prefix_pick('cost_card', 'prefix', cost_lengths) }} as rated_prefix,
        {{ longest_prefix_pick('resale_card', 'prefix', resale_lengths) }} as resale_prefix,
        {%- for column, data_type, name in [
            ('destination', 'text', 'destination'),
            ('rate_per_minute', 'numeric(18, 6)', 'rate_per_minute'),
            ('connection_fee', 'numeric(18, 6)', 'connection_fee'),
            ('minimum_seconds', 'integer', 'minimum_seconds'),
            ('initial_increment', 'integer', 'initial_increment'),
            ('subsequent_increment', 'integer', 'subsequent_increment'),
            ('currency', 'text', 'card_currency'),
        ] %}
        {{ longest_prefix_column('cost_card', column, cost_lengths, data_type) }} as {{ name }},
        {%- endfor %}
        {%- for column, data_type in [
            ('rate_per_minute', 'numeric(18, 6)'),
            ('connection_fee', 'numeric(18, 6)'),
            ('minimum_seconds', 'integer'),
            ('initial_increment', 'integer'),
            ('subsequent_increment', 'integer'),
        ] %}
        {{ longest_prefix_column('resale_card', column, resale_lengths, data_type) }}
            as resale_{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from chargeable
    {{ longest_prefix_joins('cost_card', ref('int_rate_cards_banded'), 'chargeable.called_e164', keys=[
        ('version_id', "case when chargeable.is_billable then chargeable.rate_card_version end"),
        ('leg_band', 'chargeable.time_band'),
    ], lengths=cost_lengths) }}
    {{ longest_prefix_joins('resale_card', ref('int_rate_cards_banded'), 'chargeable.called_e164', keys=[
        ('version_id', "case when chargeable.is_billable then chargeable.resale_card_version end"),
        ('leg_band', 'chargeable.resale_time_band'),
    ], lengths=resale_lengths) }}
),

priced_rows as (
    select
        *,
        greatest(duration_seconds, minimum_seconds) as billable_seconds,
        greatest(duration_seconds, resale_minimum_seconds) as resale_billable_seconds
    from matched
),

billed as (
    select
        *,
        -- whole subsequent increments: ceil(x / s) = (x + s - 1) div s, in integers
        case
            when not is_billable then 0
            when rated_prefix is null then null
            when billable_seconds <= initial_increment then initial_increment
            else initial_increment
                + {{ int_div('billable_seconds - initial_increment + subsequent_increment - 1',
                    'subsequent_increment') }} * subsequent_increment
        end as billed_seconds,
        case
            when resale_prefix is null then null
            when resale_billable_seconds <= resale_initial_increment then resale_initial_increment
            else resale_initial_increment
                + {{ int_div(
                    'resale_billable_seconds - resale_initial_increment'
                    ~ ' + resale_subsequent_increment - 1',
                    'resale_subsequent_increment') }} * resale_subsequent_increment
        end as resale_billed_seconds
    from priced_rows
),

-- Money in integers: card amounts have 6 decimals, so fee * 60 + rate * billed is a whole number
-- of micro-units; cost = that / 60 half-up to 4 decimals = micros / 6000 half-up, in 1/10000
-- units. Exact, and several times cheaper than decimal division (DuckDB: hugeint arithmetic).
costed as (
    select
        *,
        cast(case
            when is_unknown_direction then null
            when not is_billable then 0
            when rated_prefix is not null
                then {{ units_to_numeric(int_div_round(
                    numeric_to_units('connection_fee') ~ ' * 60 + '
                    ~ numeric_to_units('rate_per_minute') ~ ' * billed_seconds', 6000)) }}
        end as numeric(18, 4)) as cost,
        cast(case
            when resale_prefix is not null
                then {{ units_to_numeric(int_div_round(
                    numeric_to_units('resale_connection_fee') ~ ' * 60 + '
                    ~ numeric_to_units('resale_rate_per_minute') ~ ' * resale_billed_seconds',
                    6000)) }}
        end as numeric(18, 4)) as resale_card_price
    from billed
),

final as (
    select
        -- ids
        tenant_id,
        site_id,
        source_format,
        source_record_id,

        -- which card priced the leg
        case when is_billable or is_unknown_direction then carrier end as rate_card,
        case when is_billable then rate_card_version end as rate_card_version,
        case when is_billable then rated_prefix end as rated_prefix,
        destination,

        -- measures
        cast(case when is_unknown_direction then null else billed_seconds end as integer)
            as billed_seconds,
        cost,
        coalesce(card_currency, tenant_currency) as currency,
        cast(
            case
                when cost is null then null
                when not is_billable then 0
                when resale_card_price is not null then resale_card_price
                when resale_markup_percent is not null
                    -- cost (1/10^4 units) * (100 + mark-up) (1/10^4 units) / 100, half-up, in 1/10^4 units
                    then {{ units_to_numeric(int_div_round(
                        numeric_to_units('cost', 4) ~ ' * '
                        ~ numeric_to_units('100 + resale_markup_percent', 4), 1000000)) }}
            end as numeric(18, 4)
        ) as resale_price,
        case when resale_card_price is not null then resale_card_version end
            as resale_rate_card_version,
        case
            when is_unknown_direction then 'direction unknown'
            when not is_billable then null
            when called_e164 is null then 'no called number'
            when rate_card_version is null
                then 'no rate card for carrier ' || coalesce(carrier, '(none)') || ' in force'
            when rated_prefix is null then 'no prefix matches ' || called_e164
        end as unrated_reason,

        -- free as the PBX-side hop of a B2BUA pair (the call is costed on its carrier leg)
        coalesce(is_b2bua_hop, false) as is_b2bua_hop,

        -- lineage of this row
        rating_fingerprint,
        '{{ invocation_id }}' as rated_in_invocation
    from costed
)

select * from final
