"""The Teams parser on Microsoft's Graph examples (golden legs) and on the edge cases of
docs/pbx-formats/teams.md: 7-digit fractions, 0001-01-01 sentinels, duplicate ids, bad objects."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callmeter.legs import CallLeg, Rejected
from extractors.parsers import ParseContext, get_parser
from tests.paths import PBX

CTX = ParseContext(timezone=ZoneInfo("Europe/London"), now=datetime(2026, 1, 1, tzinfo=UTC))
parse = get_parser("teams")


def _parse(document: Any) -> tuple[list[CallLeg], list[Rejected]]:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    items = list(parse(data, CTX))
    return [i for i in items if isinstance(i, CallLeg)], [
        i for i in items if isinstance(i, Rejected)
    ]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _dr(**changes: Any) -> dict[str, Any]:
    row = json.loads((PBX / "teams" / "getDirectRoutingCalls_example.json").read_text())["value"][0]
    return row | changes


def test_the_direct_routing_example_is_one_answered_inbound_leg() -> None:
    legs, rejects = _parse((PBX / "teams" / "getDirectRoutingCalls_example.json").read_bytes())
    assert rejects == []
    (leg,) = legs
    assert (leg.source_record_id, leg.call_id) == (
        "9e8bba57-dc14-533a-a7dd-f0da6575eed1",
        "c98e1515-a937-4b81-b8a8-3992afde64e0",
    )
    assert leg.started_at == _at("2019-11-01T00:00:21.949")
    assert leg.answered_at == _at("2019-11-01T00:00:25.105")
    assert leg.ended_at == _at("2019-11-01T00:00:30.105")
    assert (leg.ring_seconds, leg.duration_seconds) == (3, 5)
    assert (leg.direction, leg.disposition) == ("inbound", "answered")
    assert (leg.calling_number, leg.called_number) == ("+12345678***", "+01234567***")
    assert leg.extension == "richard.malk@contoso.com"
    assert leg.trunk == "tll-audiocodes01.adatum.biz"
    assert leg.account_code is None
    assert json.loads(leg.raw)["id"] == leg.source_record_id


def test_the_pstn_example_keeps_microsofts_charges_as_exact_decimals() -> None:
    legs, rejects = _parse((PBX / "teams" / "getPstnCalls_example.json").read_bytes())
    assert rejects == []
    (leg,) = legs
    assert leg.call_id == "1835317186_112562680@61.221.3.176"
    assert leg.started_at == leg.answered_at == _at("2019-11-01T00:00:08.258993")
    assert leg.ended_at == _at("2019-11-01T00:03:47.258993")
    assert (leg.ring_seconds, leg.duration_seconds) == (None, 219)
    assert (leg.direction, leg.disposition, leg.trunk) == ("inbound", "answered", "Microsoft")
    assert leg.extra["charge"] == Decimal("0.00") and isinstance(leg.extra["charge"], Decimal)
    assert leg.extra["currency"] == "USD"


def test_the_call_record_example_is_one_internal_leg_per_session() -> None:
    legs, rejects = _parse(
        (PBX / "teams" / "callRecord_sessions_segments_example.json").read_bytes()
    )
    assert rejects == []
    (leg,) = legs
    record = "e523d2ed-2966-4b6b-925b-754a88034cc5"
    assert (leg.source_record_id, leg.call_id) == (f"{record}:{record}", record)
    assert (leg.direction, leg.disposition) == ("internal", "answered")
    assert leg.duration_seconds == 25  # floor(46.7640013 - 21.2169889)
    assert (leg.extension, leg.called_number) == (
        "abbie.wilkins@contoso.com",
        "owen.franklin@contoso.com",
    )
    assert leg.extra["sessions_truncated"] is True  # the example has a sessions@odata.nextLink


def test_seconds_are_the_floor_of_the_full_seven_digit_difference() -> None:
    # Truncated to microseconds these are 0 s and 5 s apart; the full difference is 4.9999991 s.
    row = _dr(
        inviteDateTime="2024-03-01T10:00:00.0000009Z",
        startDateTime="2024-03-01T10:00:05.0000000Z",
        endDateTime="2024-03-01T10:01:05.1234567Z",
        duration=60,
    )
    (leg,), _ = _parse({"value": [row]})
    assert leg.ring_seconds == 4
    assert leg.started_at == _at("2024-03-01T10:00:00")  # the 7th digit is dropped from storage
    assert leg.ended_at.microsecond == 123456


def test_a_failed_call_ends_at_its_failure_and_ignores_the_sentinel_end() -> None:
    row = _dr(
        successfulCall=False,
        failureDateTime="2024-03-01T10:00:07.5Z",
        endDateTime="0001-01-01T00:00:00Z",
        startDateTime="2024-03-01T10:00:07.5Z",
        inviteDateTime="2024-03-01T10:00:00Z",
        finalSipCode=486,
        duration=0,
    )
    (leg,), rejects = _parse({"value": [row]})
    assert rejects == []
    assert (leg.answered_at, leg.ended_at) == (None, _at("2024-03-01T10:00:07.5"))
    assert (leg.ring_seconds, leg.duration_seconds, leg.disposition) == (7, 0, "busy")


def test_a_failure_at_the_sentinel_falls_back_to_the_start_time() -> None:
    row = _dr(
        successfulCall=False,
        finalSipCode=487,
        startDateTime="2024-03-01T10:00:09Z",
        inviteDateTime="2024-03-01T10:00:00Z",
    )
    (leg,), _ = _parse({"value": [row]})
    assert (leg.ended_at, leg.disposition) == (_at("2024-03-01T10:00:09"), "no_answer")


def test_a_sentinel_where_a_time_is_required_rejects_the_row_and_says_which_field() -> None:
    (reject,) = _parse({"value": [_dr(inviteDateTime="0001-01-01T00:00:00Z")]})[1]
    assert "inviteDateTime" in reject.reason and "sentinel" in reject.reason


def test_call_types_map_to_directions_case_insensitively() -> None:
    kinds = {
        "dr_out_user_forwarding": "outbound",
        "dr_in_ucap": "inbound",
        "BYOTOUT": "unknown",
        "ByotOut": "outbound",
        "mystery": "unknown",
    }
    for call_type, direction in kinds.items():
        (leg,), _ = _parse({"value": [_dr(callType=call_type)]})
        assert leg.direction == direction, call_type


def test_rows_repeated_in_a_document_become_one_leg_and_the_last_copy_wins() -> None:
    legs, rejects = _parse({"value": [_dr(duration=5), _dr(duration=5, calleeNumber="+4420")]})
    assert rejects == [] and len(legs) == 1
    assert legs[0].called_number == "+4420" and legs[0].extra["copies_in_document"] == 2


def test_a_re_versioned_call_record_keeps_the_highest_version() -> None:
    record = json.loads((PBX / "teams" / "callRecord_sessions_segments_example.json").read_text())
    newer = record | {"version": 3, "type": "groupCall"}
    legs, _ = _parse({"value": [newer, record]})
    assert [leg.extra["call_record_type"] for leg in legs] == ["groupCall"]


def test_a_malformed_object_is_rejected_with_its_reason_and_the_others_still_parse() -> None:
    good = _dr()
    document = {
        "value": [
            good,
            _dr(id="bad-time", endDateTime="2019-13-45T00:00:00Z"),
            "not an object",
            {"id": "who-knows", "colour": "blue"},
            _dr(id="bad-order", endDateTime="2019-11-01T00:00:00Z"),
            _dr(id="second"),
        ]
    }
    legs, rejects = _parse(document)
    assert [leg.source_record_id for leg in legs] == [good["id"], "second"]
    reasons = {r.line_number: r.reason for r in rejects}
    assert set(reasons) == {2, 3, 4, 5}
    assert "object 2 (id bad-time)" in reasons[2] and "endDateTime" in reasons[2]
    assert "expected a JSON object" in reasons[3]
    assert "not a directRoutingLogRow" in reasons[4]
    assert "before" in reasons[5]
    assert rejects[0].record_id == "bad-time"


def test_a_document_that_is_not_json_or_not_graph_is_one_reject() -> None:
    assert [r.reason[:20] for r in _parse(b"{not json")[1]] == ["document is not JSON"]
    legs, rejects = _parse({"hello": "world"})
    assert legs == [] and "not a Graph call-record response" in rejects[0].reason


# --- property: random and mutated objects never crash and are each parsed or rejected, once ---

_TIMES = st.sampled_from(
    [
        "2024-03-01T10:00:00Z",
        "2024-03-01T10:00:05.1234567Z",
        "2024-03-01T09:59:59.9Z",
        "0001-01-01T00:00:00Z",
        "2024-02-30T00:00:00Z",
        "",
        "now",
        "2024-03-01T10:00:00+01:00",
    ]
)
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.text(max_size=8),
    _TIMES,
    st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10, max_value=10),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_BASES = [
    json.loads((PBX / "teams" / name).read_text())
    for name in ("getDirectRoutingCalls_example.json", "getPstnCalls_example.json")
]
_BASE_ROWS = [b["value"][0] for b in _BASES] + [
    json.loads((PBX / "teams" / "callRecord_sessions_segments_example.json").read_text())
]


@st.composite
def _objects(draw: st.DrawFn) -> list[Any]:
    objects: list[Any] = []
    for index in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 9)) == 0:
            objects.append(draw(_VALUES))
            continue
        obj = dict(draw(st.sampled_from(_BASE_ROWS)))
        obj["id"] = f"id-{index}"
        for key in draw(st.lists(st.sampled_from(sorted(obj)), max_size=4)):
            if draw(st.booleans()):
                obj.pop(key, None)
            else:
                obj[key] = draw(_VALUES)
        objects.append(obj)
    return objects


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_objects())
def test_every_object_is_parsed_or_rejected_never_both_never_neither(objects: list[Any]) -> None:
    objects = json.loads(json.dumps(objects, default=float))  # what the parser will see
    legs, rejects = _parse({"value": objects})
    rejected = [r.line_number for r in rejects]
    assert len(rejected) == len(set(rejected)), "an object was rejected twice"
    assert len({r.record_id for r in rejects}) == len(rejects), "reject ids must be unique"
    # a row's leg carries its id; a callRecord's legs carry it as call_id ("{id}:{session}")
    leg_ids = {
        leg.call_id if leg.extra["record_type"] == "session" else leg.source_record_id
        for leg in legs
    }
    for number, obj in enumerate(objects, start=1):
        ident = obj.get("id") if isinstance(obj, dict) else None
        parsed = isinstance(ident, str) and ident in leg_ids
        assert parsed != (number in rejected), f"object {number}: parsed={parsed}"
