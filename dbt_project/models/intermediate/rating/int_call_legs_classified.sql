-- Each leg with what rating needs (docs/rating.md):
-- * started_local_at / started_local_date: the start in the site's local time (DST included);
-- * carrier: the trunk's carrier where callmeter.yaml names the trunk, else the site's;
-- * destination_type: internal, emergency, international (another country), then the national
--   ranges seed (mobile, premium, tollfree), local (dialled without a national or international
--   prefix), else national;
-- * the cost and resale card versions in force at the local start date (a tenant's own version
--   beats a global one for the same carrier) and the band of the start under each version's peak
--   window: weekend = Saturday/Sunday, peak = Monday-Friday [peak_start, peak_end), else offpeak;
-- * is_b2bua_hop: an outbound SIP leg that a B2BUA carried on in a later outbound leg of the same
--   call (joined by the parser's correlation, extra.linked_by): only the last leg, the one that
--   reached the carrier, is costed (docs/rating.md "B2BUA pairs");
-- * rating_fingerprint: every input of the rating, so an incremental build re-rates a leg
--   exactly when one of them changed (a new or re-imported card version included).
{%- set country_lengths = prefix_lengths(ref('country_codes'), [3, 2, 1], column='country_code') %}
{%- set range_lengths = prefix_lengths(ref('destination_ranges'), range(8, 0, -1) | list) %}
with

legs as (
    select * from {{ ref('int_call_legs') }}
),

sites as (
    select * from {{ ref('stg_config__sites') }}
),

-- Per SIP call, the last outbound leg that the parser's B2BUA correlation joined to the call
-- (extra.linked_by): the hop that went on to the carrier. Read from the SIP staging view, not
-- from `legs`: a second reference to that CTE would make both engines materialize every leg.
onward_legs as (
    select
        tenant_id,
        site_id,
        source_format,
        call_id,
        source_record_id,
        started_at,
        row_number() over (
            partition by tenant_id, site_id, source_format, call_id
            order by started_at desc, source_record_id desc
        ) as recency
    from {{ ref('stg_sip__call_legs') }}
    where direction = 'outbound'
        and {{ json_text('extra', 'linked_by') }} is not null
),

onward as (
    select * from onward_legs
    where recency = 1
),

site_trunks as (
    select * from {{ ref('stg_config__site_trunks') }}
),

tenants as (
    select * from {{ ref('stg_config__tenants') }}
),

versions as (
    select * from {{ ref('int_rate_card_versions_scheduled') }}
),

country_codes as (
    select
        country_code as prefix,
        country,
        cast(length(country_code) as integer) as prefix_length
    from {{ ref('country_codes') }}
),

destination_ranges as (
    select
        prefix,
        destination_type,
        cast(length(prefix) as integer) as prefix_length
    from {{ ref('destination_ranges') }}
),

emergency as (
    select country_code || number as emergency_e164
    from {{ ref('emergency_numbers') }}
    group by country_code || number
),

located as (
    select
        legs.*,
        coalesce(site_trunks.carrier, sites.carrier) as carrier,
        {{ local_timestamp('legs.started_at', 'legs.site_timezone') }} as started_local_at,
        -- the dialled digits after the outside-line prefix, to tell a locally dialled number
        -- translate, not the regex of number_digits(): the same result, several times faster;
        -- skipped for the usual clean number (digits and +), where it changes nothing (4x less CPU)
        case
            when legs.called_number ~ '^[0-9+]*$' then legs.called_number
            else translate(trim(legs.called_number), ' ().-' || chr(9), '')
        end as called_digits,
        sites.outside_line_prefix,
        sites.national_prefix,
        sites.international_prefix,
        sites.extension_digits,
        tenants.currency as tenant_currency,
        tenants.resale_markup_percent,
        coalesce(
            legs.direction = 'outbound'
                and legs.source_record_id <> onward.source_record_id
                and legs.started_at <= onward.started_at,
            false
        ) as is_b2bua_hop
    from legs
    left join sites
        on legs.tenant_id = sites.tenant_id
        and legs.site_id = sites.site_id
    left join site_trunks
        on legs.tenant_id = site_trunks.tenant_id
        and legs.site_id = site_trunks.site_id
        and legs.trunk = site_trunks.trunk
    left join tenants on legs.tenant_id = tenants.tenant_id
    left join onward
        on legs.tenant_id = onward.tenant_id
        and legs.site_id = onward.site_id
        and legs.source_format = onward.source_format
        and legs.call_id = onward.call_id
),

dialled as (
    select
        *,
        cast(started_local_at as date) as started_local_date,
        case
            when outside_line_prefix <> ''
                and left(called_digits, length(outside_line_prefix)) = outside_line_prefix
                and length(called_digits) - length(outside_line_prefix) > extension_digits
                then substr(called_digits, length(outside_line_prefix) + 1)
            else called_digits
        end as dialled_digits
    from located
),

destinations as (
    select
        dialled.*,
        {{ longest_prefix_pick('called_country', 'country', country_lengths) }} as called_country,
        {{ longest_prefix_pick('called_country', 'prefix', country_lengths) }} as called_country_code,
        {{ longest_prefix_pick('called_range', 'destination_type', range_lengths) }} as range_type,
        emergency.emergency_e164 is not null as is_emergency,
        dialled.called_e164 is not null
            and left(dialled.called_digits, 1) <> '+'
            and (dialled.national_prefix = ''
                or left(dialled.dialled_digits, length(dialled.national_prefix))
                    <> dialled.national_prefix)
            and (dialled.international_prefix = ''
                or left(dialled.dialled_digits, length(dialled.international_prefix))
                    <> dialled.international_prefix) as is_local_form
    from dialled
    {{ longest_prefix_joins('called_country', 'country_codes', 'dialled.called_e164', lengths=country_lengths) }}
    {{ longest_prefix_joins('called_range', 'destination_ranges', 'dialled.called_e164', lengths=range_lengths) }}
    left join emergency on dialled.called_e164 = emergency.emergency_e164
),

typed as (
    select
        *,
        case
            when direction = 'internal' then 'internal'
            -- to_e164 gives null for numbers no longer than an extension: an internal party
            when called_e164 is null and {{ is_digits('called_digits') }} then 'internal'
            when called_e164 is null then null
            when is_emergency then 'emergency'
            when left(called_e164, length(site_country_code)) <> site_country_code
                or called_country_code <> site_country_code then 'international'
            when range_type is not null then range_type
            when is_local_form then 'local'
            else 'national'
        end as destination_type
    from destinations
),

versioned as (
    select
        typed.*,
        coalesce(tenant_cost.version_id, global_cost.version_id) as rate_card_version,
        coalesce(tenant_cost.imported_at, global_cost.imported_at) as rate_card_imported_at,
        coalesce(tenant_cost.peak_start_minute, global_cost.peak_start_minute, 480)
            as peak_start_minute,
        coalesce(tenant_cost.peak_end_minute, global_cost.peak_end_minute, 1080)
            as peak_end_minute,
        coalesce(tenant_resale.version_id, global_resale.version_id) as resale_card_version,
        coalesce(tenant_resale.imported_at, global_resale.imported_at) as resale_card_imported_at,
        coalesce(tenant_resale.peak_start_minute, global_resale.peak_start_minute, 480)
            as resale_peak_start_minute,
        coalesce(tenant_resale.peak_end_minute, global_resale.peak_end_minute, 1080)
            as resale_peak_end_minute,
        extract(dow from typed.started_local_at) in (0, 6) as is_weekend,
        {{ minute_of_day('typed.started_local_at') }} as start_minute
    from typed
    {%- for scope, kind in [('tenant', 'cost'), ('global', 'cost'), ('tenant', 'resale'), ('global', 'resale')] %}
    {%- set alias = scope ~ '_' ~ kind %}
    left join versions as {{ alias }}
        on {{ alias }}.carrier = typed.carrier
        and {{ alias }}.is_resale = {{ 'true' if kind == 'resale' else 'false' }}
        and {{ alias }}.tenant_id {{ '= typed.tenant_id' if scope == 'tenant' else 'is null' }}
        and {{ alias }}.effective_from <= typed.started_local_date
        and ({{ alias }}.effective_to is null or typed.started_local_date < {{ alias }}.effective_to)
    {%- endfor %}
),

banded as (
    select
        *,
        case
            when is_weekend then 'weekend'
            when start_minute >= peak_start_minute and start_minute < peak_end_minute then 'peak'
            else 'offpeak'
        end as time_band,
        case
            when is_weekend then 'weekend'
            when start_minute >= resale_peak_start_minute
                and start_minute < resale_peak_end_minute then 'peak'
            else 'offpeak'
        end as resale_time_band
    from versioned
),

final as (
    select
        -- ids
        tenant_id,
        site_id,
        source_format,
        source_record_id,
        call_id,

        -- timestamps (naive UTC, and the site's local wall-clock time)
        started_at,
        answered_at,
        ended_at,
        started_local_at,
        started_local_date,

        -- measures
        ring_seconds,
        duration_seconds,

        -- dimensions
        direction,
        disposition,
        calling_number,
        called_number,
        called_e164,
        calling_e164,
        extension,
        trunk,
        account_code,
        site_timezone,
        site_country_code,
        called_country,
        destination_type,

        -- rating inputs
        carrier,
        time_band,
        rate_card_version,
        rate_card_imported_at,
        resale_time_band,
        resale_card_version,
        resale_card_imported_at,
        tenant_currency,
        resale_markup_percent,
        is_b2bua_hop,
        {{ fingerprint([
            'direction', 'disposition', 'duration_seconds', 'called_e164', 'destination_type',
            'carrier', 'time_band', 'rate_card_version', 'rate_card_imported_at',
            'resale_time_band', 'resale_card_version', 'resale_card_imported_at',
            'tenant_currency', 'resale_markup_percent', 'is_b2bua_hop',
        ]) }} as rating_fingerprint,

        -- audit
        raw,
        extra,
        _dlt_load_id
    from banded
)

select * from final
