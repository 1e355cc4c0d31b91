"""Avaya Aura Communication Manager CDR: fixed-width records, one per line.

The layouts are those docs/pbx-formats/avaya.md documents (`printer`, `teleseer`,
`isdn-teleseer`) plus `customized`, whose ordered item list and lengths are configuration read
from the switch's `system-parameters cdr` form. Every layout is a list of (item, length) pairs,
so one code path parses them all. Mapping decisions: docs/parsers/avaya.md.

Options (`formats: {avaya: {...}}` in callmeter.yaml):
    layout: printer (default), teleseer, isdn-teleseer or customized.
    fields: for `customized`, the items in switch order, each `{name: <item>, length: <n>}`
        (item names as on the switch form: date, time, sec-dur, duration, cond-code, ...;
        fillers space, return, line-feed, null).
    date_order: mdy (default) or dmy, for the `date` item (4 digits mmdd/ddmm, or 6 with yy).
    record_length: the exact line length to require (default: the layout's own length;
        the printer layout's tail after column 76 was never published, so longer lines pass).
    alternate_condition_codes: true for the ISDN/international formats whose condition codes
        are letters (A=1, D=4, E=6, G=7, H=8, I=9, L=C, N=E).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import polars as pl

from callmeter.legs import CallLeg, OccurrenceCounter, Rejected

from . import ParseContext
from ._bulk import (
    PLAIN,
    digits,
    epoch_seconds,
    finish,
    json_bool,
    json_object,
    json_string,
    line_frame,
    local_now_parts,
    normalised,
    packed_moment,
    present,
    run_slow,
    utc_offsets,
    valid_date,
)
from ._bulk import (
    direction_by_length as direction_by_length_expr,
)
from ._localtime import (
    LegRow,
    LocalClock,
    direction_by_length,
    infer_date,
    infer_year,
    items_from_rows,
    lines,
)
from .tables import ParsedTables

FORMAT: Final = "avaya"
ITEMS = frozenset(
    [
        "date",
        "time",
        "sec-dur",
        "duration",
        "cond-code",
        "code-dial",
        "code-used",
        "dialed-num",
        "calling-num",
        "acct-code",
        "auth-code",
        "frl",
        "ixc-code",
        "in-trk-code",
        "in-crt-id",
        "out-crt-id",
        "feat-flag",
        "attd-console",
        "node-num",
        "ins",
        "bcc",
        "ma-uui",
        "res-flag",
        "tsc-ct",
        "tsc-flag",
        "ppm",
        "vdn",
        "ucid",
        "space",
        "return",
        "line-feed",
        "null",
    ]
)
_FILLERS = frozenset(("space", "return", "line-feed", "null"))
_FRAMING = frozenset(("return", "line-feed", "null"))  # stripped with the line terminator

# Built-in layouts, 1-based columns from avaya.md turned into (item, length) sequences.
LAYOUTS: dict[str, tuple[tuple[str, int], ...]] = {
    "printer": (
        ("time", 4),
        ("space", 1),
        ("duration", 4),
        ("space", 1),
        ("cond-code", 1),
        ("space", 1),
        ("code-dial", 3),
        ("space", 1),
        ("code-used", 3),
        ("space", 1),
        ("dialed-num", 15),
        ("space", 1),
        ("calling-num", 5),
        ("space", 1),
        ("acct-code", 15),
        ("space", 1),
        ("auth-code", 7),
        ("space", 4),
        ("frl", 1),
        ("space", 1),
        ("ixc-code", 1),
        ("space", 1),
        ("in-crt-id", 3),
    ),
    "teleseer": (
        ("space", 3),
        ("time", 4),
        ("duration", 4),
        ("cond-code", 1),
        ("code-dial", 3),
        ("code-used", 3),
        ("dialed-num", 15),
        ("calling-num", 5),
        ("acct-code", 15),
        ("frl", 1),
        ("ixc-code", 1),
        ("in-crt-id", 3),
        ("out-crt-id", 3),
        ("feat-flag", 1),
        ("auth-code", 7),
        ("space", 7),
    ),
    "isdn-teleseer": (
        ("space", 3),
        ("time", 4),
        ("duration", 4),
        ("cond-code", 1),
        ("ixc-code", 3),
        ("code-used", 3),
        ("dialed-num", 15),
        ("calling-num", 5),
        ("acct-code", 15),
        ("ins", 1),
        ("frl", 1),
        ("in-crt-id", 3),
        ("out-crt-id", 3),
        ("feat-flag", 1),
        ("auth-code", 7),
        ("ins-high", 2),
        ("space", 5),
    ),
}
# Layouts whose published table stops before the record does: longer lines are accepted.
_OPEN_ENDED = frozenset(("printer",))
_ALTERNATE = {"A": "1", "D": "4", "E": "6", "G": "7", "H": "8", "I": "9", "L": "C", "N": "E"}
_CONDITIONS = frozenset("0146789ABCEFGHIJKMT")
_OUTBOUND = frozenset("AB7")
_ROLES = {"4": "interim_long_call", "6": "outage", "G": "ring_time", "H": "ring_time"}


class Layout:
    """A validated item list: slices per item, the expected length, the option values."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        known = {"layout", "fields", "date_order", "record_length", "alternate_condition_codes"}
        unknown = set(options) - known
        if unknown:
            raise ValueError(
                f"formats.avaya: unknown option(s) {sorted(unknown)} (known: {sorted(known)})"
            )
        self.name = str(options.get("layout", "printer"))
        if self.name == "customized":
            items = self._custom_items(options.get("fields"))
        elif self.name in LAYOUTS:
            if "fields" in options:
                raise ValueError("formats.avaya.fields is only for layout: customized")
            items = list(LAYOUTS[self.name])
        else:
            known_layouts = ", ".join([*LAYOUTS, "customized"])
            raise ValueError(f"formats.avaya.layout {self.name!r} is not one of {known_layouts}")
        self.date_order = str(options.get("date_order", "mdy"))
        if self.date_order not in ("mdy", "dmy"):
            raise ValueError(
                f"formats.avaya.date_order must be mdy or dmy, got {self.date_order!r}"
            )
        self.alternate = bool(options.get("alternate_condition_codes", False))
        while items and items[-1][0] in _FRAMING:  # trailing CR/LF/NUL are line framing
            items.pop()
        self.slices: dict[str, slice] = {}
        self.blanks: list[tuple[int, int]] = []
        start = 0
        for name, length in items:
            if name in _FILLERS:
                if name == "space":
                    self.blanks.append((start, start + length))
            elif name in self.slices:
                raise ValueError(f"formats.avaya.fields: item {name!r} appears twice")
            else:
                self.slices[name] = slice(start, start + length)
            start += length
        self.length = start
        self.exact = self.name not in _OPEN_ENDED
        if "record_length" in options:
            self.length, self.exact = int(options["record_length"]), True
        for required in ("time", "cond-code"):
            if required not in self.slices:
                raise ValueError(f"formats.avaya.fields: the layout needs a {required!r} item")
        if "duration" not in self.slices and "sec-dur" not in self.slices:
            raise ValueError(
                "formats.avaya.fields: the layout needs a 'duration' or 'sec-dur' item"
            )
        if self.slices["time"].stop - self.slices["time"].start != 4:
            raise ValueError("formats.avaya.fields: 'time' is hhmm, length 4")
        if (
            "duration" in self.slices
            and self.slices["duration"].stop - self.slices["duration"].start != 4
        ):
            raise ValueError("formats.avaya.fields: 'duration' is hmmt, length 4")
        if "date" in self.slices and self.slices["date"].stop - self.slices["date"].start not in (
            4,
            6,
        ):
            raise ValueError("formats.avaya.fields: 'date' is mmdd or mmddyy, length 4 or 6")

    @staticmethod
    def _custom_items(fields: Any) -> list[tuple[str, int]]:
        if not isinstance(fields, list) or not fields:
            raise ValueError(
                "formats.avaya: layout customized needs `fields: [{name, length}, ...]`"
            )
        items = []
        for index, item in enumerate(fields):
            where = f"formats.avaya.fields[{index}]"
            if not isinstance(item, Mapping) or set(item) - {"name", "length"}:
                raise ValueError(f"{where}: expected {{name: <item>, length: <n>}}, got {item!r}")
            name, length = item.get("name"), item.get("length")
            if name not in ITEMS:
                raise ValueError(
                    f"{where}: unknown item {name!r} (items: {', '.join(sorted(ITEMS))})"
                )
            if not isinstance(length, int) or isinstance(length, bool) or length < 1:
                raise ValueError(f"{where}: length must be a positive whole number, got {length!r}")
            items.append((str(name), length))
        return items


def parse(data: bytes, ctx: ParseContext) -> Iterator[CallLeg | Rejected]:
    """Parse Communication Manager CDR lines into legs and rejects (one line is enough).

    Args:
        data: CDR bytes, one record per line (CR, LF and NUL padding are framing).
        ctx: site timezone, the current time (for a missing date or year) and `options`.

    Yields:
        One CallLeg or one Rejected per non-blank line.

    Raises:
        ValueError: the configured layout is invalid (before any record is read).
    """
    layout = Layout(ctx.options)
    return items_from_rows(FORMAT, _rows(data, ctx, layout))


def parse_table(data: bytes, ctx: ParseContext) -> ParsedTables:
    """The bulk path: the legs and rejects of `parse` as Arrow tables, vectorised.

    Well-formed records are mapped by polars expressions over all lines at once; the rest
    (rejects, DST transition hours, an inferred 29 February, text JSON must escape) go through
    the row parser, so `parse` and `parse_table` give the same records.

    Raises:
        ValueError: the configured layout is invalid (before any record is read).
    """
    layout = Layout(ctx.options)
    clock = LocalClock(ctx.timezone)
    local_now, now_packed = local_now_parts(clock, ctx.now)
    frame = _fast_columns(line_frame(data).lazy(), layout, local_now, now_packed).collect()
    frame = frame.with_columns(_offset=utc_offsets(frame["_local"], clock))
    frame = frame.with_columns(pl.col("_ok") & pl.col("_offset").is_not_null())
    fast, slow_lines = frame.filter(pl.col("_ok")), frame.filter(~pl.col("_ok"))
    slow = run_slow(
        FORMAT,
        list(zip(slow_lines["_order"], slow_lines["line"], strict=True)),
        lambda line, keys: _row(line, layout, clock, local_now, keys),
        ctx.file_name,
    )
    return finish(FORMAT, _fast_legs(fast.lazy(), layout).collect(), slow, ctx.file_name)


def _fast_columns(
    frame: pl.LazyFrame, layout: Layout, local_now: datetime, now_packed: int
) -> pl.LazyFrame:
    """Each item's stripped value, the end time's fields, `_ok` where no row parser is needed."""
    line = pl.col("line")
    length = line.str.len_chars()
    shape_ok = line.str.contains(PLAIN) & (
        (length == layout.length) if layout.exact else (length >= layout.length)
    )
    if layout.blanks:
        blanks = [line.str.slice(start, stop - start) for start, stop in layout.blanks]
        shape_ok = shape_ok & (pl.concat_str(blanks).str.strip_chars(" ") == "")
    duration = layout.slices.get("duration")
    frame = frame.with_columns(
        *(
            line.str.slice(where.start, where.stop - where.start).str.strip_chars(" ").alias(name)
            for name, where in layout.slices.items()
        ),
        _shape_ok=shape_ok,
        _duration=line.str.slice(duration.start, 4) if duration else pl.lit(""),
    )
    # Stage 2: numbers, each computed once.
    time_field, field = pl.col("time"), pl.col("_duration")
    numbers = {
        "_hour": digits(time_field.str.slice(0, 2)),
        "_minute": digits(time_field.str.slice(2, 2)),
        "_code": pl.col("cond-code").replace(_ALTERNATE)
        if layout.alternate
        else pl.col("cond-code"),
    }
    if "sec-dur" in layout.slices:
        numbers["_length"] = digits(pl.col("sec-dur"))
        duration_ok = pl.col("_length").is_not_null()
    else:
        numbers["_dur_minutes"] = digits(field.str.slice(1, 2))
        numbers["_length"] = (
            digits(field.str.slice(0, 1)) * 3600
            + digits(field.str.slice(1, 2)) * 60
            + digits(field.str.slice(3, 1)) * 6
        )
        duration_ok = (
            field.str.contains(r"^[0-9]{4}$") & (field != "9999") & (pl.col("_dur_minutes") <= 59)
        )
    date_ok = pl.lit(True)
    inferred = True
    if "date" not in layout.slices:
        today, yesterday = local_now.date(), local_now.date() - timedelta(days=1)
        later = pl.col("_hour") * 100 + pl.col("_minute") > local_now.hour * 100 + local_now.minute
        when = {"_year": "year", "_month": "month", "_day": "day"}
        frame = frame.with_columns(**numbers)
        numbers = {
            name: pl.when(later).then(getattr(yesterday, part)).otherwise(getattr(today, part))
            for name, part in when.items()
        }
    else:
        where = layout.slices["date"]
        width = where.stop - where.start
        date_field = pl.col("date")
        date_ok = date_field.str.contains(f"^[0-9]{{{width}}}$")
        first, second = digits(date_field.str.slice(0, 2)), digits(date_field.str.slice(2, 2))
        month, day = (first, second) if layout.date_order == "mdy" else (second, first)
        numbers |= {"_month": month, "_day": day}
        if width == 6:
            numbers["_year"] = 2000 + digits(date_field.str.slice(4, 2))
            inferred = False
            frame = frame.with_columns(**numbers)
            numbers = {}
        else:
            frame = frame.with_columns(**numbers)
            moment = packed_moment(
                pl.col("_month"), pl.col("_day"), pl.col("_hour"), pl.col("_minute"), pl.lit(0)
            )
            numbers = {"_year": local_now.year - (moment > now_packed).cast(pl.Int64)}
            # infer_year searches back for a leap year: the row parser's job.
            date_ok = date_ok & ~((pl.col("_month") == 2) & (pl.col("_day") == 29))
    frame = frame.with_columns(**numbers)
    year, month, day = pl.col("_year"), pl.col("_month"), pl.col("_day")
    hour, minute = pl.col("_hour"), pl.col("_minute")
    ok = (
        pl.col("_shape_ok")
        & time_field.str.contains(r"^[0-9]{4}$")
        & (hour <= 23)
        & (minute <= 59)
        & duration_ok
        & pl.col("_code").is_in(sorted(_CONDITIONS))
        & date_ok
        & valid_date(year, month, day)
    ).fill_null(False)
    frame = frame.with_columns(_ok=ok)
    local = epoch_seconds(year, month, day, hour, minute, pl.lit(0))
    ymd = pl.format(
        "{}{}{}",
        year.cast(pl.String).str.zfill(4),
        month.cast(pl.String).str.zfill(2),
        day.cast(pl.String).str.zfill(2),
    )
    return frame.with_columns(
        _local=pl.when(pl.col("_ok")).then(local),
        _ymd=ymd if "ucid" in layout.slices else pl.lit(None, dtype=pl.String),  # for ucid ids
        _inferred=pl.lit(inferred),
    )


def _fast_legs(frame: pl.LazyFrame, layout: Layout) -> pl.LazyFrame:
    """The LegRow columns of the fast records (the mapping of `_row`, as expressions)."""

    def value(name: str) -> pl.Expr:  # `values.get(name) or None`
        if name not in layout.slices:
            return pl.lit(None, dtype=pl.String)
        return present(pl.col(name))

    code, length = pl.col("_code"), pl.col("_length")
    ended = pl.col("_local") - pl.col("_offset")
    started = ended - length
    dialed, calling = value("dialed-num"), value("calling-num")
    code_used, in_trunk = value("code-used"), value("in-trk-code")
    direction = (
        pl.when(code == "0")
        .then(pl.lit("internal"))
        .when(code.is_in(["9", "G", "H"]))
        .then(pl.lit("inbound"))
        .when(code.is_in(sorted(_OUTBOUND)) | code_used.is_not_null())
        .then(pl.lit("outbound"))
        .when(in_trunk.is_not_null())
        .then(pl.lit("inbound"))
        .otherwise(direction_by_length_expr(calling, dialed, 5))
    )
    frame = frame.with_columns(direction=direction, ended=ended, started=started)
    inbound = pl.col("direction") == "inbound"
    internal = pl.col("direction") == "internal"
    standard_trunk = pl.lit(None, dtype=pl.String) if "in-trk-code" in layout.slices else calling
    circuit = (
        pl.when(inbound)
        .then(value("in-crt-id"))
        .when(internal)
        .then(None)
        .otherwise(value("out-crt-id"))
    )
    unanswered = code.is_in(["I", "H", "E", "6"])
    ring_only = unanswered | (code == "G")
    ucid = value("ucid")
    record_id = pl.when(ucid.is_not_null()).then(
        pl.format("{}:{}:{}{}", ucid, code, pl.col("_ymd"), pl.col("time"))
    )
    members: dict[str, pl.Expr] = {
        "condition_code": json_string(code),
        "leg_role": json_string(code.replace_strict(_ROLES, default="call")),
        "billable": json_bool(~code.is_in(sorted(_ROLES))),
        "time_is_end": pl.lit("true"),
        "date_inferred": pl.when(pl.col("_inferred")).then(pl.lit("true")),
        "circuit_id": json_string(circuit),
    }
    for name in ("code-dial", "vdn", "ixc-code", "feat-flag", "node-num"):
        members[name.replace("-", "_")] = json_string(value(name))
    return frame.select(
        "_order",
        ucid.is_null().alias("_key_due"),
        pl.when(ucid.is_null()).then(normalised(pl.col("line"))).alias("_norm"),
        record_id.alias("source_record_id"),
        pl.coalesce(ucid, record_id).alias("call_id"),
        "started",
        pl.when(code == "G")
        .then(pl.col("ended"))
        .when(~unanswered)
        .then(pl.col("started"))
        .alias("answered"),
        "ended",
        pl.when(ring_only).then(length).alias("ring_seconds"),
        pl.when(ring_only).then(0).otherwise(length).alias("duration_seconds"),
        "direction",
        pl.when(code == "I")
        .then(pl.lit("busy"))
        .when(code == "H")
        .then(pl.lit("no_answer"))
        .when(code.is_in(["E", "6"]))
        .then(pl.lit("failed"))
        .otherwise(pl.lit("answered"))
        .alias("disposition"),
        calling.alias("calling_number"),
        dialed.alias("called_number"),
        pl.when(inbound).then(dialed).otherwise(calling).alias("extension"),
        pl.when(inbound)
        .then(pl.coalesce(in_trunk, code_used, standard_trunk))
        .when(internal)
        .then(None)
        .otherwise(code_used)
        .alias("trunk"),
        value("acct-code").alias("account_code"),
        pl.col("line").alias("raw"),
        json_object(members).alias("extra"),
    )


def _rows(data: bytes, ctx: ParseContext, layout: Layout) -> Iterator[LegRow | Rejected]:
    clock = LocalClock(ctx.timezone)
    local_now = clock.local_now(ctx.now)
    keys = OccurrenceCounter()
    for number, line in lines(data):
        try:
            yield _row(line, layout, clock, local_now, keys)
        except ValueError as error:
            yield Rejected(FORMAT, keys.key(line), str(error), line, number, ctx.file_name)


def _column(layout: Layout, name: str) -> str:
    where = layout.slices[name]
    return (
        f"columns {where.start + 1}-{where.stop}"
        if where.stop - where.start > 1
        else f"column {where.stop}"
    )


def _minutes_tenths(field: str) -> int:
    """'hmmt' -> seconds: 1 digit of hours, 2 of minutes, 1 of tenths of a minute."""
    if field == "9999":
        raise ValueError(
            "duration 9999 marks a call in progress during a clock change: length unknown"
        )
    if not field.isdigit():
        raise ValueError(f"duration {field!r} is not hmmt digits")
    minutes = int(field[1:3])
    if minutes > 59:
        raise ValueError(f"duration {field!r} has {minutes} minutes")
    return int(field[0]) * 3600 + minutes * 60 + int(field[3]) * 6


def _end_date(
    layout: Layout, record: str, hour: int, minute: int, local_now: datetime
) -> tuple[int, int, int, bool]:
    """(year, month, day, inferred) of the record's end."""
    if "date" not in layout.slices:
        when = infer_date(hour, minute, local_now)
        return when.year, when.month, when.day, True
    field = record[layout.slices["date"]].strip()
    if (
        not field.isdigit()
        or len(field) != layout.slices["date"].stop - layout.slices["date"].start
    ):
        raise ValueError(f"date {field!r} ({_column(layout, 'date')}) is not digits")
    first, second = int(field[:2]), int(field[2:4])
    month, day = (first, second) if layout.date_order == "mdy" else (second, first)
    if len(field) == 6:
        return 2000 + int(field[4:]), month, day, False
    return infer_year(month, day, hour, minute, 0, local_now), month, day, True


def _row(
    record: str, layout: Layout, clock: LocalClock, local_now: datetime, keys: OccurrenceCounter
) -> LegRow:
    if len(record) != layout.length and (layout.exact or len(record) < layout.length):
        expected = f"{layout.length}" if layout.exact else f"at least {layout.length}"
        raise ValueError(
            f"line is {len(record)} characters; the {layout.name} layout has {expected}"
        )
    for start, stop in layout.blanks:
        if record[start:stop].strip():
            raise ValueError(
                f"columns {start + 1}-{stop} should be blank in the {layout.name} layout, "
                f"found {record[start:stop]!r}: the line does not match the configured layout"
            )
    values = {name: record[where].strip() for name, where in layout.slices.items()}
    time_field = values["time"]
    if len(time_field) != 4 or not time_field.isdigit():
        raise ValueError(f"time {time_field!r} ({_column(layout, 'time')}) is not hhmm")
    hour, minute = int(time_field[:2]), int(time_field[2:])
    if hour > 23 or minute > 59:
        raise ValueError(f"time {time_field!r} ({_column(layout, 'time')}) is not a time of day")
    if "sec-dur" in values:
        seconds_field = values["sec-dur"]
        if not seconds_field.isdigit():
            raise ValueError(
                f"sec-dur {seconds_field!r} ({_column(layout, 'sec-dur')}) is not digits"
            )
        length = int(seconds_field)
    else:
        field = record[layout.slices["duration"]]
        try:
            length = _minutes_tenths(field)
        except ValueError as error:
            raise ValueError(f"{error} ({_column(layout, 'duration')})") from None
    code = values["cond-code"]
    if layout.alternate:
        code = _ALTERNATE.get(code, code)
    if code not in _CONDITIONS or not code:
        raise ValueError(
            f"condition code {code!r} ({_column(layout, 'cond-code')}) is not a known code"
        )
    try:
        year, month, day, inferred = _end_date(layout, record, hour, minute, local_now)
        ended, note = clock.to_utc(year, month, day, hour, minute)
    except ValueError as error:
        raise ValueError(f"end date/time: {error}") from None
    started = ended - length

    dialed = values.get("dialed-num") or None
    calling = values.get("calling-num") or None
    code_used = values.get("code-used") or None
    in_trunk = values.get("in-trk-code") or None
    if code == "0":
        direction = "internal"
    elif code in ("9", "G", "H"):
        direction = "inbound"
    elif code in _OUTBOUND or code_used:
        direction = "outbound"
    elif in_trunk:
        direction = "inbound"
    else:  # e.g. a busy (I) record: extensions are at most 5 digits in these layouts
        direction = direction_by_length(calling, dialed, 5)

    if direction == "inbound":
        extension = dialed
        # Standard layouts carry no in-trk-code: there the calling number of an incoming call
        # is the trunk access code (avaya.md, field semantics).
        trunk = in_trunk or code_used or (None if "in-trk-code" in layout.slices else calling)
        circuit = values.get("in-crt-id")
    elif direction == "internal":
        extension, trunk, circuit = calling, None, None
    else:
        extension, trunk, circuit = calling, code_used, values.get("out-crt-id")

    answered: int | None
    if code == "I":
        disposition, answered, duration, ring = "busy", None, 0, length
    elif code == "H":
        disposition, answered, duration, ring = "no_answer", None, 0, length
    elif code in ("E", "6"):
        disposition, answered, duration, ring = "failed", None, 0, length
    elif code == "G":  # a ring-time record: its duration is ring time, the answer is its end
        disposition, answered, duration, ring = "answered", ended, 0, length
    else:  # ring time unknown in these records: answered at the start
        disposition, answered, duration, ring = "answered", started, length, None

    ucid = values.get("ucid") or None
    if ucid:
        record_id = f"{ucid}:{code}:{year:04d}{month:02d}{day:02d}{time_field}"
    else:
        record_id = keys.key(record)
    extra: dict[str, Any] = {
        "condition_code": code,
        "leg_role": _ROLES.get(code, "call"),
        "billable": code not in _ROLES,
        "time_is_end": True,
    }
    if inferred:
        extra["date_inferred"] = True
    if note:
        extra["dst"] = note
    if circuit:
        extra["circuit_id"] = circuit
    for name in ("code-dial", "vdn", "ixc-code", "feat-flag", "node-num"):
        if values.get(name):
            extra[name.replace("-", "_")] = values[name]
    return (
        record_id,
        ucid or record_id,
        started,
        answered,
        ended,
        ring,
        duration,
        direction,
        disposition,
        calling,
        dialed,
        extension,
        trunk,
        values.get("acct-code") or None,
        record,
        extra,
    )
