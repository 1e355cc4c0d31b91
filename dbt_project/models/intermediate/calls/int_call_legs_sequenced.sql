{{ config(materialized="table") }}  {#- window functions once, not again per reader and per test -#}
-- Each leg with what grouping legs into calls needs (docs/calls.md): its place in the call (start
-- order), whether it is a party leg (not a recording fork or an artefact the parser flags as not
-- billable), whether its talk time adds to the call's, the internal party that answered it, the
-- step it adds to the transfer path, and the per-format transfer and forward signals in `extra`.
with

legs as (
    select * from {{ ref('int_call_legs_unioned') }}
),

{%- set extra_keys = [
    'is_recording_leg', 'billable', 'linked_by', 'is_transfer_split', 'original_called_number',
    'last_redirect_reason', 'reason_changed', 'final_number', 'chain',
] %}

documented as (
    select
        *,
        {{ json_document('extra', extra_keys) }} as extra_document
    from legs
),

extracted as (
    select
        tenant_id,
        site_id,
        source_format,
        call_id,
        source_record_id,
        started_at,
        answered_at,
        ended_at,
        duration_seconds,
        direction,
        disposition,
        calling_number,
        called_number,
        extension,
        trunk,
        {{ json_document_text('extra_document', extra_keys, 'is_recording_leg') }} as recording_flag,
        {{ json_document_text('extra_document', extra_keys, 'billable') }} as billable_flag,
        {{ json_document_text('extra_document', extra_keys, 'linked_by') }} as linked_by,
        {{ json_document_text('extra_document', extra_keys, 'is_transfer_split') }} as transfer_split_flag,
        {{ json_document_text('extra_document', extra_keys, 'original_called_number') }} as original_called_number,
        {{ json_document_text('extra_document', extra_keys, 'last_redirect_reason') }} as last_redirect_reason,
        {{ json_document_text('extra_document', extra_keys, 'reason_changed') }} as reason_changed,
        {{ json_document_text('extra_document', extra_keys, 'final_number') }} as final_number,
        -- 3CX's chain as JSON text (["01632960123","Ext.201","Ext.205"]) -> '#201#205':
        -- extensions marked, external numbers and JSON punctuation removed (RE2 and Postgres
        -- regular expressions alike: no look-ahead).
        regexp_replace(
            regexp_replace(
                regexp_replace({{ json_document_text('extra_document', extra_keys, 'chain') }}, '"Ext\.([^"]*)"', '#\1', 'g'),
                '"[^"]*"', '', 'g'
            ),
            '[][, ]', '', 'g'
        ) as chain_marks
    from documented
),

flagged as (
    select
        *,
        coalesce(recording_flag, 'false') <> 'true'
            and coalesce(billable_flag, 'true') <> 'false' as is_party_leg,
        row_number() over (
            partition by tenant_id, site_id, source_format, call_id
            order by started_at, ended_at, source_record_id
        ) as leg_number
    from extracted
),

described as (
    select
        *,
        -- talk of a SIP leg that a B2BUA correlation joined to the call mirrors a leg already
        -- counted (the trunk side of the same conversation), so it is not added again
        is_party_leg and disposition = 'answered' and linked_by is null as adds_talk,
        case
            when not is_party_leg or disposition <> 'answered' then null
            when direction = 'inbound' then extension
            when direction = 'internal' and source_format = '3cx'
                then coalesce(final_number, called_number)
            when direction = 'internal' then called_number
        end as answering_party,
        case
            when source_format = '3cx' and chain_marks like '#%'
                then replace(substr(chain_marks, 2), '#', ' > ')
            else extension
        end as path_item,
        case
            when source_format = 'cucm' then coalesce(transfer_split_flag, 'false') = 'true'
            when source_format = '3cx'
                then coalesce(reason_changed, '') in ('ReplacedDst', 'ReplacedSrc')
            else false
        end as has_transfer_signal,
        case
            -- a changed called party that a transfer did not change (redirect reasons 4, 34)
            when source_format = 'cucm'
                then coalesce(original_called_number <> called_number, false)
                and coalesce(last_redirect_reason, '0') not in ('4', '34')
            when source_format = '3cx' then coalesce(reason_changed, '') like '%Fwd%'
        end as has_forward_signal
    from flagged
),

path_items as (
    select
        tenant_id,
        site_id,
        source_format,
        source_record_id,
        path_item,
        lag(path_item) over (
            partition by tenant_id, site_id, source_format, call_id
            order by leg_number
        ) as previous_item
    from described
    where is_party_leg
        and path_item is not null
),

final as (
    select
        -- ids
        described.tenant_id,
        described.site_id,
        described.source_format,
        described.call_id,
        described.source_record_id,
        described.leg_number,

        -- timestamps (naive UTC)
        described.started_at,
        described.answered_at,
        described.ended_at,

        -- leg facts
        described.duration_seconds,
        described.direction,
        described.disposition,
        described.calling_number,
        described.called_number,
        described.extension,
        described.trunk,

        -- grouping inputs
        described.is_party_leg,
        described.adds_talk,
        described.answering_party,
        case
            when path_items.previous_item is null
                or path_items.previous_item <> path_items.path_item
                then path_items.path_item
        end as path_step,
        described.has_transfer_signal,
        described.has_forward_signal
    from described
    left join path_items
        on described.tenant_id = path_items.tenant_id
        and described.site_id = path_items.site_id
        and described.source_format = path_items.source_format
        and described.source_record_id = path_items.source_record_id
)

select * from final
