"""Zoom Phone call history (docs/pbx-formats/zoom.md).

One JSON document in, legs and rejects out. The document may be:

- a call history list page (`GET /phone/call_history`: `call_history[]` or the older `call_logs[]`,
  with `next_page_token`): one leg per summary row, keyed by `call_history_uuid` (fallback `id`);
- a call path (`GET /phone/call_history/{uuid}`: `call_elements[]` or `call_path[]`): one leg per
  element, keyed by `call_element_id` (fallback `id`), grouped by the call's `call_history_uuid`;
- a webhook (`phone.*_call_element_completed` with `payload.object.call_elements[]`,
  `phone.*_call_history_completed` with `payload.object.call_logs[]` keyed by `id` and grouped by
  `call_path_id`);
- a legacy v1 call logs page (`GET /phone/call_logs`: `date_time`, `answer_start_time`,
  `call_end_time`, `charge` as "$0.0255");
- a bare JSON array of rows.

Objects sharing a key within one document become one leg (the last one wins), with the number of
copies in `extra["copies_in_document"]`; caller and callee webhooks carry the same element, and
ingest merges them on `source_record_id` as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from callmeter.legs import CallLeg, Direction, Disposition, OccurrenceCounter, Rejected

from . import ParseContext
from .teams import (
    FieldError,
    Instant,
    document_reject,
    dumps_raw,
    floor_seconds,
    load_document,
    parse_instant,
    text_field,
    whole_field,
)

FORMAT: Final = "zoom"

# Arrays that hold rows, in the order they are looked for.
_ELEMENT_ARRAYS = ("call_elements", "call_path")
_SUMMARY_ARRAYS = ("call_history", "call_logs")
_BUSY = frozenset({"busy", "rejected"})
_FAILED = frozenset(
    {"call_failed", "system_blocked", "service_unavailable", "invalid_key", "invalid_operation"}
)
# v1 free-text results (lower-cased).
_V1_BUSY = frozenset({"busy", "rejected"})
_V1_FAILED = frozenset({"call failed", "blocked", "failed"})
_MONEY = re.compile(r"\s*([^\d\s.+-]*)\s*([+-]?\d+(?:\.\d+)?)\s*([A-Za-z]{3})?\s*")


def parse(data: bytes, ctx: ParseContext) -> Iterator[CallLeg | Rejected]:
    """Legs and rejects from one Zoom Phone JSON document (see the module docstring)."""
    del ctx  # Zoom writes UTC; nothing site-specific is needed
    document, failure = load_document(data, FORMAT)
    if failure is not None:
        yield failure
        return
    found = _rows(document)
    if found is None:
        reason = (
            "document is not a Zoom Phone call history page, call path or webhook: expected "
            "call_history, call_logs, call_elements or call_path (or payload.object.…)"
        )
        yield document_reject(FORMAT, dumps_raw(document), reason)
        return
    rows, role, parent = found
    yield from _parse_rows(rows, role, parent)


def _rows(document: Any) -> tuple[list[Any], str, dict[str, Any]] | None:
    """(rows, role, parent): role is `element` or `summary`; parent is the enclosing object."""
    if isinstance(document, list):
        return document, "summary", {}
    if not isinstance(document, dict):
        return None
    payload = document.get("payload")
    if isinstance(payload, dict) and isinstance(payload.get("object"), dict):
        found = _rows(payload["object"])
        if found is not None:
            rows, role, parent = found
            # A call_history_completed webhook's call_logs are elements of one path.
            return rows, "element" if role == "summary" else role, parent
    for name in _ELEMENT_ARRAYS:
        if isinstance(document.get(name), list):
            return document[name], "element", document
    for name in _SUMMARY_ARRAYS:
        if isinstance(document.get(name), list):
            return document[name], "summary", document
    return None


def _parse_rows(rows: list[Any], role: str, parent: dict[str, Any]) -> Iterator[CallLeg | Rejected]:
    counter = OccurrenceCounter()
    reject_ids: set[str] = set()
    kept: dict[str, tuple[CallLeg, int]] = {}
    for number, row in enumerate(rows, start=1):
        raw = dumps_raw(row)
        if not isinstance(row, dict):
            reason = f"object {number}: expected a JSON object, got {type(row).__name__}"
            yield Rejected(FORMAT, counter.key(raw), reason, raw, number)
            continue
        key = _record_id(row, role)
        label = f"object {number} (id {key})" if key else f"object {number}"
        try:
            if key is None:
                raise FieldError(
                    "no record id: expected call_element_id, call_history_uuid or id as a string"
                )
            leg = _leg(row, role, parent, key, raw)
        except (FieldError, ValueError, TypeError, InvalidOperation) as error:
            record_id = key if key and key not in reject_ids else counter.key(raw)
            reject_ids.add(record_id)
            yield Rejected(FORMAT, record_id, f"{label}: {error}", raw, number)
            continue
        copies = kept[key][1] + 1 if key in kept else 1
        kept.pop(key, None)  # re-insert: the last copy wins and keeps its place in order
        kept[key] = (leg, copies)
    for leg, copies in kept.values():
        if copies > 1:
            leg.extra["copies_in_document"] = copies
        yield leg


def _string(row: dict[str, Any], name: str) -> str | None:
    value = row.get(name)
    return value if isinstance(value, str) and value else None


def _record_id(row: dict[str, Any], role: str) -> str | None:
    if role == "element":
        return _string(row, "call_element_id") or _string(row, "id")
    return _string(row, "call_history_uuid") or _string(row, "id")


def _int(row: dict[str, Any], name: str) -> int | None:
    return None if row.get(name) == "" else whole_field(row, name)  # Zoom writes "" for none


def _require(row: dict[str, Any], name: str) -> Instant:
    instant = parse_instant(row.get(name), name)
    if instant is None:
        raise FieldError(f"field {name!r} is missing")
    return instant


def _leg(row: dict[str, Any], role: str, parent: dict[str, Any], key: str, raw: str) -> CallLeg:
    legacy = "date_time" in row and "start_time" not in row
    if legacy:
        return _legacy_leg(row, key, raw)
    started = _require(row, "start_time")
    answered = parse_instant(row.get("answer_time"), "answer_time")
    ended = _require(row, "end_time")
    _check_order(started, answered, ended)
    result = (text_field(row, "result") or text_field(row, "call_result") or "").lower()
    connect_type = (text_field(row, "connect_type") or "").lower()
    direction = _direction(row)
    if connect_type == "internal":
        direction = "internal"
    call_id = (
        _string(row, "call_history_uuid")
        or _string(row, "call_path_id")
        or (
            _string(parent, "call_history_uuid") or _string(parent, "id")
            if role == "element"
            else None
        )
        or key
    )
    caller_ext = text_field(row, "caller_ext_number")
    callee_ext = text_field(row, "callee_ext_number")
    callee_did = text_field(row, "callee_did_number")
    callee_external = direction == "outbound" or not callee_ext
    zoom_side_type = text_field(
        row, "callee_number_type" if direction == "inbound" else "caller_number_type"
    )
    trunk = None
    if direction != "internal":
        trunk = text_field(row, "sbc_name") or text_field(row, "sip_group_name") or zoom_side_type
    return CallLeg(
        source_format=FORMAT,
        source_record_id=key,
        call_id=call_id,
        started_at=started.at,
        answered_at=answered.at if answered else None,
        ended_at=ended.at,
        ring_seconds=floor_seconds(started, answered or ended),
        duration_seconds=floor_seconds(answered, ended) if answered else 0,
        direction=direction,
        disposition=_disposition(answered is not None, result),
        calling_number=text_field(row, "caller_did_number") or caller_ext,
        called_number=(callee_did or callee_ext) if callee_external else (callee_ext or callee_did),
        extension=callee_ext if direction == "inbound" else caller_ext,
        trunk=trunk,
        account_code=text_field(row, "client_code"),
        raw=raw,
        extra={
            "record_type": role,
            "zoom_call_id": text_field(row, "call_id"),
            "result": result or None,
            "event": text_field(row, "event"),
            "duration": _int(row, "duration"),
            "talk_time": _int(row, "talk_time"),
            "hold_time": _int(row, "hold_time"),
            "wait_time": _int(row, "wait_time")
            if "wait_time" in row
            else _int(row, "waiting_time"),
            "caller_ext_type": text_field(row, "caller_ext_type"),
            "callee_ext_type": text_field(row, "callee_ext_type"),
            "caller_number_type": text_field(row, "caller_number_type"),
            "callee_number_type": text_field(row, "callee_number_type"),
            "department": text_field(row, "department") or text_field(row, "caller_department"),
            "cost_center": text_field(row, "cost_center") or text_field(row, "caller_cost_center"),
            "site_name": text_field(row, "site_name"),
            "operator_ext_number": text_field(row, "operator_ext_number"),
            "international": row.get("international")
            if isinstance(row.get("international"), bool)
            else None,
        },
    )


def _legacy_leg(row: dict[str, Any], key: str, raw: str) -> CallLeg:
    """v1 /phone/call_logs row: date_time, answer_start_time, call_end_time, free-text result."""
    started = _require(row, "date_time")
    answered = parse_instant(row.get("answer_start_time"), "answer_start_time")
    ended = parse_instant(row.get("call_end_time"), "call_end_time")
    duration = _int(row, "duration")
    if ended is None:
        if duration is None:
            raise FieldError("fields 'call_end_time' and 'duration' are both missing")
        base = answered or started
        ended = Instant(base.at + timedelta(seconds=duration), base.exact + duration)
    _check_order(started, answered, ended)
    result = (text_field(row, "result") or "").lower()
    direction = _direction(row)
    if answered is None and result == "call connected" and ended is not None:
        answered = started  # v1 rows often carry no answer time for connected calls
    charge, charge_symbol = _legacy_money(row, "charge")
    rate, _ = _legacy_money(row, "rate")
    site_value = row.get("site")
    site: dict[str, Any] = site_value if isinstance(site_value, dict) else {}
    if answered is not None:
        disposition: Disposition = "answered"
    elif result in _V1_BUSY:
        disposition = "busy"
    elif result in _V1_FAILED:
        disposition = "failed"
    else:
        disposition = "no_answer"
    caller = text_field(row, "caller_number")
    callee = text_field(row, "callee_number")
    return CallLeg(
        source_format=FORMAT,
        source_record_id=key,
        call_id=text_field(row, "call_id") or key,
        started_at=started.at,
        answered_at=answered.at if answered else None,
        ended_at=ended.at,
        ring_seconds=floor_seconds(started, answered or ended),
        duration_seconds=floor_seconds(answered, ended) if answered else 0,
        direction=direction,
        disposition=disposition,
        calling_number=caller,
        called_number=callee,
        extension=callee if direction == "inbound" else caller,
        trunk=text_field(row, "path") if direction != "unknown" else None,
        account_code=text_field(row, "client_code"),
        raw=raw,
        extra={
            "record_type": "call_log_v1",
            "result": result or None,
            "call_type": text_field(row, "call_type"),
            "duration": duration,
            "charge": charge,
            "charge_symbol": charge_symbol,
            "rate": rate,
            "site_name": text_field(site, "name"),
        },
    )


def _direction(row: dict[str, Any]) -> Direction:
    """The `direction` field: inbound, outbound, else unknown (any case)."""
    text = (text_field(row, "direction") or "").lower()
    return "inbound" if text == "inbound" else "outbound" if text == "outbound" else "unknown"


def _legacy_money(row: dict[str, Any], name: str) -> tuple[Decimal | None, str | None]:
    """ "$0.0255" -> (Decimal('0.0255'), '$'); a JSON number stays exact."""
    value = row.get(name)
    if value is None or value == "":
        return None, None
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value), None
    if not isinstance(value, str):
        raise FieldError(f"field {name!r}: expected an amount, got {value!r}")
    match = _MONEY.fullmatch(value)
    if not match:
        raise FieldError(f"field {name!r}: not an amount: {value!r}")
    symbol = match.group(1) or match.group(3) or None
    return Decimal(match.group(2)), symbol


def _disposition(answered: bool, result: str) -> Disposition:
    if answered:
        return "answered"
    if result in _BUSY:
        return "busy"
    if result in _FAILED:
        return "failed"
    return "no_answer"  # every other value, including ones Zoom adds later


def _check_order(started: Instant, answered: Instant | None, ended: Instant) -> None:
    if answered is not None and answered.exact < started.exact:
        raise FieldError("answer time is before the start time")
    if ended.exact < (answered or started).exact:
        raise FieldError(f"end time is before the {'answer' if answered else 'start'} time")
