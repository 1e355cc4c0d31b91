"""Response models. Mart models mirror the dbt contracts (dbt_project/models/marts/**/_*.yml) with
the same column names; live models mirror streaming/live_store.py.

Money is `Decimal` and leaves the API as a JSON string ("1.2345"), never a float. Timestamps are
UTC and carry their zone ("2026-01-05T10:00:00Z")."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Direction = Literal["inbound", "outbound", "internal", "unknown"]
Disposition = Literal["answered", "no_answer", "busy", "failed"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Health(_Model):
    status: Literal["ok", "degraded"]
    warehouse: Literal["duckdb", "postgres"]
    serving_snapshot: str | None  # DuckDB mode: the file the API reads
    serving_snapshot_published_at: datetime | None
    live_store: str
    live_store_present: bool
    problems: list[str]


# marts.fct_calls
class Call(_Model):
    tenant_id: str
    site_id: str
    source_format: str
    call_id: str
    call_started_at: datetime
    first_answered_at: datetime | None
    call_ended_at: datetime
    calling_number: str | None
    first_extension: str | None
    answering_extension: str | None
    transfer_path: str | None
    direction: Direction | None
    disposition: Disposition | None
    is_transferred: bool
    is_forwarded: bool | None
    leg_count: int
    ring_seconds: int
    talk_seconds: int
    costing_trunk: str | None
    costing_leg_id: str | None
    cost: Decimal | None
    resale_price: Decimal | None
    currency: str | None
    unrated_legs: int


class CallPage(_Model):
    items: list[Call]
    total: int  # calls matching the filters, across all pages
    limit: int
    offset: int


# marts.fct_call_legs
class CallLeg(_Model):
    tenant_id: str
    site_id: str
    source_format: str
    source_record_id: str
    call_id: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    started_local_at: datetime | None = None
    ring_seconds: int | None
    duration_seconds: int
    direction: Direction
    disposition: Disposition
    calling_number: str | None
    called_number: str | None
    called_e164: str | None
    extension: str | None
    trunk: str | None
    account_code: str | None
    destination: str | None
    destination_type: str | None
    rate_card: str | None
    rate_card_version: str | None
    time_band: str | None
    billed_seconds: int | None
    cost: Decimal | None
    currency: str | None
    resale_price: Decimal | None
    unrated_reason: str | None = None
    cost_centre: str | None
    department: str | None
    employee: str | None
    raw: str | None


# marts.fct_chargeback_monthly
class CostCentreCost(_Model):
    tenant_id: str
    cost_centre: str
    month: date
    legs: int | None
    cost: Decimal | None
    currency: str


# marts.rpt_budget_vs_actual
class BudgetLine(_Model):
    tenant_id: str
    budget_level: Literal["cost_centre", "department"]
    cost_centre: str | None
    department: str | None
    month: date
    currency: str | None
    budget: Decimal | None
    mtd_cost: Decimal | None
    projected_month_end_cost: Decimal | None
    same_month_last_year_cost: Decimal | None
    month_status: str | None
    days_in_month: int | None
    days_elapsed: int | None


# marts.rpt_unrated_legs
class UnratedLeg(_Model):
    tenant_id: str
    site_id: str
    source_format: str
    source_record_id: str
    started_at: datetime
    started_local_at: datetime | None
    direction: str | None
    extension: str | None
    trunk: str | None
    called_number: str | None
    called_e164: str | None
    destination_type: str | None
    rate_card: str | None
    rate_card_version: str | None
    time_band: str | None
    duration_seconds: int | None
    unrated_reason: str | None


# marts.rpt_trunk_busy_hour
class TrunkBusyHour(_Model):
    tenant_id: str
    site_id: str
    trunk: str
    first_hour_at: datetime | None
    last_hour_at: datetime | None
    days: int | None
    channels: int | None
    peak_concurrent_legs: int | None
    grade_of_service: float | None
    busy_hour_of_day: int | None
    busy_hour_erlangs: Decimal | None
    busy_hour_blocking: float | None
    busy_hour_channels_needed: int | None
    busiest_hour_at: datetime | None
    busiest_hour_local_at: datetime | None
    busiest_hour_erlangs: Decimal | None
    busiest_hour_peak_concurrent_legs: int | None
    busiest_hour_blocking: float | None
    busiest_hour_channels_needed: int | None


# marts.fct_trunk_hourly
class TrunkHour(_Model):
    tenant_id: str
    site_id: str
    trunk: str
    hour_at: datetime
    hour_local_at: datetime | None
    legs: int
    answered_legs: int
    minutes: Decimal
    peak_concurrent_legs: int
    offered_erlangs: Decimal


class MetricsResult(_Model):
    metrics: list[str]
    group_by: list[str]
    # Keyed by the group-by and metric names as asked; money and minutes are Decimal strings.
    rows: list[dict[str, Any]]


# The sidecar's live store
class LiveCall(_Model):
    tenant_id: str
    site_id: str
    call_id: str
    extension: str | None
    other_party: str | None
    direction: str | None
    trunk: str | None
    state: str  # ringing | answered
    started_at: datetime
    answered_at: datetime | None
    updated_at: datetime
    seconds_so_far: int | None


class ExtensionStatus(_Model):
    tenant_id: str
    site_id: str
    extension: str
    status: str  # idle | ringing | on_call
    call_id: str | None
    since: datetime
    last_call_ended_at: datetime | None
    seconds_in_status: int | None


class TrunkUsage(_Model):
    tenant_id: str
    site_id: str
    trunk: str
    channels: int | None  # null: not configured
    active: int
    utilisation: float | None  # active / channels


class LiveAlert(_Model):
    alert_id: str
    rule: str
    rule_type: str
    tenant_id: str
    site_id: str
    extension: str | None
    called_e164: str | None
    severity: str
    message: str
    event_at: datetime
    detected_at: datetime


class FeedHealth(_Model):
    listener: str
    tenant_id: str
    site_id: str
    last_record_at: datetime | None
    records: int
    rejects: int
    seconds_since_last_record: int | None
