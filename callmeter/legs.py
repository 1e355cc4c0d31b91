"""The canonical call leg (docs/design.md) and the envelope for records a parser cannot read."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

SourceFormat = Literal[
    "3cx", "teams", "zoom", "cucm", "avaya", "mitel", "sip", "asterisk", "freeswitch"
]
Direction = Literal["outbound", "inbound", "internal", "unknown"]
Disposition = Literal["answered", "no_answer", "busy", "failed"]

FORMATS: tuple[str, ...] = get_args(SourceFormat)
DIRECTIONS: tuple[str, ...] = get_args(Direction)
DISPOSITIONS: tuple[str, ...] = get_args(Disposition)

# The fixed fields of the design, in order. Parsers may add format-specific ones in `extra`.
LEG_FIELDS: tuple[str, ...] = (
    "source_format",
    "source_record_id",
    "call_id",
    "started_at",
    "answered_at",
    "ended_at",
    "ring_seconds",
    "duration_seconds",
    "direction",
    "disposition",
    "calling_number",
    "called_number",
    "extension",
    "trunk",
    "account_code",
    "raw",
)
REJECT_FIELDS: tuple[str, ...] = (
    "source_format",
    "record_id",
    "reason",
    "raw",
    "line_number",
    "file_name",
)

_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class CallLeg:
    """One leg: exactly the fixed fields of the design plus `extra` for format-specific ones."""

    source_format: SourceFormat
    source_record_id: str
    call_id: str
    started_at: datetime  # tz-aware, UTC
    answered_at: datetime | None
    ended_at: datetime
    ring_seconds: int | None
    duration_seconds: int  # talk time; 0 when unanswered
    direction: Direction
    disposition: Disposition
    calling_number: str | None
    called_number: str | None
    extension: str | None
    trunk: str | None
    account_code: str | None
    raw: str
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("started_at", "answered_at", "ended_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() != _ZERO:
                raise ValueError(f"{name} must be a UTC datetime, got {value!r}")
        if self.answered_at is None and self.duration_seconds != 0:
            raise ValueError("an unanswered leg has duration_seconds = 0")
        if self.duration_seconds < 0:
            raise ValueError(f"duration_seconds is negative ({self.duration_seconds})")
        if self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record the parser could not turn into legs. Never dropped: it lands in
    raw.rejected_records (batch) or the sidecar's spool, with the reason."""

    source_format: SourceFormat
    record_id: str
    reason: str
    raw: str
    line_number: int | None = None
    file_name: str | None = None

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def record_key(raw: str, occurrence: int = 0) -> str:
    """Stable id for records without a natural key: a hash of the whitespace-normalised text
    plus how many identical records came before it in the same input. Two byte-identical
    records in two different files therefore share a key (documented in docs/parsers.md)."""
    digest = hashlib.sha256(" ".join(raw.split()).encode()).hexdigest()[:32]
    return f"{digest}-{occurrence}"


class OccurrenceCounter:
    """Counts identical raw records within one input, for record_key()'s occurrence."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def key(self, raw: str) -> str:
        normalised = " ".join(raw.split())
        occurrence = self._seen.get(normalised, 0)
        self._seen[normalised] = occurrence + 1
        return record_key(normalised, occurrence)
