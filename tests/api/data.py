"""A tiny hand-made serving snapshot (the mart tables with the columns of the dbt contracts) and a
live store seeded through the sidecar's own writer. Shared by the API and the board tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

# Column types from dbt_project/models/marts/**/_*.yml; valid on DuckDB and PostgreSQL alike.
TABLES: dict[str, list[tuple[str, str]]] = {
    "fct_calls": [
        ("tenant_id", "text"),
        ("site_id", "text"),
        ("source_format", "text"),
        ("call_id", "text"),
        ("call_started_at", "timestamp"),
        ("first_answered_at", "timestamp"),
        ("call_ended_at", "timestamp"),
        ("calling_number", "text"),
        ("first_extension", "text"),
        ("answering_extension", "text"),
        ("transfer_path", "text"),
        ("direction", "text"),
        ("disposition", "text"),
        ("is_transferred", "boolean"),
        ("is_forwarded", "boolean"),
        ("leg_count", "integer"),
        ("ring_seconds", "integer"),
        ("talk_seconds", "integer"),
        ("costing_trunk", "text"),
        ("costing_leg_id", "text"),
        ("cost", "numeric(18,4)"),
        ("resale_price", "numeric(18,4)"),
        ("currency", "text"),
        ("unrated_legs", "integer"),
    ],
    "fct_call_legs": [
        ("tenant_id", "text"),
        ("site_id", "text"),
        ("source_format", "text"),
        ("source_record_id", "text"),
        ("call_id", "text"),
        ("started_at", "timestamp"),
        ("answered_at", "timestamp"),
        ("ended_at", "timestamp"),
        ("started_local_at", "timestamp"),
        ("ring_seconds", "integer"),
        ("duration_seconds", "integer"),
        ("direction", "text"),
        ("disposition", "text"),
        ("calling_number", "text"),
        ("called_number", "text"),
        ("called_e164", "text"),
        ("extension", "text"),
        ("trunk", "text"),
        ("account_code", "text"),
        ("destination", "text"),
        ("destination_type", "text"),
        ("rate_card", "text"),
        ("rate_card_version", "text"),
        ("time_band", "text"),
        ("billed_seconds", "integer"),
        ("cost", "numeric(18,4)"),
        ("currency", "text"),
        ("resale_price", "numeric(18,4)"),
        ("unrated_reason", "text"),
        ("cost_centre", "text"),
        ("department", "text"),
        ("employee", "text"),
        ("raw", "text"),
    ],
    "fct_chargeback_monthly": [
        ("tenant_id", "text"),
        ("cost_centre", "text"),
        ("month", "date"),
        ("legs", "bigint"),
        ("cost", "numeric(18,4)"),
        ("currency", "text"),
    ],
    "rpt_budget_vs_actual": [
        ("tenant_id", "text"),
        ("budget_level", "text"),
        ("cost_centre", "text"),
        ("department", "text"),
        ("month", "date"),
        ("currency", "text"),
        ("budget", "numeric(18,4)"),
        ("mtd_cost", "numeric(18,4)"),
        ("projected_month_end_cost", "numeric(18,4)"),
        ("same_month_last_year_cost", "numeric(18,4)"),
        ("month_status", "text"),
        ("days_in_month", "integer"),
        ("days_elapsed", "integer"),
    ],
    "rpt_unrated_legs": [
        ("tenant_id", "text"),
        ("site_id", "text"),
        ("source_format", "text"),
        ("source_record_id", "text"),
        ("started_at", "timestamp"),
        ("started_local_at", "timestamp"),
        ("direction", "text"),
        ("extension", "text"),
        ("trunk", "text"),
        ("called_number", "text"),
        ("called_e164", "text"),
        ("destination_type", "text"),
        ("rate_card", "text"),
        ("rate_card_version", "text"),
        ("time_band", "text"),
        ("duration_seconds", "integer"),
        ("unrated_reason", "text"),
    ],
    "fct_trunk_hourly": [
        ("tenant_id", "text"),
        ("site_id", "text"),
        ("trunk", "text"),
        ("hour_at", "timestamp"),
        ("hour_local_at", "timestamp"),
        ("legs", "bigint"),
        ("answered_legs", "bigint"),
        ("minutes", "numeric(18,4)"),
        ("peak_concurrent_legs", "integer"),
        ("offered_erlangs", "numeric(18,6)"),
    ],
    "rpt_trunk_busy_hour": [
        ("tenant_id", "text"),
        ("site_id", "text"),
        ("trunk", "text"),
        ("first_hour_at", "timestamp"),
        ("last_hour_at", "timestamp"),
        ("days", "integer"),
        ("channels", "integer"),
        ("peak_concurrent_legs", "integer"),
        ("grade_of_service", "double precision"),
        ("busy_hour_of_day", "integer"),
        ("busy_hour_erlangs", "numeric(18,6)"),
        ("busy_hour_blocking", "double precision"),
        ("busy_hour_channels_needed", "integer"),
        ("busiest_hour_at", "timestamp"),
        ("busiest_hour_local_at", "timestamp"),
        ("busiest_hour_erlangs", "numeric(18,6)"),
        ("busiest_hour_peak_concurrent_legs", "integer"),
        ("busiest_hour_blocking", "double precision"),
        ("busiest_hour_channels_needed", "integer"),
    ],
}

D = Decimal
T = datetime  # naive = UTC, as the marts store it


def _call(
    tenant: str, site: str, call_id: str, start: T, direction: str, disposition: str, **extra: Any
) -> dict[str, Any]:
    answered = start + timedelta(seconds=5) if disposition == "answered" else None
    talk = extra.pop("talk_seconds", 60 if answered else 0)
    return {
        "tenant_id": tenant,
        "site_id": site,
        "source_format": "cucm",
        "call_id": call_id,
        "call_started_at": start,
        "first_answered_at": answered,
        "call_ended_at": start + timedelta(seconds=5 + talk),
        "calling_number": "201",
        "first_extension": "201",
        "direction": direction,
        "disposition": disposition,
        "is_transferred": False,
        "leg_count": 1,
        "ring_seconds": 5,
        "talk_seconds": talk,
        "currency": "GBP",
        "unrated_legs": 0,
        **extra,
    }


def _leg(call_id: str, record_id: str, start: T, seconds: int, **extra: Any) -> dict[str, Any]:
    return {
        "tenant_id": "acme",
        "site_id": "london",
        "source_format": "cucm",
        "source_record_id": record_id,
        "call_id": call_id,
        "started_at": start,
        "answered_at": start + timedelta(seconds=5),
        "ended_at": start + timedelta(seconds=5 + seconds),
        "started_local_at": start,
        "ring_seconds": 5,
        "duration_seconds": seconds,
        "direction": "outbound",
        "disposition": "answered",
        "calling_number": "201",
        "extension": "201",
        "currency": "GBP",
        "raw": f"raw record {record_id}",
        **extra,
    }


ROWS: dict[str, list[dict[str, Any]]] = {
    "fct_calls": [
        _call(
            "acme",
            "london",
            "c1",
            T(2026, 1, 10, 9, 0),
            "outbound",
            "answered",
            talk_seconds=125,
            cost=D("0.1234"),
            resale_price=D("0.1481"),
            costing_trunk="GW/1",
            costing_leg_id="c1-a",
            leg_count=2,
        ),
        _call("acme", "london", "c2", T(2026, 1, 11, 12, 30), "inbound", "answered", cost=D(0)),
        _call("acme", "london", "c3", T(2026, 1, 12, 8, 0), "outbound", "no_answer", cost=D(0)),
        _call(
            "acme",
            "paris",
            "c4",
            T(2026, 2, 1, 10, 0),
            "outbound",
            "answered",
            cost=None,
            unrated_legs=1,
            currency="EUR",
        ),
        _call("globex", "nyc", "g1", T(2026, 1, 10, 15, 0), "internal", "busy", cost=D(0)),
    ],
    "fct_call_legs": [
        _leg(
            "c1",
            "c1-b",
            T(2026, 1, 10, 9, 1),
            65,
            trunk="GW/1",
            called_number="901632960001",
            called_e164="441632960001",
            destination="United Kingdom - Mobile",
            destination_type="mobile",
            rate_card="bt",
            time_band="peak",
            billed_seconds=65,
            cost=D("0.0650"),
            resale_price=D("0.0780"),
            cost_centre="CC-100",
        ),
        _leg(
            "c1",
            "c1-a",
            T(2026, 1, 10, 9, 0),
            60,
            trunk="GW/1",
            called_number="901632960000",
            called_e164="441632960000",
            destination="United Kingdom - Mobile",
            destination_type="mobile",
            rate_card="bt",
            time_band="peak",
            billed_seconds=60,
            cost=D("0.0584"),
            resale_price=D("0.0701"),
            cost_centre="CC-100",
        ),
        _leg("c2", "c2-a", T(2026, 1, 11, 12, 30), 60, direction="inbound", cost=D("0.0000")),
    ],
    "fct_chargeback_monthly": [
        {
            "tenant_id": "acme",
            "cost_centre": "CC-100",
            "month": date(2026, 1, 1),
            "legs": 2,
            "cost": D("0.1234"),
            "currency": "GBP",
        },
        {
            "tenant_id": "acme",
            "cost_centre": "CC-200",
            "month": date(2026, 1, 1),
            "legs": 7,
            "cost": D("1.5000"),
            "currency": "GBP",
        },
        {
            "tenant_id": "globex",
            "cost_centre": "OPS",
            "month": date(2026, 1, 1),
            "legs": 1,
            "cost": D("0.0100"),
            "currency": "USD",
        },
        {
            "tenant_id": "acme",
            "cost_centre": "CC-100",
            "month": date(2026, 2, 1),
            "legs": 3,
            "cost": D("0.3000"),
            "currency": "GBP",
        },
    ],
    "rpt_budget_vs_actual": [
        {
            "tenant_id": "acme",
            "budget_level": "cost_centre",
            "cost_centre": "CC-100",
            "department": None,
            "month": date(2026, 1, 1),
            "currency": "GBP",
            "budget": D("10.0000"),
            "mtd_cost": D("0.1234"),
            "projected_month_end_cost": D("0.1234"),
            "same_month_last_year_cost": D("0.0900"),
            "month_status": "closed",
            "days_in_month": 31,
            "days_elapsed": 31,
        },
        {
            "tenant_id": "acme",
            "budget_level": "department",
            "cost_centre": None,
            "department": "Sales",
            "month": date(2026, 2, 1),
            "currency": "GBP",
            "budget": D("5.0000"),
            "mtd_cost": D("0.3000"),
            "projected_month_end_cost": D("0.6000"),
            "same_month_last_year_cost": None,
            "month_status": "current",
            "days_in_month": 28,
            "days_elapsed": 14,
        },
    ],
    "rpt_unrated_legs": [
        {
            "tenant_id": "acme",
            "site_id": "paris",
            "source_format": "cucm",
            "source_record_id": "c4-a",
            "started_at": T(2026, 2, 1, 10, 0),
            "started_local_at": T(2026, 2, 1, 11, 0),
            "direction": "outbound",
            "extension": "301",
            "trunk": "GW-P",
            "called_number": "0088299",
            "called_e164": "88299",
            "destination_type": "international",
            "rate_card": "orange",
            "time_band": "peak",
            "duration_seconds": 60,
            "unrated_reason": "no rate card row matches 88299",
        },
    ],
    "fct_trunk_hourly": [
        {
            "tenant_id": "acme",
            "site_id": "london",
            "trunk": "GW/1",
            "hour_at": T(2026, 1, 10, 9),
            "hour_local_at": T(2026, 1, 10, 9),
            "legs": 2,
            "answered_legs": 2,
            "minutes": D("2.0833"),
            "peak_concurrent_legs": 1,
            "offered_erlangs": D("0.037500"),
        },
        {
            "tenant_id": "acme",
            "site_id": "london",
            "trunk": "GW/1",
            "hour_at": T(2026, 1, 11, 9),
            "hour_local_at": T(2026, 1, 11, 9),
            "legs": 1,
            "answered_legs": 0,
            "minutes": D("0.0000"),
            "peak_concurrent_legs": 1,
            "offered_erlangs": D("0.001389"),
        },
        {
            "tenant_id": "acme",
            "site_id": "london",
            "trunk": "SIP-2",
            "hour_at": T(2026, 1, 10, 9),
            "hour_local_at": T(2026, 1, 10, 9),
            "legs": 1,
            "answered_legs": 1,
            "minutes": D("1.0000"),
            "peak_concurrent_legs": 1,
            "offered_erlangs": D("0.018056"),
        },
    ],
    "rpt_trunk_busy_hour": [
        {
            "tenant_id": "acme",
            "site_id": "london",
            "trunk": "GW/1",
            "first_hour_at": T(2026, 1, 10, 9),
            "last_hour_at": T(2026, 1, 11, 9),
            "days": 2,
            "channels": 30,
            "peak_concurrent_legs": 1,
            "grade_of_service": 0.01,
            "busy_hour_of_day": 9,
            "busy_hour_erlangs": D("0.019444"),
            "busy_hour_blocking": 0.0,
            "busy_hour_channels_needed": 1,
            "busiest_hour_at": T(2026, 1, 10, 9),
            "busiest_hour_local_at": T(2026, 1, 10, 9),
            "busiest_hour_erlangs": D("0.037500"),
            "busiest_hour_peak_concurrent_legs": 1,
            "busiest_hour_blocking": 0.0,
            "busiest_hour_channels_needed": 1,
        },
        {
            "tenant_id": "acme",
            "site_id": "london",
            "trunk": "SIP-2",
            "first_hour_at": T(2026, 1, 10, 9),
            "last_hour_at": T(2026, 1, 10, 9),
            "days": 1,
            "channels": None,
            "peak_concurrent_legs": 1,
            "grade_of_service": 0.01,
            "busy_hour_of_day": 9,
            "busy_hour_erlangs": D("0.018056"),
            "busy_hour_blocking": None,
            "busy_hour_channels_needed": 1,
            "busiest_hour_at": T(2026, 1, 10, 9),
            "busiest_hour_local_at": T(2026, 1, 10, 9),
            "busiest_hour_erlangs": D("0.018056"),
            "busiest_hour_peak_concurrent_legs": 1,
            "busiest_hour_blocking": None,
            "busiest_hour_channels_needed": 1,
        },
    ],
}


def statements(tables: list[str] | None = None) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """(DDL, []) and (insert with `?` placeholders, rows) pairs for the chosen mart tables."""
    out: list[tuple[str, list[tuple[Any, ...]]]] = []
    for name in tables or list(TABLES):
        columns = TABLES[name]
        ddl = ", ".join(f"{column} {kind}" for column, kind in columns)
        out.append((f"create table marts.{name} ({ddl})", []))
        marks = ", ".join("?" for _ in columns)
        rows = [tuple(row.get(column) for column, _ in columns) for row in ROWS[name]]
        out.append((f"insert into marts.{name} values ({marks})", rows))
    return out


def build_serving_snapshot(path: Path) -> Path:
    """Write the marts into a DuckDB file laid out like the published snapshot."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for sql, rows in statements():
            if rows:
                con.executemany(sql, rows)
            elif not sql.startswith("insert"):
                con.execute(sql)
    return path


def copy_file(source: Path, target: Path) -> Path:
    """A private copy of a template file (each test may lock or replace its own)."""
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def seed_live_store(path: Path, now: datetime | None = None) -> datetime:
    """A live store written by the sidecar's own LiveStore: one answered call on a trunk, one
    ringing call, an ended call, a configured trunk, an alert and a feed. Returns `now`."""
    from streaming.alerts import Alert
    from streaming.live_store import LiveStore
    from streaming.rules.base import CallEvent

    now = now or datetime.now(UTC).replace(microsecond=0)

    def event(kind: str, call_id: str, ext: str, start: datetime, **extra: Any) -> CallEvent:
        fields: dict[str, Any] = {
            "kind": kind,
            "tenant_id": "acme",
            "site_id": "london",
            "listener": "cucm-london",
            "call_id": call_id,
            "record_id": f"{call_id}-r",
            "direction": "outbound",
            "extension": ext,
            "calling_number": ext,
            "called_number": "901632960123",
            "called_e164": "441632960123",
            "trunk": "SIP-GAMMA",
            "started_at": start,
            "answered_at": None,
            "ended_at": None,
            "duration_seconds": 0,
            "arrived_at": now,
        }
        fields.update(extra)
        return CallEvent(**fields)

    store = LiveStore(path)
    try:
        with store.batch():  # one transaction: one fsync
            store.set_trunks({("acme", "london", "SIP-GAMMA"): 4})
            started = now - timedelta(seconds=95)
            store.apply(event("start", "live-1", "201", started))
            store.apply(
                event(
                    "answer", "live-1", "201", started, answered_at=started + timedelta(seconds=5)
                )
            )
            store.apply(
                event(
                    "start",
                    "live-2",
                    "202",
                    now - timedelta(seconds=4),
                    direction="inbound",
                    calling_number="01632960999",
                    trunk=None,
                )
            )
            old = now - timedelta(minutes=30)
            store.apply(event("start", "done-1", "203", old))
            store.apply(
                event(
                    "end",
                    "done-1",
                    "203",
                    old,
                    answered_at=old + timedelta(seconds=3),
                    ended_at=old + timedelta(seconds=63),
                    duration_seconds=60,
                )
            )
            store.record_alert(
                Alert(
                    alert_id="premium-abc",
                    rule="premium",
                    rule_type="premium_destination",
                    tenant_id="acme",
                    site_id="london",
                    extension="201",
                    called_number="909090",
                    called_e164="44909090",
                    event_at=now - timedelta(seconds=60),
                    detected_at=now - timedelta(seconds=59),
                    severity="high",
                    message="Premium-rate call from 201 to +44909090",
                )
            )
            store.record_feed("cucm-london", "acme", "london", now - timedelta(seconds=10), False)
    finally:
        store.close()
    return now
