"""The `streaming` section of callmeter.yaml (docs/design.md, "The sidecar's configuration").

`callmeter.config.load_config(path).streaming` is the raw mapping; `load_streaming()` validates it
here with extra="forbid", so a typo is an error naming the key. The `notify` list is validated by
streaming.notify (kept as plain dicts here)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from callmeter.config import CallmeterConfig, ConfigError
from callmeter.legs import FORMATS
from callmeter.settings import data_dir

DEFAULT_MAX_LINE_BYTES = 64 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Listener(_Strict):
    """One pushed feed: one TCP port, one record per line."""

    format: str
    port: int = Field(ge=0, le=65535)  # 0: any free port (tests)
    tenant: str
    site: str
    host: str = "0.0.0.0"  # noqa: S104 - PBXs push from the LAN
    id: str | None = None  # default "<format>-<port>"
    max_connections: int = Field(default=64, ge=1)

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in FORMATS:
            raise ValueError(f"unknown format {value!r} (known: {', '.join(FORMATS)})")
        return value

    @property
    def name(self) -> str:
        return self.id or f"{self.format}-{self.port}"


class Webhook(_Strict):
    """A pushed cloud feed over HTTP: Zoom Phone webhooks or Microsoft Graph change
    notifications, at POST /webhooks/<id> on the sidecar's `http` endpoint."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    format: Literal["zoom", "teams"]
    tenant: str
    site: str
    # Zoom: the app's secret token (signatures, URL validation); Teams: the subscription's
    # clientState. Read from this environment variable at start.
    secret_env: str

    @property
    def name(self) -> str:
        return self.id


class SipSource(_Strict):
    """SIP signalling as call events (start at INVITE, answer, end): live capture on an
    interface (needs CAP_NET_RAW), else a folder of pcap/pcapng files replayed at `speed`."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    tenant: str
    site: str
    interface: str | None = None
    pcap_dir: Path | None = None
    speed: float = Field(default=1.0, ge=0)  # 1.0: the capture's own pace; 0: as fast as possible
    poll_seconds: float = Field(default=2.0, gt=0)  # how often the folder is checked

    @model_validator(mode="after")
    def _one_source(self) -> SipSource:
        if self.interface is None and self.pcap_dir is None:
            raise ValueError("set interface (live capture) or pcap_dir (replayed captures)")
        return self

    @property
    def name(self) -> str:
        return self.id


class HttpEndpoint(_Strict):
    """Where the webhook endpoint listens (only started when `webhooks` is not empty)."""

    host: str = "0.0.0.0"  # noqa: S104 - Zoom and Graph call in from outside (behind a proxy)
    port: int = Field(default=8095, ge=0, le=65535)  # 0: any free port (tests)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)


class _Rule(_Strict):
    id: str
    severity: Literal["info", "warning", "high", "critical"] = "high"
    # Notifier ids to send to; None sends to every notifier.
    notify: list[str] | None = None


class PremiumDestinationRule(_Rule):
    type: Literal["premium_destination"]
    prefixes: list[str] = Field(min_length=1)  # E.164 digits without '+'

    @field_validator("prefixes")
    @classmethod
    def _digits(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if not p.isdigit()]
        if bad:
            raise ValueError(f"prefixes must be E.164 digits without '+', got {bad}")
        return value


class HighCostRule(_Rule):
    """A destination whose rate per minute is at or above the threshold, from a rate-card CSV
    (the import format of docs/design.md: prefix, rate_per_minute, ...). With max_cost set, a
    call in progress is also flagged once its cost so far passes it (mid-call timer)."""

    type: Literal["high_cost"]
    rate_card: Path
    rate_per_minute: Decimal = Field(gt=0)
    max_cost: Decimal | None = Field(default=None, gt=0)


class AfterHoursRule(_Rule):
    type: Literal["after_hours"]
    start: str  # "19:00", site local time
    end: str  # "07:00"; a window that wraps midnight is fine
    weekends: bool = True  # Saturday and Sunday count as after hours all day
    holidays: list[str] = Field(default_factory=list)  # ISO dates, whole day after hours
    include_inbound: bool = False

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError(f"expected HH:MM, got {value!r}")
        return value


class BurstRule(_Rule):
    type: Literal["burst"]
    calls: int = Field(ge=1)
    seconds: int = Field(ge=1)
    outbound_only: bool = True


class ConcurrentRule(_Rule):
    type: Literal["concurrent"]
    per: Literal["extension", "trunk"] = "extension"
    max: int = Field(ge=1)


class TrunkSaturationRule(_Rule):
    """Active legs on a trunk reach `percent` of the site's trunk_channels."""

    type: Literal["trunk_saturation"]
    percent: int = Field(default=100, ge=1, le=100)


class FeedSilenceRule(_Rule):
    type: Literal["feed_silence"]
    minutes: float = Field(gt=0)
    listeners: list[str] | None = None  # listener names; None: every listener


class ThresholdRule(_Rule):
    """A metric over a sliding window passes `max`; fires again only after the cool-down."""

    type: Literal["threshold"]
    metric: Literal["calls", "minutes", "distinct_destinations"]
    per: Literal["extension", "site", "trunk"] = "extension"
    window_seconds: int = Field(ge=1)
    max: Decimal
    cooldown_seconds: int = Field(default=3600, ge=0)


Metric = Literal["calls", "minutes", "distinct_destinations"]
_ALL_METRICS: tuple[Metric, ...] = ("calls", "minutes", "distinct_destinations")


class AnomalyRule(_Rule):
    """Per-extension baselines per hour of week (marts.rpt_extension_baselines, as a CSV)."""

    type: Literal["anomaly"]
    baselines: Path
    k: Decimal = Decimal(3)
    min_value: Decimal = Decimal(1)  # never fire below this (quiet extensions have sigma 0)
    metrics: list[Metric] = Field(default_factory=lambda: list(_ALL_METRICS))


Rule = Annotated[
    PremiumDestinationRule
    | HighCostRule
    | AfterHoursRule
    | BurstRule
    | ConcurrentRule
    | TrunkSaturationRule
    | FeedSilenceRule
    | ThresholdRule
    | AnomalyRule,
    Field(discriminator="type"),
]


class LiveStoreSettings(_Strict):
    url: str | None = None  # None: sqlite at <state_dir>/live.sqlite; or postgresql://...


class StreamingSettings(_Strict):
    listeners: list[Listener] = Field(default_factory=list)
    webhooks: list[Webhook] = Field(default_factory=list)
    sip: list[SipSource] = Field(default_factory=list)
    http: HttpEndpoint = Field(default_factory=HttpEndpoint)
    rules: list[Rule] = Field(default_factory=list)
    notify: list[dict[str, Any]] = Field(default_factory=list)  # validated by streaming.notify
    state_dir: Path | None = None  # default <data_dir>/streaming
    spool_dir: Path | None = None  # default <data_dir>/spool
    live_store: LiveStoreSettings = Field(default_factory=LiveStoreSettings)
    bus: str | None = None  # nats://...; CALLMETER_BUS overrides; None: one process, no broker
    partitions: int = Field(default=8, ge=1, le=1024)
    # The install's stream, consumer and lease-bucket names on the bus (streaming/bus.py).
    bus_name: str = Field(default="callmeter", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    bus_lease_seconds: float = Field(
        default=3.0, ge=0.5, le=300
    )  # a dead worker's partitions move after this
    bus_ack_wait: float = Field(
        default=10.0, ge=0.5, le=3600
    )  # an unacked record is redelivered after this
    worker_id: str | None = None  # default: the host name (--worker-id overrides)
    max_line_bytes: int = Field(default=DEFAULT_MAX_LINE_BYTES, ge=256)
    fsync: Literal["batch", "line"] = "batch"  # group commit, or one fsync per line
    reload_seconds: float = Field(default=2.0, gt=0)
    # At start, records spooled (and processed) this far back at most are replayed through the
    # rules, without alerting, to rebuild their windows; 0 turns it off.
    warmup_max_seconds: float = Field(default=3600.0, ge=0)

    @property
    def feeds(self) -> list[Listener | Webhook | SipSource]:
        """Every feed: TCP listeners, webhooks and SIP sources."""
        return [*self.listeners, *self.webhooks, *self.sip]

    @model_validator(mode="after")
    def _unique_ids(self) -> StreamingSettings:
        names = [feed.name for feed in self.feeds]
        if len(set(names)) != len(names):
            raise ValueError(f"listener, webhook and sip ids must be unique, got {names}")
        streams: list[tuple[str, str, str]] = [(w.tenant, w.site, w.format) for w in self.webhooks]
        streams += [(lst.tenant, lst.site, lst.format) for lst in self.listeners]
        if len(set(streams)) != len(streams):
            raise ValueError("two feeds (listeners or webhooks) share a tenant, site and format")
        ports = [(lst.host, lst.port) for lst in self.listeners if lst.port]
        if len(set(ports)) != len(ports):
            raise ValueError("two listeners use the same port")
        rule_ids = [rule.id for rule in self.rules]
        if len(set(rule_ids)) != len(rule_ids):
            raise ValueError(f"rule ids must be unique, got {rule_ids}")
        return self

    def resolved_state_dir(self, environ: Mapping[str, str] | None = None) -> Path:
        return self.state_dir or data_dir(environ) / "streaming"

    def resolved_spool_dir(self, environ: Mapping[str, str] | None = None) -> Path:
        return self.spool_dir or data_dir(environ) / "spool"

    def resolved_bus(self, environ: Mapping[str, str] | None = None) -> str | None:
        environ = os.environ if environ is None else environ
        return environ.get("CALLMETER_BUS") or self.bus


def parse_streaming(raw: Mapping[str, Any], source: str = "callmeter.yaml") -> StreamingSettings:
    """Validate a raw `streaming` mapping; a fault is a ConfigError naming `streaming.<key>`."""
    try:
        return StreamingSettings.model_validate(dict(raw))
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = "streaming" + "".join(
                f"[{step}]" if isinstance(step, int) else f".{step}" for step in item["loc"]
            )
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown key (a typo?)"
            elif item["type"] == "missing":
                message = "required key is missing"
            elif item["type"] == "union_tag_invalid":
                message = f"unknown rule type ({message})"
            problems.append(f"{loc}: {message}")
        raise ConfigError(f"{source}: " + "; ".join(problems)) from None


def load_streaming(config: CallmeterConfig, source: str = "callmeter.yaml") -> StreamingSettings:
    """The validated `streaming` section, with listeners checked against the tenants and sites."""
    settings = parse_streaming(config.streaming, source)
    sections: dict[str, list[Listener | Webhook | SipSource]] = {
        "listeners": list(settings.listeners),
        "webhooks": list(settings.webhooks),
        "sip": list(settings.sip),
    }
    for section, feeds in sections.items():
        for index, feed in enumerate(feeds):
            try:
                config.site(feed.tenant, feed.site)
            except ConfigError as error:
                raise ConfigError(f"{source}: streaming.{section}[{index}]: {error}") from None
    return settings
