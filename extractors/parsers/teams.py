"""Microsoft Teams call records from Microsoft Graph (docs/pbx-formats/teams.md).

One JSON document in, legs and rejects out. The document may be:

- a getDirectRoutingCalls or getPstnCalls response (`value` of directRoutingLogRow /
  pstnCallLogRow), one leg per row;
- a callRecord with `$expand=sessions($expand=segments)`, one internal leg per session
  (`{record id}:{session id}`), or a callRecords list page (`value` of callRecords);
- a bare JSON array of any of those objects, or one bare object.

Graph writes 0 to 7 fractional digits; every difference in whole seconds is the floor of the
full-precision difference (never of the microsecond-truncated datetimes). The
`0001-01-01T00:00:00Z` sentinel means "none". Objects sharing an `id` within one document become
one leg (the last one wins; for callRecords the highest `version` wins), with the number of
copies in `extra["copies_in_document"]`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any, Final

from callmeter.legs import (
    CallLeg,
    Direction,
    Disposition,
    OccurrenceCounter,
    Rejected,
    SourceFormat,
)

from . import ParseContext

FORMAT: Final = "teams"

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BUSY_SIP = frozenset({486, 600, 603})
_NO_ANSWER_SIP = frozenset({408, 480, 487})


class FieldError(ValueError):
    """A field of one object that cannot be read; the message names the field and why."""


@dataclass(frozen=True, slots=True)
class Instant:
    """A Graph timestamp: `at` truncated to microseconds for storage, `exact` (seconds since the
    epoch, every digit Graph wrote) for whole-second differences."""

    at: datetime
    exact: Decimal


def parse_instant(value: Any, name: str) -> Instant | None:
    """A Graph/Zoom UTC timestamp with any number of fractional digits; None for the
    `0001-01-01` sentinel, null and ''.

    Raises:
        FieldError: the value is not a timestamp.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(f"field {name!r}: expected a timestamp string, got {value!r}")
    match = _TIMESTAMP.fullmatch(value.strip())
    if not match:
        raise FieldError(f"field {name!r}: not an ISO 8601 timestamp: {value!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if int(year) <= 1:
        return None  # 0001-01-01T00:00:00Z: Graph's "no such time"
    try:
        whole = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
        if zone not in (None, "Z", "+00:00", "-00:00", "+0000", "-0000"):
            offset = datetime.fromisoformat(f"2000-01-01T00:00:00{zone}").utcoffset()
            assert offset is not None
            whole = whole - offset
    except (ValueError, OverflowError) as error:
        raise FieldError(f"field {name!r}: impossible timestamp {value!r} ({error})") from None
    fraction = fraction or ""
    micro = int((fraction + "000000")[:6])
    exact = Decimal(int((whole - _EPOCH).total_seconds()))
    if fraction:
        exact += Decimal(f"0.{fraction}")
    return Instant(whole.replace(microsecond=micro), exact)


def floor_seconds(start: Instant, end: Instant) -> int:
    """Whole seconds from start to end: the floor of the full-precision difference."""
    return int((end.exact - start.exact).to_integral_value(rounding=ROUND_FLOOR))


def loads(data: bytes) -> Any:
    """JSON with every non-integer number as Decimal (money stays exact)."""
    return json.loads(data.decode("utf-8-sig"), parse_float=Decimal)


def dumps_raw(obj: Any) -> str:
    """The object back as compact JSON for `raw` (numbers as written, for audit)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=_raw_number)


def load_document(data: bytes, source_format: SourceFormat) -> tuple[Any, Rejected | None]:
    """(document, None), or (None, a reject of the whole input) when it is not JSON."""
    try:
        return loads(data), None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        text = data.decode("utf-8", errors="replace")
        return None, document_reject(source_format, text, f"document is not JSON: {error}")


def document_reject(source_format: SourceFormat, raw: str, reason: str) -> Rejected:
    """The reject of a whole document (line 1), keyed by its content."""
    return Rejected(source_format, OccurrenceCounter().key(raw), reason, raw, 1)


def text_field(obj: dict[str, Any], name: str) -> str | None:
    """A field as trimmed text; None when absent, null or blank.

    Raises:
        FieldError: the field is an object or a list.
    """
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise FieldError(f"field {name!r}: expected text, got {type(value).__name__}")
    text = str(value).strip()
    return text or None


def whole_field(obj: dict[str, Any], name: str) -> int | None:
    """A field as a whole number (a JSON integer, or a decimal with no fraction); None when
    absent or null.

    Raises:
        FieldError: anything else, booleans and strings included.
    """
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or value != int(value):
        raise FieldError(f"field {name!r}: expected a whole number, got {value!r}")
    return int(value)


def _raw_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # only `raw` takes this path; its shortest repr is the digits written
    raise TypeError(f"not JSON serialisable: {value!r}")


def call_type_direction(call_type: Any) -> Direction:
    """`ByotIn`, `dr_in_ucap`, `user_in` -> inbound; `dr_out_user_forwarding` -> outbound."""
    if not isinstance(call_type, str):
        return "unknown"
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", call_type).lower()
    tokens = set(re.split(r"[^a-z0-9]+", words))
    if "in" in tokens:
        return "inbound"
    if "out" in tokens:
        return "outbound"
    return "unknown"


def parse(data: bytes, ctx: ParseContext) -> Iterator[CallLeg | Rejected]:
    """Legs and rejects from one Graph JSON document (see the module docstring)."""
    del ctx  # Graph writes UTC; nothing site-specific is needed
    document, failure = load_document(data, FORMAT)
    if failure is not None:
        yield failure
        return
    objects = _objects(document)
    if objects is None:
        reason = (
            "document is not a Graph call-record response: expected a callRecord, "
            "a `value` list of rows or callRecords, or a JSON array"
        )
        yield document_reject(FORMAT, dumps_raw(document), reason)
        return
    yield from _parse_objects(objects)


def _objects(document: Any) -> list[Any] | None:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if isinstance(document.get("value"), list):
            return list(document["value"])
        if "id" in document:
            return [document]
    return None


def _kind(obj: dict[str, Any]) -> str | None:
    if "sessions" in obj or "modalities" in obj or "organizer_v2" in obj or "version" in obj:
        return "call_record"
    if "successfulCall" in obj or "inviteDateTime" in obj or "trunkFullyQualifiedDomainName" in obj:
        return "direct_routing"
    if "callId" in obj or "charge" in obj or "licenseCapability" in obj or "operator" in obj:
        return "pstn"
    return None


def _parse_objects(objects: list[Any]) -> Iterator[CallLeg | Rejected]:
    counter = OccurrenceCounter()
    reject_ids: set[str] = set()  # a reject's record_id is unique within the document
    # id -> (position, legs of the winning copy, copies seen, version)
    kept: dict[str, tuple[int, list[CallLeg], int, int]] = {}
    order: list[str] = []
    for number, obj in enumerate(objects, start=1):
        raw = dumps_raw(obj)
        if not isinstance(obj, dict):
            reason = f"object {number}: expected a JSON object, got {type(obj).__name__}"
            yield Rejected(FORMAT, counter.key(raw), reason, raw, number)
            continue
        ident = obj.get("id")
        label = f"object {number} (id {ident})" if ident is not None else f"object {number}"
        if not isinstance(ident, str) or not ident:
            reason = f"{label}: field 'id' is missing or not a string"
            yield Rejected(FORMAT, counter.key(raw), reason, raw, number)
            continue
        kind = _kind(obj)
        try:
            if kind == "direct_routing":
                legs, version = [_direct_routing_leg(obj, raw)], 0
            elif kind == "pstn":
                legs, version = [_pstn_leg(obj, raw)], 0
            elif kind == "call_record":
                legs, version = _call_record_legs(obj, raw), _version(obj)
            else:
                raise FieldError(
                    "not a directRoutingLogRow, pstnCallLogRow or callRecord (no telling fields)"
                )
        except (FieldError, ValueError, TypeError, InvalidOperation) as error:
            record_id = ident if ident not in reject_ids else counter.key(raw)
            reject_ids.add(record_id)
            yield Rejected(FORMAT, record_id, f"{label}: {error}", raw, number)
            continue
        if ident not in kept:
            kept[ident] = (number, legs, 1, version)
            order.append(ident)
            continue
        _, old_legs, copies, old_version = kept[ident]
        if version >= old_version:  # the later copy wins, unless it is an older callRecord
            kept[ident] = (number, legs, copies + 1, version)
        else:
            kept[ident] = (kept[ident][0], old_legs, copies + 1, old_version)
    for ident in order:
        _, legs, copies, _ = kept[ident]
        for leg in legs:
            if copies > 1:
                leg.extra["copies_in_document"] = copies
            yield leg


def _version(obj: dict[str, Any]) -> int:
    version = obj.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise FieldError(f"field 'version': expected an integer, got {version!r}")
    return int(version)


def _require(obj: dict[str, Any], name: str) -> Instant:
    instant = parse_instant(obj.get(name), name)
    if instant is None:
        raise FieldError(f"field {name!r} is missing (or the 0001-01-01 sentinel)")
    return instant


def _money(obj: dict[str, Any], name: str) -> Decimal | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise FieldError(f"field {name!r}: expected a number, got {value!r}")
    return Decimal(value)


def _direct_routing_leg(row: dict[str, Any], raw: str) -> CallLeg:
    started = _require(row, "inviteDateTime")
    successful = row.get("successfulCall")
    if not isinstance(successful, bool):
        raise FieldError(f"field 'successfulCall': expected true or false, got {successful!r}")
    sip_code = whole_field(row, "finalSipCode")
    answered: Instant | None = None
    if successful:
        answered = _require(row, "startDateTime")
        ended = _require(row, "endDateTime")
        duration = whole_field(row, "duration")
        if duration is None:
            duration = floor_seconds(answered, ended)
        if duration < 0:
            raise FieldError(f"field 'duration': negative ({duration})")
        disposition: Disposition = "answered"
    else:
        failed_at = parse_instant(row.get("failureDateTime"), "failureDateTime")
        ended = failed_at or _require(row, "startDateTime")
        duration = 0
        disposition = (
            "busy"
            if sip_code in _BUSY_SIP
            else "no_answer"
            if sip_code in _NO_ANSWER_SIP
            else "failed"
        )
    _check_order(started, answered, ended, "inviteDateTime")
    return CallLeg(
        source_format=FORMAT,
        source_record_id=row["id"],
        call_id=text_field(row, "correlationId") or row["id"],
        started_at=started.at,
        answered_at=answered.at if answered else None,
        ended_at=ended.at,
        ring_seconds=floor_seconds(started, answered or ended),
        duration_seconds=duration,
        direction=call_type_direction(row.get("callType")),
        disposition=disposition,
        calling_number=text_field(row, "callerNumber"),
        called_number=text_field(row, "calleeNumber"),
        extension=text_field(row, "userPrincipalName"),
        trunk=text_field(row, "trunkFullyQualifiedDomainName"),
        account_code=None,
        raw=raw,
        extra={
            "record_type": "direct_routing",
            "call_type": text_field(row, "callType"),
            "final_sip_code": sip_code,
            "final_sip_code_phrase": text_field(row, "finalSipCodePhrase"),
            "call_end_sub_reason": whole_field(row, "callEndSubReason"),
            "user_display_name": text_field(row, "userDisplayName"),
            "duration_source": "duration" if row.get("duration") is not None else "timestamps",
        },
    )


def _pstn_leg(row: dict[str, Any], raw: str) -> CallLeg:
    started = _require(row, "startDateTime")
    ended = _require(row, "endDateTime")
    duration = whole_field(row, "duration")
    if duration is None:
        raise FieldError("field 'duration' is missing")
    if duration < 0:
        raise FieldError(f"field 'duration': negative ({duration})")
    answered = started if duration > 0 else None
    _check_order(started, answered, ended, "startDateTime")
    return CallLeg(
        source_format=FORMAT,
        source_record_id=row["id"],
        call_id=text_field(row, "callId") or row["id"],
        started_at=started.at,
        answered_at=answered.at if answered else None,
        ended_at=ended.at,
        ring_seconds=None,  # a PSTN row has no setup time
        duration_seconds=duration,
        direction=call_type_direction(row.get("callType")),
        disposition="answered" if answered else "no_answer",
        calling_number=text_field(row, "callerNumber"),
        called_number=text_field(row, "calleeNumber"),
        extension=text_field(row, "userPrincipalName"),
        trunk=text_field(row, "operator"),
        account_code=None,
        raw=raw,
        extra={
            "record_type": "pstn",
            "call_type": text_field(row, "callType"),
            "charge": _money(row, "charge"),
            "connection_charge": _money(row, "connectionCharge"),
            "currency": text_field(row, "currency"),
            "destination_context": text_field(row, "destinationContext"),
            "destination_name": text_field(row, "destinationName"),
            "license_capability": text_field(row, "licenseCapability"),
            "conference_id": text_field(row, "conferenceId"),
            "call_duration_source": text_field(row, "callDurationSource"),
        },
    )


def _call_record_legs(record: dict[str, Any], raw: str) -> list[CallLeg]:
    sessions = record.get("sessions")
    if sessions is None:
        # A list page without $expand: one leg for the whole record.
        return [_session_leg(record, record, record["id"], raw, "call_record")]
    if not isinstance(sessions, list):
        raise FieldError(f"field 'sessions': expected a list, got {type(sessions).__name__}")
    legs = []
    for index, session in enumerate(sessions, start=1):
        if not isinstance(session, dict) or not isinstance(session.get("id"), str):
            raise FieldError(f"sessions[{index}]: not an object with a string 'id'")
        try:
            legs.append(
                _session_leg(record, session, f"{record['id']}:{session['id']}", raw, "session")
            )
        except (FieldError, ValueError) as error:
            raise FieldError(f"sessions[{index}] (id {session['id']}): {error}") from None
    if not legs:
        raise FieldError("field 'sessions' is empty: a callRecord without sessions has no leg")
    truncated = "sessions@odata.nextLink" in record
    for leg in legs:
        leg.extra["sessions_truncated"] = truncated
    return legs


def _session_leg(
    record: dict[str, Any], part: dict[str, Any], record_id: str, raw: str, role: str
) -> CallLeg:
    started = _require(part, "startDateTime")
    ended = _require(part, "endDateTime")
    _check_order(started, None, ended, "startDateTime")
    failure = part.get("failureInfo")
    caller = _identity(part.get("caller"))
    callee = _identity(part.get("callee"))
    if role == "call_record":
        caller = caller or _organizer(record)
    failed = bool(failure)
    return CallLeg(
        source_format=FORMAT,
        source_record_id=record_id,
        call_id=record["id"],
        started_at=started.at,
        answered_at=None if failed else started.at,
        ended_at=ended.at,
        ring_seconds=floor_seconds(started, ended) if failed else 0,
        duration_seconds=0 if failed else floor_seconds(started, ended),
        direction="internal",
        disposition="failed" if failed else "answered",
        calling_number=caller,
        called_number=callee,
        extension=caller,
        trunk=None,
        account_code=None,
        raw=raw,
        extra={
            "record_type": role,
            "call_record_type": text_field(record, "type"),
            "call_record_version": record.get("version"),
            "modalities": part.get("modalities")
            if isinstance(part.get("modalities"), list)
            else None,
            "failure_reason": failure.get("reason") if isinstance(failure, dict) else None,
        },
    )


def _identity(endpoint: Any) -> str | None:
    """The user principal name (else display name) behind a participantEndpoint."""
    if not isinstance(endpoint, dict):
        return None
    identity = endpoint.get("associatedIdentity")
    if isinstance(identity, dict):
        name = identity.get("userPrincipalName") or identity.get("displayName")
        if isinstance(name, str) and name:
            return name
    return None


def _organizer(record: dict[str, Any]) -> str | None:
    organizer = record.get("organizer_v2")
    if isinstance(organizer, dict):
        user = (
            (organizer.get("identity") or {}).get("user")
            if isinstance(organizer.get("identity"), dict)
            else None
        )
        if isinstance(user, dict):
            name = user.get("userPrincipalName") or user.get("displayName")
            if isinstance(name, str) and name:
                return name
    return None


def _check_order(
    started: Instant, answered: Instant | None, ended: Instant, start_name: str
) -> None:
    if answered is not None and answered.exact < started.exact:
        raise FieldError(f"the answer time is before {start_name!r}")
    if ended.exact < (answered or started).exact:
        raise FieldError(f"the end time is before the {'answer' if answered else 'start'} time")
