"""The callmeter.yaml model (docs/design.md, "Configuration"): tenants, sites, dial plans,
carriers, trunk-to-carrier map, and the sidecar's `streaming` section.

Every model forbids unknown keys, so a typo is an error that names the file and the key."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

_DIGITS = "0123456789"


class ConfigError(ValueError):
    """A callmeter.yaml that cannot be used; the message names the file, the key and the fault."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _digits(value: str, what: str) -> str:
    if value and not set(value) <= set(_DIGITS):
        raise ValueError(f"{what} must be digits only, got {value!r}")
    return value


class Site(_Strict):
    id: str
    timezone: str
    country_code: str
    outside_line_prefix: str = ""
    national_prefix: str = "0"
    international_prefix: str = "00"
    carrier: str
    trunks: dict[str, str] = Field(default_factory=dict)  # trunk name -> carrier
    # Device names that are trunks or gateways but keep the site's carrier (CUCM direction).
    trunk_devices: list[str] = Field(default_factory=list)
    # Channels per trunk, for saturation alerts and Erlang-B sizing.
    trunk_channels: dict[str, int] = Field(default_factory=dict)
    # Extensions are at most this many digits; longer numbers are external.
    extension_digits: int = 5
    # Per-format parser options: field orders, custom layouts, templates (docs/parsers.md).
    formats: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as error:
            raise ValueError(
                f"unknown timezone {value!r} (use an IANA name such as Europe/London)"
            ) from error
        return value

    @field_validator("country_code")
    @classmethod
    def _country_digits(cls, value: str) -> str:
        if not value:
            raise ValueError("country_code is required, e.g. '44'")
        return _digits(value, "country_code")

    @field_validator("outside_line_prefix", "national_prefix", "international_prefix")
    @classmethod
    def _prefix_digits(cls, value: str) -> str:
        return _digits(value, "a dialling prefix")

    @property
    def all_trunk_devices(self) -> frozenset[str]:
        return frozenset(self.trunks) | frozenset(self.trunk_devices)


class Tenant(_Strict):
    id: str
    name: str
    currency: str
    sites: list[Site]
    resale_markup_percent: Decimal | None = None  # used where the tenant has no resale card

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha() or not value.isupper():
            raise ValueError(f"currency must be an ISO 4217 code such as GBP, got {value!r}")
        return value


class CallmeterConfig(_Strict):
    tenants: list[Tenant]
    streaming: dict[str, Any] = Field(default_factory=dict)  # validated by streaming.settings

    def site(self, tenant_id: str, site_id: str) -> Site:
        for tenant in self.tenants:
            if tenant.id == tenant_id:
                for site in tenant.sites:
                    if site.id == site_id:
                        return site
                known = ", ".join(s.id for s in tenant.sites)
                raise ConfigError(f"tenant {tenant_id!r} has no site {site_id!r} (sites: {known})")
        known = ", ".join(t.id for t in self.tenants)
        raise ConfigError(f"no tenant {tenant_id!r} in the configuration (tenants: {known})")

    def tenant(self, tenant_id: str) -> Tenant:
        for tenant in self.tenants:
            if tenant.id == tenant_id:
                return tenant
        known = ", ".join(t.id for t in self.tenants)
        raise ConfigError(f"no tenant {tenant_id!r} in the configuration (tenants: {known})")

    def site_timezones(self) -> dict[tuple[str, str], str]:
        return {(t.id, s.id): s.timezone for t in self.tenants for s in t.sites}


def config_path(path: Path | None = None) -> Path:
    """`--config FILE`, else $CALLMETER_CONFIG, else ./callmeter.yaml."""
    return path or Path(os.environ.get("CALLMETER_CONFIG") or "callmeter.yaml")


def load_config(path: Path | None = None) -> CallmeterConfig:
    """Read and validate callmeter.yaml; any fault is a ConfigError naming file and key."""
    path = config_path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such configuration file (set --config or CALLMETER_CONFIG; "
            "callmeter.yaml.example shows the shape)"
        ) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a mapping with a 'tenants' key at the top")
    try:
        config = CallmeterConfig.model_validate(document)
    except ValidationError as error:
        raise ConfigError(
            f"{path}: " + "; ".join(_describe(e, document) for e in error.errors())
        ) from None
    _check_unique_ids(path, config)
    return config


def _describe(error: Any, document: Any) -> str:
    """'tenants[0].sites[1].timezone: unknown timezone ...' with ids instead of bare indices."""
    parts: list[str] = []
    node = document
    for step in error["loc"]:
        if isinstance(step, int):
            label = f"[{step}]"
            if isinstance(node, list) and step < len(node) and isinstance(node[step], dict):
                item_id = node[step].get("id")
                label = f"[{step}] (id {item_id})" if item_id else label
                node = node[step]
            parts.append(label)
        else:
            parts.append(f".{step}" if parts else str(step))
            node = node.get(step) if isinstance(node, dict) else None
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (a typo?)"
    elif error["type"] == "missing":
        message = "required key is missing"
    return f"{''.join(parts)}: {message}"


def _check_unique_ids(path: Path, config: CallmeterConfig) -> None:
    tenant_ids = [t.id for t in config.tenants]
    if len(set(tenant_ids)) != len(tenant_ids):
        raise ConfigError(f"{path}: tenants: duplicate tenant id")
    for tenant in config.tenants:
        site_ids = [s.id for s in tenant.sites]
        if len(set(site_ids)) != len(site_ids):
            raise ConfigError(f"{path}: tenants (id {tenant.id}).sites: duplicate site id")
