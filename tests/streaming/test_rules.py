"""Each rule, table-driven, on hand-made call events (no I/O, time passed in)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from streaming.rules.base import CallEvent, RuleContext, SiteInfo
from streaming.rules.capacity import Concurrent, FeedSilence, TrunkSaturation, peak_concurrency
from streaming.rules.fraud import (
    AfterHours,
    Burst,
    HighCost,
    PremiumDestination,
    load_rate_card,
    rate_for,
)
from streaming.rules.volume import Anomaly, Threshold, hour_of_week, load_baselines

CTX = RuleContext(
    {("acme", "london"): SiteInfo("acme", "london", ZoneInfo("Europe/London"), {"SIP-GAMMA": 4})},
    {"mitel-1752": ("acme", "london")},
)
T0 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 in London


def event(
    call_id: str = "c1",
    *,
    kind: str = "end",
    start: datetime = T0,
    seconds: int = 60,
    extension: str | None = "201",
    e164: str | None = "442071234567",
    direction: str = "outbound",
    trunk: str | None = "SIP-GAMMA",
) -> CallEvent:
    ended = start + timedelta(seconds=seconds) if kind == "end" else None
    return CallEvent(
        kind=kind,  # type: ignore[arg-type]
        tenant_id="acme",
        site_id="london",
        listener="mitel-1752",
        call_id=call_id,
        record_id=call_id,
        direction=direction,
        extension=extension,
        calling_number=extension,
        called_number=e164,
        called_e164=e164,
        trunk=trunk,
        started_at=start,
        answered_at=start if seconds else None,
        ended_at=ended,
        duration_seconds=seconds if kind == "end" else 0,
        arrived_at=(ended or start) + timedelta(milliseconds=5),
    )


@pytest.mark.parametrize(
    ("e164", "direction", "fires"),
    [
        ("449091234567", "outbound", True),
        ("19005551234", "outbound", True),
        ("19005551234", "unknown", True),
        ("442071234567", "outbound", False),
        ("449091234567", "inbound", False),
        (None, "outbound", False),
    ],
)
def test_premium_destination(e164: str | None, direction: str, fires: bool) -> None:
    rule = PremiumDestination("premium", "high", None, ["44909", "1900"])
    alerts = rule.on_event(event(e164=e164, direction=direction), CTX, T0)
    assert bool(alerts) is fires


def test_start_and_end_of_one_premium_call_give_the_same_alert_id() -> None:
    rule = PremiumDestination("premium", "high", None, ["44909"])
    [at_start] = rule.on_event(event(kind="start", e164="449091"), CTX, T0)
    [at_end] = rule.on_event(event(kind="end", e164="449091"), CTX, T0 + timedelta(minutes=5))
    assert at_start.alert_id == at_end.alert_id
    assert at_start.alert_id != rule.on_event(event("c2", e164="449091"), CTX, T0)[0].alert_id


@pytest.mark.parametrize(
    ("local_start", "fires"),
    [
        (datetime(2026, 3, 4, 18, 59), False),  # Wednesday before the window
        (datetime(2026, 3, 4, 19, 0), True),
        (datetime(2026, 3, 5, 2, 30), True),  # wraps midnight
        (datetime(2026, 3, 5, 7, 0), False),
        (datetime(2026, 3, 7, 12, 0), True),  # Saturday
        (datetime(2026, 12, 25, 12, 0), True),  # a holiday
        (datetime(2026, 7, 1, 18, 30), False),  # summer time: 17:30 UTC is 18:30 local
        (datetime(2026, 7, 1, 19, 30), True),
    ],
)
def test_after_hours_uses_the_site_local_time(local_start: datetime, fires: bool) -> None:
    rule = AfterHours("night", "high", None, "19:00", "07:00", True, ["2026-12-25"])
    start = local_start.replace(tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)
    assert bool(rule.on_event(event(start=start), CTX, T0)) is fires


def test_after_hours_ignores_internal_and_inbound_calls_by_default() -> None:
    rule = AfterHours("night", "high", None, "00:00", "23:59")
    assert rule.on_event(event(direction="internal", e164=None), CTX, T0) == []
    assert rule.on_event(event(direction="inbound"), CTX, T0) == []


@pytest.mark.parametrize(
    ("gaps", "fires_at"),
    [
        ([0, 10, 20], [3]),  # three calls in 20 s
        ([0, 40, 80], []),  # spread out
        ([0, 10, 20, 30, 40, 50], [3, 6]),  # two separate bursts, each alerted once
        ([20, 10, 0], [3]),  # CDRs out of order
    ],
)
def test_burst_per_extension(gaps: list[int], fires_at: list[int]) -> None:
    rule = Burst("burst", "high", None, calls=3, seconds=30)
    fired = []
    for n, gap in enumerate(gaps, start=1):
        if rule.on_event(event(f"c{n}", start=T0 + timedelta(seconds=gap)), CTX, T0):
            fired.append(n)
    assert fired == fires_at


def test_burst_counts_each_call_once_and_extensions_separately() -> None:
    rule = Burst("burst", "high", None, calls=2, seconds=60)
    assert rule.on_event(event("a", kind="start"), CTX, T0) == []
    assert rule.on_event(event("a", kind="end"), CTX, T0) == []
    assert rule.on_event(event("b", extension="202"), CTX, T0) == []
    assert rule.on_event(event("c", extension="201"), CTX, T0)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_high_cost_uses_the_longest_prefix_of_the_rate_card(tmp_path: Path) -> None:
    card = load_rate_card(
        write(
            tmp_path / "card.csv",
            "prefix,destination,rate_per_minute\n44,UK,0.01\n4470,UK personal,1.50\n",
        )
    )
    assert rate_for(card, "447012345") == ("4470", Decimal("1.50"))
    rule = HighCost("costly", "high", None, card, Decimal("1.00"))
    assert rule.on_event(event(e164="447012345"), CTX, T0)
    assert rule.on_event(event(e164="442071234"), CTX, T0) == []
    assert rule.on_event(event(e164="33123456789"), CTX, T0) == []  # unrated: no opinion


def test_high_cost_mid_call_timer_fires_once_for_a_long_expensive_call(tmp_path: Path) -> None:
    card = load_rate_card(write(tmp_path / "card.csv", "prefix,rate_per_minute\n44,0.10\n"))
    rule = HighCost("long", "high", None, card, Decimal("5"), max_cost=Decimal("1.00"))
    rule.on_event(event(kind="answer"), CTX, T0)
    assert rule.on_tick(CTX, T0 + timedelta(minutes=9)) == []
    [alert] = rule.on_tick(CTX, T0 + timedelta(minutes=11))
    assert alert.details["cost_so_far"] == "1.1000"
    assert rule.on_tick(CTX, T0 + timedelta(minutes=12)) == []


def test_a_rate_card_with_a_bad_rate_names_the_row(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="row 3: rate_per_minute"):
        load_rate_card(write(tmp_path / "card.csv", "prefix,rate_per_minute\n44,0.1\n33,abc\n"))


@pytest.mark.parametrize(
    ("legs", "limit", "fires"),
    [
        ([(0, 60), (10, 60), (20, 60)], 2, True),  # three at once
        ([(0, 10), (10, 10), (20, 10)], 2, False),  # back to back
        ([(0, 60), (100, 60), (30, 100)], 2, False),  # never more than two
    ],
)
def test_concurrent_legs_per_extension(
    legs: list[tuple[int, int]], limit: int, fires: bool
) -> None:
    rule = Concurrent("conc", "high", None, per="extension", limit=limit)
    alerts = []
    for n, (offset, seconds) in enumerate(legs):
        alerts += rule.on_event(
            event(f"c{n}", start=T0 + timedelta(seconds=offset), seconds=seconds), CTX, T0
        )
    assert bool(alerts) is fires


def test_trunk_saturation_fires_when_every_channel_is_busy_then_cools_down() -> None:
    rule = TrunkSaturation("sat", "high", None, percent=100)
    fired = []
    for n in range(6):  # 6 overlapping legs on a 4-channel trunk
        if rule.on_event(event(f"c{n}", start=T0 + timedelta(seconds=n), seconds=600), CTX, T0):
            fired.append(n)
    assert fired == [3]  # the fourth leg fills the trunk; the rest fall in the cool-down
    assert rule.on_event(event("x", trunk="UNKNOWN-TRUNK"), CTX, T0) == []


def test_open_calls_count_towards_concurrency_until_they_end() -> None:
    assert peak_concurrency([(T0, None), (T0 + timedelta(hours=5), None)]) == 2
    rule = Concurrent("conc", "high", None, per="extension", limit=1)
    assert rule.on_event(event("a", kind="start"), CTX, T0) == []
    assert rule.on_event(event("b", kind="start", start=T0 + timedelta(minutes=1)), CTX, T0)


def test_feed_silence_alerts_once_per_silence() -> None:
    rule = FeedSilence("quiet", "warning", None, minutes=5)
    rule.watch("mitel-1752", T0)
    assert rule.on_tick(CTX, T0 + timedelta(minutes=4)) == []
    [alert] = rule.on_tick(CTX, T0 + timedelta(minutes=6))
    assert (alert.tenant_id, alert.site_id, alert.rule_type) == ("acme", "london", "feed_silence")
    assert rule.on_tick(CTX, T0 + timedelta(minutes=7)) == []
    rule.on_event(event(start=T0 + timedelta(minutes=8), seconds=0), CTX, T0)
    assert rule.on_tick(CTX, T0 + timedelta(minutes=9)) == []
    assert rule.on_tick(CTX, T0 + timedelta(minutes=14))


@pytest.mark.parametrize(
    ("metric", "legs", "limit", "fires"),
    [
        ("calls", 4, "3", True),
        ("calls", 3, "3", False),
        ("minutes", 3, "5", True),  # 3 x 2 minutes
        ("minutes", 2, "5", False),
        ("distinct_destinations", 4, "3", True),
    ],
)
def test_threshold_per_extension(metric: str, legs: int, limit: str, fires: bool) -> None:
    rule = Threshold("vol", "warning", None, metric, "extension", 3600, Decimal(limit), 3600)
    alerts = []
    for n in range(legs):
        start = T0 + timedelta(minutes=n)
        alerts += rule.on_event(
            event(f"c{n}", start=start, seconds=120, e164=f"4420{n}123456"), CTX, T0
        )
    assert bool(alerts) is fires


def test_threshold_cool_down_silences_the_same_scope() -> None:
    rule = Threshold("vol", "warning", None, "calls", "extension", 3600, Decimal(1), 600)
    fired = [
        n
        for n in range(8)
        if rule.on_event(event(f"c{n}", start=T0 + timedelta(minutes=2 * n)), CTX, T0)
    ]
    assert fired == [1, 6]  # 2 calls > 1 at n=1; quiet for 10 minutes; again at 12 minutes


def test_anomaly_fires_above_mean_plus_k_sigma_for_that_hour_of_week(tmp_path: Path) -> None:
    local = T0.astimezone(ZoneInfo("Europe/London"))
    how = hour_of_week(local)
    assert how == 2 * 24 + 10
    baselines = load_baselines(
        write(
            tmp_path / "b.csv",
            "tenant_id,site_id,extension,hour_of_week,metric,mean,stddev\n"
            f"acme,london,201,{how},calls,2,0.5\n",
        )
    )
    rule = Anomaly("odd", "warning", None, baselines, Decimal(3), Decimal(1), ["calls"])
    fired = [
        n
        for n in range(6)
        if rule.on_event(event(f"c{n}", start=T0 + timedelta(minutes=n)), CTX, T0)
    ]
    assert fired == [3]  # 4 calls > 2 + 3 * 0.5, once per hour
    assert rule.on_event(event("z", extension="999"), CTX, T0) == []  # no baseline, no opinion


def test_baselines_with_an_hour_out_of_range_name_the_row(tmp_path: Path) -> None:
    path = write(
        tmp_path / "b.csv",
        "tenant_id,site_id,extension,hour_of_week,metric,mean,stddev\nacme,london,201,168,calls,1,1\n",
    )
    with pytest.raises(ValueError, match="row 2: hour_of_week"):
        load_baselines(path)


def test_replaying_the_same_events_gives_the_same_alert_ids() -> None:
    events = [event(f"c{n}", start=T0 + timedelta(seconds=5 * n), e164="449091") for n in range(4)]

    def run() -> list[str]:
        rules = [PremiumDestination("p", "high", None, ["44909"]), Burst("b", "high", None, 3, 60)]
        return [
            a.alert_id for e in events for r in rules for a in r.on_event(e, CTX, datetime.now(UTC))
        ]

    assert run() == run()
    assert replace(events[0], call_id="other") != events[0]
