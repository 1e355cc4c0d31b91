"""The Zoom Phone parser on Zoom's webhook examples (golden legs), call history pages, call
paths and legacy v1 call logs, and on bad objects among good ones."""

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

CTX = ParseContext(timezone=ZoneInfo("UTC"), now=datetime(2026, 1, 1, tzinfo=UTC))
parse = get_parser("zoom")
ELEMENT_ID = "20231008-48c1dfd4-91ce-4df5-8495-7c9e33d10869"
HISTORY_UUID = "20231008-1ac1df2a-912e-d125-8a15-1a1233d10f1a"


def _parse(document: Any) -> tuple[list[CallLeg], list[Rejected]]:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    items = list(parse(data, CTX))
    return [i for i in items if isinstance(i, CallLeg)], [
        i for i in items if isinstance(i, Rejected)
    ]


def _element() -> dict[str, Any]:
    document = json.loads((PBX / "zoom" / "webhook_callee_call_element_completed.json").read_text())
    return dict(document["payload"]["object"]["call_elements"][0])


def _row(**changes: Any) -> dict[str, Any]:
    """A call history summary row: outbound to the PSTN, answered after 5 s, 60 s talk."""
    return {
        "call_history_uuid": "20240301-aaaa",
        "call_id": "7000",
        "direction": "outbound",
        "connect_type": "external",
        "caller_ext_number": "1001",
        "caller_did_number": "+14155550100",
        "caller_number_type": "zoom_pstn",
        "callee_did_number": "011442079460000",
        "callee_number_type": "external_pstn",
        "start_time": "2024-03-01T10:00:00Z",
        "answer_time": "2024-03-01T10:00:05Z",
        "end_time": "2024-03-01T10:01:05Z",
        "call_result": "answered",
        "client_code": "4711",
    } | changes


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_call_element_webhook_is_one_leg_keyed_by_the_element() -> None:
    legs, rejects = _parse(
        (PBX / "zoom" / "webhook_callee_call_element_completed.json").read_bytes()
    )
    assert rejects == []
    (leg,) = legs
    assert (leg.source_record_id, leg.call_id) == (ELEMENT_ID, HISTORY_UUID)
    assert (leg.started_at, leg.answered_at, leg.ended_at) == (
        _at("2023-10-08T16:12:04"),
        _at("2023-10-08T16:12:04"),
        _at("2023-10-08T16:12:15"),
    )
    # duration from the timestamps; the example's talk_time (31) contradicts them and is kept aside
    assert (leg.ring_seconds, leg.duration_seconds, leg.extra["talk_time"]) == (0, 11, 31)
    assert (leg.direction, leg.disposition) == ("internal", "answered")
    assert (leg.calling_number, leg.called_number, leg.extension) == (
        "+12059300920",
        "101229",
        "101229",
    )
    assert (leg.trunk, leg.account_code) == (None, None)
    assert leg.extra["zoom_call_id"] == "7018317023722949162"


def test_caller_and_callee_webhooks_of_one_call_give_the_same_leg_key() -> None:
    keys = set()
    for name in (
        "callee_call_element",
        "caller_call_element",
        "callee_call_history",
        "caller_call_history",
    ):
        (leg,), _ = _parse((PBX / "zoom" / f"webhook_{name}_completed.json").read_bytes())
        keys.add((leg.source_record_id, leg.call_id))
    assert keys == {(ELEMENT_ID, HISTORY_UUID)}  # call_logs[].id / call_path_id name the same


def test_a_call_history_page_gives_one_leg_per_row_with_client_code_and_trunk() -> None:
    page = {"next_page_token": "abc", "call_history": [_row()]}
    (leg,), rejects = _parse(page)
    assert rejects == []
    assert (leg.source_record_id, leg.call_id) == ("20240301-aaaa", "20240301-aaaa")
    assert (leg.ring_seconds, leg.duration_seconds) == (5, 60)
    assert (leg.direction, leg.extension, leg.called_number) == (
        "outbound",
        "1001",
        "011442079460000",
    )
    assert (leg.trunk, leg.account_code) == ("zoom_pstn", "4711")
    assert (
        _parse({"call_logs": [_row(call_history_uuid=None, id="old-id")]})[0][0].source_record_id
        == "old-id"
    )


def test_a_byoc_leg_uses_the_sbc_as_its_trunk() -> None:
    (leg,), _ = _parse({"call_history": [_row(sbc_name="SBC-LON", sip_group_name="grp")]})
    assert leg.trunk == "SBC-LON"


def test_unanswered_results_map_to_busy_failed_or_no_answer() -> None:
    cases = {
        "busy": "busy",
        "rejected": "busy",
        "call_failed": "failed",
        "system_blocked": "failed",
        "ring_timeout": "no_answer",
        "a_value_zoom_adds_next_year": "no_answer",
    }
    for result, disposition in cases.items():
        (leg,), _ = _parse({"call_history": [_row(answer_time="", call_result=result)]})
        assert (leg.disposition, leg.duration_seconds, leg.ring_seconds) == (disposition, 0, 65), (
            result
        )
        assert leg.extra["result"] == result


def test_voicemail_with_an_answer_time_counts_as_answered() -> None:
    (leg,), _ = _parse({"call_history": [_row(call_result="voicemail")]})
    assert leg.disposition == "answered"


def test_a_call_path_groups_its_elements_under_the_calls_uuid() -> None:
    first = _element() | {"call_history_uuid": None}
    second = first | {
        "call_element_id": "el-2",
        "start_time": "2023-10-08T16:12:10Z",
        "answer_time": "2023-10-08T16:12:12Z",
    }
    path = {"call_history_uuid": "path-uuid", "call_elements": [first, second]}
    legs, rejects = _parse(path)
    assert rejects == []
    assert [(leg.source_record_id, leg.call_id) for leg in legs] == [
        (ELEMENT_ID, "path-uuid"),
        ("el-2", "path-uuid"),
    ]


def test_a_legacy_call_log_keeps_its_charge_as_an_exact_decimal() -> None:
    log = {
        "id": "v1-1",
        "call_id": "900",
        "direction": "outbound",
        "caller_number": "1001",
        "callee_number": "+442079460000",
        "date_time": "2024-03-01T10:00:00Z",
        "answer_start_time": "2024-03-01T10:00:03Z",
        "call_end_time": "2024-03-01T10:02:03Z",
        "duration": 120,
        "result": "Call connected",
        "path": "pstn",
        "charge": "$0.0255",
        "rate": "0.0255",
        "client_code": "77",
    }
    busy = log | {"id": "v1-2", "answer_start_time": "", "result": "Busy", "charge": ""}
    legs, rejects = _parse({"call_logs": [log, busy]})
    assert rejects == []
    assert legs[0].extra["charge"] == Decimal("0.0255") and legs[0].extra["charge_symbol"] == "$"
    assert (legs[0].duration_seconds, legs[0].account_code, legs[0].trunk) == (120, "77", "pstn")
    assert (legs[1].disposition, legs[1].duration_seconds) == ("busy", 0)


def test_repeated_elements_in_a_document_become_one_leg() -> None:
    element = _element()
    legs, _ = _parse({"call_elements": [element, element | {"client_code": "9"}]})
    assert len(legs) == 1 and legs[0].account_code == "9"
    assert legs[0].extra["copies_in_document"] == 2


def test_a_malformed_row_is_rejected_with_its_reason_and_the_others_still_parse() -> None:
    rows = [
        _row(),
        _row(call_history_uuid="bad-answer", answer_time="half past ten"),
        _row(call_history_uuid="backwards", end_time="2024-03-01T09:00:00Z"),
        {"start_time": "2024-03-01T10:00:00Z"},
        42,
        _row(call_history_uuid="last"),
    ]
    legs, rejects = _parse({"call_history": rows})
    assert [leg.source_record_id for leg in legs] == ["20240301-aaaa", "last"]
    reasons = {r.line_number: r.reason for r in rejects}
    assert set(reasons) == {2, 3, 4, 5}
    assert "object 2 (id bad-answer)" in reasons[2] and "answer_time" in reasons[2]
    assert "before" in reasons[3]
    assert "no record id" in reasons[4]
    assert "expected a JSON object" in reasons[5]


def test_a_document_that_is_not_zoom_is_one_reject() -> None:
    assert "not JSON" in _parse(b"\xff\xfe")[1][0].reason
    assert "not a Zoom Phone" in _parse({"meetings": []})[1][0].reason


# --- property: random and mutated rows never crash and are each parsed or rejected, once ---

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.text(max_size=8),
    st.sampled_from(
        [
            "2024-03-01T10:00:00Z",
            "2024-03-01T10:00:30Z",
            "",
            "2024-02-30T10:00:00Z",
            "yesterday",
            "$1.50",
            "busy",
            "internal",
            "inbound",
        ]
    ),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-5, max_value=5),
    st.lists(st.integers(), max_size=2),
)


@st.composite
def _rows(draw: st.DrawFn) -> list[Any]:
    rows: list[Any] = []
    for index in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 9)) == 0:
            rows.append(draw(_VALUES))
            continue
        row = _row(call_history_uuid=f"id-{index}")
        for key in draw(st.lists(st.sampled_from(sorted(row)), max_size=4)):
            if draw(st.booleans()):
                row.pop(key, None)
            else:
                value = draw(_VALUES)
                if key in ("call_history_uuid", "id") and isinstance(value, str) and value:
                    value = f"{value}-{index}"  # a mutated id stays unique to its row
                row[key] = value
        rows.append(row)
    return rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_rows())
def test_every_row_is_parsed_or_rejected_never_both_never_neither(rows: list[Any]) -> None:
    rows = json.loads(json.dumps(rows, default=float))  # what the parser will see
    legs, rejects = _parse({"call_history": rows})
    rejected = [r.line_number for r in rejects]
    assert len(rejected) == len(set(rejected)) and len({r.record_id for r in rejects}) == len(
        rejects
    )
    leg_ids = {leg.source_record_id for leg in legs}
    for number, row in enumerate(rows, start=1):
        ident = None
        if isinstance(row, dict):
            ident = next(
                (
                    row[k]
                    for k in ("call_history_uuid", "id")
                    if isinstance(row.get(k), str) and row[k]
                ),
                None,
            )
        parsed = ident is not None and ident in leg_ids
        assert parsed != (number in rejected), f"row {number}: parsed={parsed}"
