"""Shared helpers of the line-based parsers (avaya, mitel, asterisk, freeswitch).

- Local wall-clock time to UTC with the project's DST rule (README of the format docs):
  an ambiguous time takes its first occurrence, a time in a gap is shifted forward by the gap;
  either choice is reported so the parser can record it in the leg's `extra`.
- The no-year and no-date rules: the latest year (or day) that does not put the record in the
  future relative to `ParseContext.now`.
- `LegRow`, the one intermediate shape of a parsed record (epoch seconds instead of datetimes),
  turned either into `CallLeg` objects (`parse`) or straight into Arrow columns
  (`tables_from_rows`, the bulk path of formats without a vectorised one). The vectorised bulk
  paths (extractors.parsers._bulk) hand the records they do not map themselves to the row
  parser as LegRows too, and use `LocalClock.day_offset`/`hour_offset`, the same DST rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from callmeter.legs import CallLeg, Rejected

from .tables import LEG_SCHEMA, REJECT_SCHEMA, ParsedTables, json_default

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
AMBIGUOUS = "ambiguous_first_occurrence"
NONEXISTENT = "nonexistent_shifted_forward"


class LocalClock:
    """Converts local wall-clock fields of one site to UTC epoch seconds, fast.

    The UTC offset is cached per local hour whenever that hour holds no DST transition, so
    the bulk path pays one dict lookup per record; transition hours are resolved per record.
    """

    __slots__ = ("_hours", "zone")

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._hours: dict[int, int | None] = {}

    def to_utc(
        self, year: int, month: int, day: int, hour: int, minute: int, second: int = 0
    ) -> tuple[int, str | None]:
        """UTC epoch seconds of a local time, and the DST note (None when unambiguous).

        Raises:
            ValueError: the fields are not a valid date and time.
        """
        if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
            raise ValueError(f"time {hour:02d}:{minute:02d}:{second:02d} is out of range")
        days = date(year, month, day).toordinal() - _EPOCH_ORDINAL  # validates the date
        local = days * 86400 + hour * 3600 + minute * 60 + second
        hour_key = local // 3600
        offset = self._hours.get(hour_key, -1)
        if offset == -1:
            offset = self._clean_hour_offset(year, month, day, hour)
            self._hours[hour_key] = offset
        if offset is not None:
            return local - offset, None
        return self._resolve(local, datetime(year, month, day, hour, minute, second))

    def hour_offset(self, hour_key: int) -> int | None:
        """The UTC offset in seconds of one local hour (hours since 1970-01-01 00:00 local),
        or None if a DST transition falls in it: the rule `to_utc` applies, for the bulk path."""
        offset = self._hours.get(hour_key, -1)
        if offset == -1:
            day = date.fromordinal(hour_key // 24 + _EPOCH_ORDINAL)
            offset = self._clean_hour_offset(day.year, day.month, day.day, hour_key % 24)
            self._hours[hour_key] = offset
        return offset

    def day_offset(self, day_key: int) -> int | None:
        """The UTC offset in seconds of a whole local day (days since 1970-01-01), or None if
        it may hold a DST transition (then `hour_offset` decides hour by hour). The offset at
        the day's first and last second, both folds, is the same only for days without one
        (zones never change twice in a day and back)."""
        day = date.fromordinal(day_key + _EPOCH_ORDINAL)
        offsets = set()
        for hour, minute, second in ((0, 0, 0), (23, 59, 59)):
            naive = datetime(day.year, day.month, day.day, hour, minute, second)
            for fold in (0, 1):
                value = naive.replace(tzinfo=self.zone, fold=fold).utcoffset()
                offsets.add(int(value.total_seconds()) if value is not None else 0)
        return offsets.pop() if len(offsets) == 1 else None

    def _clean_hour_offset(self, year: int, month: int, day: int, hour: int) -> int | None:
        """The hour's single UTC offset in seconds, or None if a transition falls in it."""
        offsets = set()
        for minute, second in ((0, 0), (59, 59)):
            naive = datetime(year, month, day, hour, minute, second)
            for fold in (0, 1):
                value = naive.replace(tzinfo=self.zone, fold=fold).utcoffset()
                offsets.add(int(value.total_seconds()) if value is not None else 0)
        return offsets.pop() if len(offsets) == 1 else None

    def _resolve(self, local: int, naive: datetime) -> tuple[int, str | None]:
        first = naive.replace(tzinfo=self.zone, fold=0).utcoffset()
        second = naive.replace(tzinfo=self.zone, fold=1).utcoffset()
        off0 = int(first.total_seconds()) if first is not None else 0
        off1 = int(second.total_seconds()) if second is not None else 0
        # PEP 495: fold=0 carries the offset in force before the transition. Subtracting it is
        # the first occurrence of a repeated time, and shifts a skipped time forward by the gap.
        if off0 == off1:
            return local - off0, None
        return local - off0, AMBIGUOUS if off0 > off1 else NONEXISTENT

    def local_now(self, now: datetime) -> datetime:
        """`now` (UTC) as naive local wall-clock time of the site."""
        return now.astimezone(self.zone).replace(tzinfo=None)


def infer_year(
    month: int, day: int, hour: int, minute: int, second: int, local_now: datetime
) -> int:
    """The latest year in which month/day hh:mm:ss is not after `local_now` (the design rule).

    A 29 February takes the latest leap year that qualifies.

    Raises:
        ValueError: month/day is not a date in any year.
    """
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise ValueError(f"date {month:02d}/{day:02d} does not exist")
    year = local_now.year
    if month != 2 or day != 29:  # the common case, without building datetimes
        now = (local_now.month, local_now.day, local_now.hour, local_now.minute, local_now.second)
        if (month, day, hour, minute, second) > now:
            year -= 1
        try:
            date(year, month, day)
        except ValueError:
            raise ValueError(f"date {month:02d}/{day:02d} does not exist") from None
        return year
    for _ in range(9):  # at most 8 years back reaches a leap year
        try:
            candidate = datetime(year, month, day, hour, minute, second)
        except ValueError:
            year -= 1
            continue
        if candidate <= local_now:
            return year
        year -= 1
    raise ValueError(f"date {month:02d}/{day:02d} does not exist")


def infer_date(hour: int, minute: int, local_now: datetime) -> date:
    """The date of a time-only record: today in the site zone, or yesterday if hh:mm is still
    to come today (a call that ended just before midnight, collected just after it)."""
    today = local_now.date()
    if (hour, minute) > (local_now.hour, local_now.minute):
        return today - timedelta(days=1)
    return today


# One parsed leg before it becomes a CallLeg or an Arrow row, times as UTC epoch seconds.
# A plain tuple (building a NamedTuple costs more than the rest of a row), in this order:
# source_record_id, call_id, started, answered, ended, ring_seconds, duration_seconds,
# direction, disposition, calling_number, called_number, extension, trunk, account_code, raw,
# extra (a dict).
LegRow = tuple[
    str,
    str,
    int,
    int | None,
    int,
    int | None,
    int,
    str,
    str,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    str,
    dict[str, Any],
]
ROW_FIELDS = (
    "source_record_id",
    "call_id",
    "started",
    "answered",
    "ended",
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
    "extra",
)


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def leg_from_row(source_format: str, row: LegRow) -> CallLeg:
    """A LegRow as the canonical CallLeg."""
    (record_id, call_id, started, answered, ended, ring, duration, direction, disposition,
     calling, called, extension, trunk, account, raw, extra) = row  # fmt: skip
    return CallLeg(
        source_format=source_format,  # type: ignore[arg-type]
        source_record_id=record_id,
        call_id=call_id,
        started_at=_utc(started),
        answered_at=None if answered is None else _utc(answered),
        ended_at=_utc(ended),
        ring_seconds=ring,
        duration_seconds=duration,
        direction=direction,  # type: ignore[arg-type]
        disposition=disposition,  # type: ignore[arg-type]
        calling_number=calling,
        called_number=called,
        extension=extension,
        trunk=trunk,
        account_code=account,
        raw=raw,
        extra=extra,
    )


def items_from_rows(
    source_format: str, rows: Iterable[LegRow | Rejected]
) -> Iterator[CallLeg | Rejected]:
    """The row parser's output as CallLeg and Rejected objects (the `parse` entry point)."""
    for row in rows:
        yield row if isinstance(row, Rejected) else leg_from_row(source_format, row)


_TS_TYPE = LEG_SCHEMA.field("started_at").type


def _timestamps(values: tuple[int | None, ...]) -> pa.Array:
    seconds = pa.array(values, pa.int64())
    return pc.multiply(seconds, pa.scalar(1_000_000, pa.int64())).cast(_TS_TYPE)


def tables_from_rows(
    source_format: str, rows: Iterable[LegRow | Rejected], file_name: str | None
) -> ParsedTables:
    """The row parser's output as Arrow tables, without building a CallLeg per record."""
    legs: list[LegRow] = []
    rejects: list[Rejected] = []
    keep_leg, keep_reject = legs.append, rejects.append
    for row in rows:
        if type(row) is tuple:
            keep_leg(row)
        else:
            keep_reject(row)  # type: ignore[arg-type]
    columns: list[tuple[Any, ...]] = (
        list(zip(*legs, strict=True)) if legs else [()] * len(ROW_FIELDS)
    )
    by_name = dict(zip(ROW_FIELDS, columns, strict=True))
    extra_json: list[str] = []
    cache: dict[tuple[Any, ...], str] = {}
    for extra in by_name["extra"]:
        try:  # most extras repeat (flags, notes): serialise each distinct one once
            key = tuple(extra.items())
            text = cache.get(key)
            if text is None:
                text = cache[key] = json.dumps(extra, default=json_default, sort_keys=True)
        except TypeError:  # an unhashable value
            text = json.dumps(extra, default=json_default, sort_keys=True)
        extra_json.append(text)
    n = len(extra_json)
    arrays = {
        "source_format": pa.array([source_format] * n, pa.string()),
        "source_record_id": pa.array(by_name["source_record_id"], pa.string()),
        "call_id": pa.array(by_name["call_id"], pa.string()),
        "started_at": _timestamps(by_name["started"]),
        "answered_at": _timestamps(by_name["answered"]),
        "ended_at": _timestamps(by_name["ended"]),
        "ring_seconds": pa.array(by_name["ring_seconds"], pa.int64()),
        "duration_seconds": pa.array(by_name["duration_seconds"], pa.int64()),
        "extra": pa.array(extra_json, pa.string()),
    }
    for name in (
        "direction",
        "disposition",
        "calling_number",
        "called_number",
        "extension",
        "trunk",
        "account_code",
        "raw",
    ):
        arrays[name] = pa.array(by_name[name], pa.string())
    legs = pa.Table.from_arrays([arrays[name] for name in LEG_SCHEMA.names], schema=LEG_SCHEMA)
    reject_columns: dict[str, list[Any]] = {name: [] for name in REJECT_SCHEMA.names}
    for item in rejects:
        for name in REJECT_SCHEMA.names:
            reject_columns[name].append(getattr(item, name))
        if reject_columns["file_name"][-1] is None:
            reject_columns["file_name"][-1] = file_name
    return ParsedTables(legs, pa.Table.from_pydict(reject_columns, schema=REJECT_SCHEMA))


def lines(data: bytes, encoding: str = "latin-1") -> Iterator[tuple[int, str]]:
    """(1-based line number, text) of every non-blank line, without CR, LF and NUL padding.

    Fixed-width formats decode as latin-1 so one byte stays one column whatever the bytes are.
    """
    text = data.decode(encoding, errors="replace").removeprefix("\ufeff")
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r\x00")
        if line.strip(" \x00\r"):
            yield number, line


def direction_by_length(calling: str | None, called: str | None, extension_digits: int) -> str:
    """Fallback direction from number lengths: extensions have at most `extension_digits`."""
    calling_internal = bool(calling) and len(calling or "") <= extension_digits
    called_internal = bool(called) and len(called or "") <= extension_digits
    if calling_internal and called_internal:
        return "internal"
    if calling_internal and called:
        return "outbound"
    if called_internal and calling:
        return "inbound"
    return "unknown"
