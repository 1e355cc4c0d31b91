"""The `streaming.notify` section of callmeter.yaml: where alerts go (docs/notifications.md).

Three target types, each validated with pydantic (unknown keys are errors that name the key):

- `webhook`: a signed HTTP POST of the alert (the contract in docs/design.md);
- `apprise`: email, SMS gateways, Slack, Teams and the rest, through an apprise URL;
- `block`: the "block extension" action, a command (argv, no shell) or an HTTP call.

Secrets come from the environment only: `secret_env` / `url_env` name the variable, and a missing
variable is a startup error that names the key and the variable.
"""

from __future__ import annotations

import os
import re
import string
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from callmeter.config import ConfigError

#: The alert fields a block command or URL may use as `{placeholder}`.
PLACEHOLDERS = frozenset({"extension", "tenant_id", "site_id", "alert_id", "rule"})
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SECTION = "streaming.notify"


class NotifyConfigError(ConfigError):
    """A notify target that cannot be used; the message names the key and the fault."""


class _Target(BaseModel):
    """What every target shares: its id and its retry policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    timeout: Annotated[float, Field(gt=0, le=300)] = 10.0  # seconds per attempt
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 8
    backoff_base: Annotated[float, Field(gt=0)] = 1.0  # seconds; the first retry waits up to this
    backoff_cap: Annotated[float, Field(gt=0)] = 300.0  # seconds; no wait is ever longer
    concurrency: Annotated[int, Field(ge=1, le=64)] = 8  # attempts in flight to this target

    @field_validator("id")
    @classmethod
    def _plain_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(
                "use letters, digits, '_', '.' or '-' (it names the target in the log)"
            )
        return value

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> _Target:
        if self.backoff_cap < self.backoff_base:
            raise ValueError(
                f"backoff_cap ({self.backoff_cap}) must not be below backoff_base ({self.backoff_base})"
            )
        return self


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
    return value


def _placeholders(text: str) -> set[str]:
    names: set[str] = set()
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            allowed = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
            raise ValueError(f"unknown placeholder {{{name}}} in {text!r} (allowed: {allowed})")
        names.add(name)
    return names


class WebhookTarget(_Target):
    """A signed JSON POST of every alert."""

    type: Literal["webhook"]
    url: str
    secret_env: str  # the variable holding the HMAC secret

    @field_validator("url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        return _http_url(value)


class AppriseTarget(_Target):
    """Any apprise URL: mailto://, slack://, msteams://, an SMS gateway, ...

    The URL may carry credentials, so it can come from the environment (`url_env`) instead."""

    type: Literal["apprise"]
    url: str | None = None
    url_env: str | None = None
    concurrency: Annotated[int, Field(ge=1, le=64)] = 2

    @model_validator(mode="after")
    def _one_url(self) -> AppriseTarget:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url or url_env")
        return self


class BlockTarget(_Target):
    """Block the offending extension: run `command` (argv list, no shell) or call `url`.

    Both may use {extension}, {tenant_id}, {site_id}, {alert_id} and {rule}."""

    type: Literal["block"]
    command: list[str] | None = None
    url: str | None = None
    method: Literal["POST", "PUT", "GET", "DELETE"] = "POST"
    secret_env: str | None = None  # signs the HTTP call like a webhook when set
    concurrency: Annotated[int, Field(ge=1, le=64)] = 2

    @field_validator("command")
    @classmethod
    def _argv(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if not value or not value[0]:
                raise ValueError("must be a non-empty argv list, program first")
            for part in value:
                _placeholders(part)
            if _placeholders(value[0]):
                raise ValueError("the program (first item) cannot be a placeholder")
        return value

    @field_validator("url")
    @classmethod
    def _block_url(cls, value: str | None) -> str | None:
        if value is not None:
            _placeholders(value)
            _http_url(value.replace("{", "").replace("}", ""))
        return value

    @model_validator(mode="after")
    def _one_action(self) -> BlockTarget:
        if (self.command is None) == (self.url is None):
            raise ValueError("give exactly one of command or url")
        if self.secret_env and self.url is None:
            raise ValueError("secret_env only applies to a url action")
        return self


Target = WebhookTarget | AppriseTarget | BlockTarget
_MODELS: dict[str, type[BaseModel]] = {
    "webhook": WebhookTarget,
    "apprise": AppriseTarget,
    "block": BlockTarget,
}


@dataclass(frozen=True, slots=True)
class ResolvedTarget:
    """A validated target with its secrets read from the environment."""

    target: Target
    secret: bytes | None = None  # HMAC key for webhooks (and signed block URLs)
    url: str | None = None  # the apprise URL, from `url` or `url_env`

    @property
    def id(self) -> str:
        return self.target.id


def parse_targets(section: Any) -> list[Target]:
    """Validate the `streaming.notify` list.

    Args:
        section: The list from callmeter.yaml (None or empty: no targets).

    Returns:
        One model per target, in order.

    Raises:
        NotifyConfigError: Naming every faulty key, e.g.
            `streaming.notify[0] (id soc).secret_env: required key is missing`.
    """
    if section is None:
        return []
    if not isinstance(section, list):
        raise NotifyConfigError(
            f"{_SECTION}: expected a list of targets, got {type(section).__name__}"
        )
    problems: list[str] = []
    targets: list[Target] = []
    for index, item in enumerate(section):
        where = _label(index, item)
        if not isinstance(item, dict):
            problems.append(f"{where}: expected a mapping with id and type")
            continue
        kind = item.get("type")
        model = _MODELS.get(kind) if isinstance(kind, str) else None
        if model is None:
            missing = "required key is missing" if kind is None else f"unknown type {kind!r}"
            problems.append(f"{where}.type: {missing} (webhook, apprise or block)")
            continue
        try:
            targets.append(model.model_validate(item))  # type: ignore[arg-type]
        except ValidationError as error:
            problems.extend(f"{where}{_describe(e)}" for e in error.errors())
    seen: set[str] = set()
    for index, item in enumerate(section):
        item_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(item_id, str):
            continue
        if item_id in seen:
            problems.append(f"{_SECTION}[{index}].id: duplicate target id {item_id!r}")
        seen.add(item_id)
    if problems:
        raise NotifyConfigError("; ".join(problems))
    return targets


def resolve(targets: list[Target], environ: Any = None) -> list[ResolvedTarget]:
    """Read each target's secrets from the environment.

    Raises:
        NotifyConfigError: When a named variable is unset or empty, naming the key and variable.
    """
    env = os.environ if environ is None else environ
    problems: list[str] = []
    resolved: list[ResolvedTarget] = []
    for index, target in enumerate(targets):
        where = f"{_SECTION}[{index}] (id {target.id})"
        secret: bytes | None = None
        url: str | None = None
        secret_env = getattr(target, "secret_env", None)
        if secret_env:
            value = env.get(secret_env, "")
            if not value:
                problems.append(f"{where}.secret_env: environment variable {secret_env} is not set")
            secret = value.encode()
        if isinstance(target, AppriseTarget):
            url = target.url
            if target.url_env:
                url = env.get(target.url_env, "")
                if not url:
                    problems.append(
                        f"{where}.url_env: environment variable {target.url_env} is not set"
                    )
        resolved.append(ResolvedTarget(target=target, secret=secret, url=url))
    if problems:
        raise NotifyConfigError("; ".join(problems))
    return resolved


def _label(index: int, item: Any) -> str:
    item_id = item.get("id") if isinstance(item, dict) else None
    return f"{_SECTION}[{index}] (id {item_id})" if item_id else f"{_SECTION}[{index}]"


def _describe(error: Any) -> str:
    loc = ".".join(str(step) for step in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (a typo?)"
    elif error["type"] == "missing":
        message = "required key is missing"
    return f".{loc}: {message}" if loc else f": {message}"
