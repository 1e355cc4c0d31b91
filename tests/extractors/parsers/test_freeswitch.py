"""FreeSWITCH mod_cdr_csv: the docs example (golden legs), templates from config, edge cases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callmeter.legs import CallLeg, Rejected
from extractors.parsers import ParseContext, get_parser
from extractors.parsers.tables import parse_tables
from tests.paths import PBX

MADRID = ZoneInfo("Europe/Madrid")


def ctx(**options: Any) -> ParseContext:
    return ParseContext(timezone=MADRID, now=datetime(2025, 1, 1, tzinfo=UTC), options=options)


def parse(text: str | bytes, context: ParseContext | None = None) -> list[CallLeg | Rejected]:
    data = text if isinstance(text, bytes) else text.encode()
    return list(get_parser("freeswitch")(data, context or ctx()))


def example(**changes: str) -> str:
    fields = {
        "caller_id_name": "Extension 1000", "caller_id_number": "1000",
        "destination_number": "0034688886392", "context": "default",
        "start_stamp": "2024-03-11 09:40:00", "answer_stamp": "2024-03-11 09:40:07",
        "end_stamp": "2024-03-11 09:41:07", "duration": "67", "billsec": "60",
        "hangup_cause": "NORMAL_CLEARING", "uuid": "a-leg", "bleg_uuid": "b-leg",
        "accountcode": "PROJ42", "read_codec": "PCMA", "write_codec": "PCMA",
    } | changes  # fmt: skip
    return ",".join(f'"{v}"' for v in fields.values())


def test_the_docs_example_gives_five_unanswered_outbound_attempts() -> None:
    items = parse((PBX / "freeswitch" / "docs_Master_example.csv").read_bytes())
    assert len(items) == 5 and all(isinstance(i, CallLeg) for i in items)
    first = items[0]
    assert isinstance(first, CallLeg)
    assert first.source_record_id == first.call_id == "a5c9f6c0-e752-11e3-8bfb-65b6c3cdac7d"
    assert first.started_at == datetime(2014, 5, 29, 14, 59, 50, tzinfo=UTC)  # CEST
    assert (first.disposition, first.answered_at, first.duration_seconds, first.ring_seconds) == (
        "no_answer", None, 0, 0,
    )  # fmt: skip
    assert (first.direction, first.extension, first.called_number) == (
        "outbound",
        "9007",
        "0034688886392",
    )
    numbers = [i.called_number for i in items if isinstance(i, CallLeg)]
    assert numbers == [
        "0034688886392",
        "+34688886392",
        "34688886392",
        "0034688886392",
        "00034688886392",
    ]


def test_an_answered_leg_uses_billsec_for_talk_time() -> None:
    [leg] = parse(example())
    assert isinstance(leg, CallLeg)
    assert (leg.disposition, leg.ring_seconds, leg.duration_seconds) == ("answered", 7, 60)
    assert leg.account_code == "PROJ42" and leg.extra["bleg_uuid"] == "b-leg"


@pytest.mark.parametrize(
    ("cause", "expected"),
    [
        ("USER_BUSY", "busy"),
        ("NO_ANSWER", "no_answer"),
        ("ORIGINATOR_CANCEL", "no_answer"),
        ("CALL_REJECTED", "failed"),
    ],
)
def test_unanswered_dispositions_follow_the_hangup_cause(cause: str, expected: str) -> None:
    [leg] = parse(example(answer_stamp="", billsec="0", hangup_cause=cause))
    assert isinstance(leg, CallLeg) and leg.disposition == expected and leg.duration_seconds == 0


def test_with_legs_ab_the_b_leg_joins_the_a_legs_call() -> None:
    b_leg = example(uuid="b-leg", bleg_uuid="", caller_id_number="1000", destination_number="1001")
    a_leg, b = parse(example() + "\n" + b_leg)
    assert isinstance(a_leg, CallLeg) and isinstance(b, CallLeg)
    assert a_leg.call_id == b.call_id == "a-leg"
    assert b.source_record_id == "b-leg"


def test_contexts_from_config_decide_direction() -> None:
    [leg] = parse(
        example(caller_id_number="+34911222333", destination_number="1000", context="public"),
        ctx(inbound_contexts=["public"]),
    )
    assert isinstance(leg, CallLeg) and (leg.direction, leg.extension) == ("inbound", "1000")


def test_a_template_declared_in_config_with_epochs_and_gateway() -> None:
    template = '"${uuid}","${call_uuid}","${caller_id_number}","${destination_number}","${start_epoch}","${answer_epoch}","${end_epoch}","${billsec}","${hangup_cause}","${sip_gateway_name}"'
    line = '"u1","c1","1000","0034688886392","1710150000","1710150011","1710150059","48","NORMAL_CLEARING","gw-carrier"'
    [leg] = parse(line, ctx(template=template))
    assert isinstance(leg, CallLeg)
    assert leg.started_at == datetime(2024, 3, 11, 9, 40, tzinfo=UTC)
    assert (leg.call_id, leg.trunk, leg.direction, leg.duration_seconds) == (
        "c1",
        "gw-carrier",
        "outbound",
        48,
    )
    [unanswered] = parse(
        line.replace('"1710150011"', '"0"').replace('"48"', '"0"'), ctx(template=template)
    )
    assert isinstance(unanswered, CallLeg) and unanswered.answered_at is None


def test_the_built_in_default_template_has_13_fields() -> None:
    line = example().rsplit(",", 2)[0]
    [leg] = parse(line, ctx(template="default"))
    assert isinstance(leg, CallLeg)
    [reject] = parse(line)
    assert isinstance(reject, Rejected) and "13 fields, the template has 15" in reject.reason


def test_dst_gap_start_is_shifted_forward() -> None:
    [leg] = parse(
        example(
            start_stamp="2024-03-31 02:30:00",
            answer_stamp="2024-03-31 03:30:05",
            end_stamp="2024-03-31 03:31:00",
        )
    )
    assert isinstance(leg, CallLeg)
    assert leg.started_at == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    assert leg.extra["dst"] == {"start": "nonexistent_shifted_forward"}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            "9008,9008,&,public,2020/2/10 22:41,,2020/2/10 22:41,0,0,NORMAL_CLEARING,x,,,,",
            "spreadsheet",
        ),
        (example(end_stamp="2024-03-11 09:30:00"), "before the start"),
        (example(billsec="sixty"), "billsec"),
        (example(answer_stamp="2024-03-11 09:50:00"), "outside start..end"),
        (example(start_stamp=""), "empty"),
    ],
)
def test_bad_rows_are_rejected_with_a_reason(line: str, reason: str) -> None:
    [item] = parse(line)
    assert isinstance(item, Rejected) and reason in item.reason and item.line_number == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"template": "nonsense"}, "neither a known template"),
        ({"fields": ["uuid"]}, "start"),
        ({"tempalte": "x"}, "unknown option"),
    ],
)
def test_invalid_templates_are_a_clear_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(example(), ctx(**options))


def test_the_bulk_path_matches_parse() -> None:
    text = (
        (PBX / "freeswitch" / "docs_Master_example.csv").read_text() + example(billsec="x") + "\n"
    )
    tables = parse_tables("freeswitch", text.encode(), ctx())
    legs = [i for i in parse(text) if isinstance(i, CallLeg)]
    assert (tables.legs.num_rows, tables.rejects.num_rows) == (5, 1)
    assert tables.legs.column("source_record_id").to_pylist() == [
        leg.source_record_id for leg in legs
    ]
