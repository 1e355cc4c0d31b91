"""Mitel MiVoice Business (3300 ICP / MCD / SX-2000) external SMDR, standard layout.

One fixed-width line per record (docs/pbx-formats/mitel.md): 88 characters plus CR LF, or 87
when the collector trimmed the long-call flag in column 1 (detected per line from where the
date's `/` sits). Times are switch-local without a year: the year is the latest one that does
not put the record in the future (relative to `ctx.now`). Mapping decisions: docs/parsers/mitel.md.

Options (`formats: {mitel: {...}}` in callmeter.yaml):
    clock: "auto" (default), "12" or "24". With a blank am/pm suffix, "auto" and "24" read the
        hour as 24-hour; "12" reads it as a 12-hour AM time (12:xx is then just after midnight).
    meter_pulses: true when "Report Meter Pulses" is on (columns 55-59 hold pulses, not digits).
    variant: "mivb" (default) or "mivo250" for the MiVoice Office 250 / Mitel 5000 / Inter-Tel
        SMDR report (TYP EXT# TRUNK DIGITS START ELAPSED COST ACCOUNT, no date at all: the date
        is the site-local date of `ctx.now`, or the day before when hh:mm is still to come).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final

import polars as pl

from callmeter.legs import CallLeg, OccurrenceCounter, Rejected

from . import ParseContext
from ._bulk import (
    PLAIN,
    epoch_seconds,
    finish,
    json_bool,
    json_object,
    json_string,
    line_frame,
    local_now_parts,
    normalised,
    packed_moment,
    run_slow,
    utc_offsets,
    valid_date,
)
from ._localtime import (
    LegRow,
    LocalClock,
    infer_date,
    infer_year,
    items_from_rows,
    lines,
    tables_from_rows,
)
from .tables import ParsedTables

FORMAT: Final = "mitel"
LENGTH = 88  # columns 1-88; CR LF are framing
_SPACERS = (6, 13, 22, 32)  # 0-based columns that must be blank in every record
_COMPLETION = frozenset(" AaTBEIODSU")
# The common, well-formed record. Named groups, so the bulk path's polars regex is the same text.
_FAST_PATTERN = (
    r"(?P<flag>[ \-%+])(?P<mm>\d\d)/(?P<dd>\d\d) (?P<hh>\d\d):(?P<mi>\d\d)(?P<suffix>[ aApP]) "
    r"(?P<dh>\d\d):(?P<dm>[0-5]\d):(?P<ds>[0-5]\d) (?P<calling>.{4}) (?P<attendant>[ *\-])"
    r"(?P<tta>\d\d\d|\*\*\*|   ) (?P<digits>.{26})(?P<completion>[ AaTBEIODSU])(?P<forward>.)"
    r"(?P<called>.{4})(?P<transfer>.) (?P<third>.{4}) (?P<account>.{12}).(?P<system>.{3})"
)
_FAST = re.compile(_FAST_PATTERN)
# Where _FAST's groups sit in the 88 columns (0-based, end exclusive), for the bulk path.
_FAST_SLICES = {
    "flag": (0, 1), "mm": (1, 3), "dd": (4, 6), "hh": (7, 9), "mi": (10, 12), "suffix": (12, 13),
    "dh": (14, 16), "dm": (17, 19), "ds": (20, 22), "calling": (23, 27), "attendant": (28, 29),
    "tta": (29, 32), "digits": (33, 59), "completion": (59, 60), "forward": (60, 61),
    "called": (61, 65), "transfer": (65, 66), "third": (67, 71), "account": (72, 84),
    "system": (85, 88),
}  # fmt: skip


class _Options:
    __slots__ = ("clock", "meter_pulses", "variant")

    def __init__(self, options: dict[str, Any]) -> None:
        unknown = set(options) - {"clock", "meter_pulses", "variant"}
        if unknown:
            raise ValueError(
                f"formats.mitel: unknown option(s) {sorted(unknown)} "
                "(known: clock, meter_pulses, variant)"
            )
        self.variant = str(options.get("variant", "mivb"))
        if self.variant not in ("mivb", "mivo250"):
            raise ValueError(f"formats.mitel.variant must be mivb or mivo250, got {self.variant!r}")
        self.clock = str(options.get("clock", "auto"))
        if self.clock not in ("auto", "12", "24"):
            raise ValueError(f"formats.mitel.clock must be auto, 12 or 24, got {self.clock!r}")
        self.meter_pulses = bool(options.get("meter_pulses", False))


def parse(data: bytes, ctx: ParseContext) -> Iterator[CallLeg | Rejected]:
    """Parse MiVB SMDR text into legs and rejects (one line is enough, for the sidecar).

    Args:
        data: SMDR bytes, one record per line.
        ctx: site timezone, the current time (for the missing year) and `options`.

    Yields:
        One CallLeg or one Rejected per non-blank line.
    """
    return items_from_rows(FORMAT, _rows(data, ctx))


def parse_table(data: bytes, ctx: ParseContext) -> ParsedTables:
    """The bulk path: the legs and rejects of `parse` as Arrow tables, vectorised.

    Well-formed records are mapped by polars expressions over all lines at once; the rest
    (rejects, DST transition hours, 29 February, the meter-pulse and 12-hour-clock options)
    go through the row parser, so `parse` and `parse_table` give the same records.
    """
    options = _Options(dict(ctx.options))
    if options.variant == "mivo250":  # a rare report format: the row parser, line by line
        return tables_from_rows(FORMAT, _office250_rows(data, ctx), ctx.file_name)
    clock = LocalClock(ctx.timezone)
    local_now, now_packed = local_now_parts(clock, ctx.now)
    frame = line_frame(data)
    frame = _fast_columns(frame.lazy(), local_now.year, now_packed).collect()
    if options.meter_pulses or options.clock == "12":  # rare settings: the row parser only
        frame = frame.with_columns(_ok=pl.lit(False), _local=pl.lit(None, dtype=pl.Int64))
    frame = frame.with_columns(_offset=utc_offsets(frame["_local"], clock))
    frame = frame.with_columns(pl.col("_ok") & pl.col("_offset").is_not_null())
    fast, slow_lines = frame.filter(pl.col("_ok")), frame.filter(~pl.col("_ok"))
    slow = run_slow(
        FORMAT,
        list(zip(slow_lines["_order"], slow_lines["line"], strict=True)),
        lambda line, keys: _row(line, options, clock, local_now, keys),
        ctx.file_name,
    )
    return finish(FORMAT, _fast_legs(fast.lazy()).collect(), slow, ctx.file_name)


def _fast_columns(frame: pl.LazyFrame, this_year: int, now_packed: int) -> pl.LazyFrame:
    """Fields of the records the fast regex matches, `_ok` where they need no row parser."""
    line = pl.col("line")
    trimmed = (line.str.slice(2, 1) == "/") & (line.str.slice(3, 1) != "/")
    record = pl.when(trimmed).then(pl.concat_str(pl.lit(" "), line)).otherwise(line)
    frame = frame.with_columns(
        _plain=line.str.contains(PLAIN) & (record.str.len_chars() == LENGTH),
        _match=record.str.contains(f"^{_FAST_PATTERN}$"),
        _record=record,
    )
    frame = frame.with_columns(
        pl.col("_record").str.slice(start, stop - start).alias(name)
        for name, (start, stop) in _FAST_SLICES.items()
    )
    month, day = (
        pl.col("mm").cast(pl.Int64, strict=False),
        pl.col("dd").cast(pl.Int64, strict=False),
    )
    clock_hour, minute = (
        pl.col("hh").cast(pl.Int64, strict=False),
        pl.col("mi").cast(pl.Int64, strict=False),
    )
    suffix = pl.col("suffix")
    hour = (
        pl.when(suffix == " ")
        .then(clock_hour)
        .otherwise(clock_hour % 12 + pl.when(suffix.is_in(["p", "P"])).then(12).otherwise(0))
    )
    hour_ok = pl.when(suffix == " ").then(clock_hour <= 23).otherwise(clock_hour.is_between(1, 12))
    moment = packed_moment(month, day, hour, minute, pl.lit(0))
    year = pl.lit(this_year) - (moment > now_packed).cast(pl.Int64, strict=False)
    frame = frame.with_columns(
        _month=month, _day=day, _hour=hour, _minute=minute, _year=year,
        calling=pl.col("calling").str.strip_chars(" "),
    )  # fmt: skip
    ok = (
        pl.col("_plain")
        & pl.col("_match")
        & (pl.col("_minute") <= 59)
        & hour_ok
        & (pl.col("calling") != "")
        & ~((pl.col("_month") == 2) & (pl.col("_day") == 29))  # infer_year's leap-year search
        & valid_date(pl.col("_year"), pl.col("_month"), pl.col("_day"))
    ).fill_null(False)
    local = epoch_seconds(
        pl.col("_year"), pl.col("_month"), pl.col("_day"), pl.col("_hour"), pl.col("_minute"),
        pl.lit(0),
    )  # fmt: skip
    return frame.with_columns(_ok=ok, _local=pl.when(ok).then(local))


def _fast_legs(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The LegRow columns of the fast records (the mapping of `_row`, as expressions)."""
    stripped = {
        name: pl.col(name).str.strip_chars(" ")
        for name in ("digits", "called", "forward", "transfer", "third", "account", "system")
    }
    frame = frame.with_columns(**stripped)
    calling, called = pl.col("calling"), pl.col("called")
    trunk_pattern = r"^[TX][0-9]+$"
    inbound = calling.str.contains(trunk_pattern)
    outbound = ~inbound & called.str.contains(trunk_pattern)
    internal = ~inbound & ~outbound
    tta = pl.col("tta")
    unanswered = tta == "***"
    ring_tta = pl.when(~unanswered & (tta != "   ")).then(tta.cast(pl.Int64, strict=False))
    completion = pl.col("completion")
    disposition = (
        pl.when(outbound | ~(unanswered | completion.is_in(["B", "E"])))
        .then(pl.lit("answered"))
        .when(unanswered)
        .then(pl.lit("no_answer"))
        .when(completion == "B")
        .then(pl.lit("busy"))
        .otherwise(pl.lit("failed"))
    )
    length = (
        pl.col("dh").cast(pl.Int64, strict=False) * 3600
        + pl.col("dm").cast(pl.Int64, strict=False) * 60
        + pl.col("ds").cast(pl.Int64, strict=False)
    )
    frame = frame.with_columns(
        _inbound=inbound, _outbound=outbound, _internal=internal, disposition=disposition,
        _length=length, _ring_tta=ring_tta, started=pl.col("_local") - pl.col("_offset"),
    )  # fmt: skip
    inbound, outbound, internal = pl.col("_inbound"), pl.col("_outbound"), pl.col("_internal")
    started, answered_disposition = pl.col("started"), pl.col("disposition") == "answered"

    def text(expr: pl.Expr) -> pl.Expr:  # "" -> null, as `x or None`
        return pl.when(expr != "").then(expr)

    frame = frame.with_columns(
        answered=pl.when(outbound)
        .then(started)
        .when(answered_disposition)
        .then(started + pl.col("_ring_tta").fill_null(0)),
        ring_seconds=pl.when(outbound)
        .then(None)
        .when(answered_disposition)
        .then(pl.col("_ring_tta"))
        .otherwise(pl.col("_length")),
        duration_seconds=pl.when(answered_disposition).then(pl.col("_length")).otherwise(0),
    )
    flag_text = {
        "completion_status": completion,
        "speed_forward_flag": pl.col("forward"),
        "transfer_flag": pl.col("transfer"),
        "third_party": pl.col("third"),
        "system_id": pl.col("system"),
    }
    extra = json_object(
        {
            "long_call_flag": pl.when(pl.col("flag") == " ")
            .then(pl.lit("null"))
            .otherwise(json_string(pl.col("flag"))),
            "year_inferred": pl.col("_year").cast(pl.String),
            "answer_supervised": pl.when(outbound).then(json_bool(completion.is_in(["A", "a"]))),
            "attendant": pl.when(pl.col("attendant") == "*").then(pl.lit("true")),
            **{
                name: pl.when(value.str.strip_chars(" ") != "").then(json_string(value))
                for name, value in flag_text.items()
            },
        }
    )
    return frame.select(
        "_order",
        pl.lit(True).alias("_key_due"),
        normalised(pl.col("line")).alias("_norm"),
        pl.lit(None, dtype=pl.String).alias("source_record_id"),
        pl.lit(None, dtype=pl.String).alias("call_id"),
        "started",
        "answered",
        pl.coalesce(
            pl.col("answered") + pl.col("duration_seconds"),
            started + pl.col("ring_seconds").fill_null(0),
        ).alias("ended"),
        "ring_seconds",
        "duration_seconds",
        pl.when(inbound)
        .then(pl.lit("inbound"))
        .when(outbound)
        .then(pl.lit("outbound"))
        .otherwise(pl.lit("internal"))
        .alias("direction"),
        "disposition",
        calling.alias("calling_number"),
        pl.coalesce(text(pl.col("digits")), pl.when(internal).then(text(called))).alias(
            "called_number"
        ),
        pl.when(inbound)
        .then(pl.coalesce(text(pl.col("third")), text(called)))
        .otherwise(calling)
        .alias("extension"),
        pl.when(inbound).then(calling).when(outbound).then(called).otherwise(None).alias("trunk"),
        text(pl.col("account")).alias("account_code"),
        pl.col("line").alias("raw"),
        extra.alias("extra"),
    )


def _rows(data: bytes, ctx: ParseContext) -> Iterator[LegRow | Rejected]:
    options = _Options(dict(ctx.options))
    if options.variant == "mivo250":
        yield from _office250_rows(data, ctx)
        return
    clock = LocalClock(ctx.timezone)
    local_now = clock.local_now(ctx.now)
    keys = OccurrenceCounter()
    for number, line in lines(data):
        try:
            yield _row(line, options, clock, local_now, keys)
        except ValueError as error:
            yield Rejected(FORMAT, keys.key(line), str(error), line, number, ctx.file_name)


def _time(field: str, clock_option: str) -> tuple[int, int]:
    """'hh:mmp' (12-hour with p/P), 'hh:mma' or 'hh:mm ' -> (hour, minute) on a 24-hour clock."""
    if field[2] != ":" or not (field[:2].isdigit() and field[3:5].isdigit()):
        raise ValueError(f"start time {field!r} (columns 8-13) is not hh:mm with a/p")
    hour, minute, suffix = int(field[:2]), int(field[3:5]), field[5]
    if minute > 59:
        raise ValueError(f"start time {field!r} (columns 8-13) has minute {minute}")
    if suffix in "pPaA":
        if not 1 <= hour <= 12:
            raise ValueError(f"start time {field!r} (columns 8-13): hour {hour} on a 12-hour clock")
        return (hour % 12) + (12 if suffix in "pP" else 0), minute
    if suffix != " ":
        raise ValueError(
            f"start time {field!r} (columns 8-13) has suffix {suffix!r}, not a/p/blank"
        )
    if clock_option == "12":
        if not 1 <= hour <= 12:
            raise ValueError(f"start time {field!r} (columns 8-13): hour {hour} on a 12-hour clock")
        return hour % 12, minute
    if hour > 23:
        raise ValueError(f"start time {field!r} (columns 8-13) has hour {hour}")
    return hour, minute


def _duration(field: str) -> int:
    if field == "99:99:99":
        raise ValueError(
            "duration 99:99:99 (columns 15-22) is the overflow sentinel of a call over 100 hours: "
            "its real length is unknown"
        )
    parts = field.split(":")
    if len(parts) != 3 or not all(len(p) == 2 and p.isdigit() for p in parts):
        raise ValueError(f"duration {field!r} (columns 15-22) is not hh:mm:ss")
    hours, minutes, seconds = int(parts[0]), int(parts[1]), int(parts[2])
    if minutes > 59 or seconds > 59:
        raise ValueError(f"duration {field!r} (columns 15-22) has minutes or seconds over 59")
    return hours * 3600 + minutes * 60 + seconds


def _is_trunk(party: str) -> bool:
    return len(party) > 1 and party[0] in "TX" and party[1:].isdigit()


def _checked(record: str, line: str, options: _Options) -> tuple[Any, ...]:
    """The fields of a record that missed the fast path, with a precise reason if it is bad."""
    if len(record) != LENGTH:
        raise ValueError(
            f"line is {len(line)} characters; the standard MiVB SMDR layout has {LENGTH} "
            f"(or {LENGTH - 1} without the long-call flag in column 1)"
        )
    for column in _SPACERS:
        if record[column] != " ":
            raise ValueError(
                f"column {column + 1} is {record[column]!r}, not a space: "
                "the line does not follow the standard layout (Level-2 time or extended digits?)"
            )
    date_field = record[1:6]
    if date_field[2] != "/" or not (date_field[:2].isdigit() and date_field[3:].isdigit()):
        raise ValueError(f"date {date_field!r} (columns 2-6) is not mm/dd")
    month, day = int(date_field[:2]), int(date_field[3:])
    hour, minute = _time(record[7:13], options.clock)
    length = _duration(record[14:22])
    calling = record[23:27].strip()
    attendant = record[28]
    tta_field = record[29:32]
    digits_end = 54 if options.meter_pulses else 59
    digits = record[33:digits_end].strip()
    meter = record[54:59].strip() if options.meter_pulses else ""
    if not calling:
        raise ValueError("calling party (columns 24-27) is blank")
    if attendant not in " *-":
        raise ValueError(f"attendant flag {attendant!r} (column 29) is not '*', '-' or blank")
    completion = record[59]
    if completion not in _COMPLETION:
        raise ValueError(f"call completion status {completion!r} (column 60) is not a known code")
    tta: int | None = None
    unanswered = False
    if tta_field == "***":
        unanswered = True
    elif tta_field.strip().isdigit():
        tta = int(tta_field)
    elif tta_field.strip():
        raise ValueError(
            f"time to answer {tta_field!r} (columns 30-32) is not digits, *** or blank"
        )
    return (
        record[0],
        month,
        day,
        hour,
        minute,
        length,
        calling,
        attendant,
        tta,
        unanswered,
        digits,
        completion,
        record[60].strip(),
        record[61:65].strip(),
        record[65].strip(),
        record[67:71].strip(),
        record[72:84].strip(),
        record[85:88].strip(),
        meter,
    )


def _row(
    line: str,
    options: _Options,
    clock: LocalClock,
    local_now: datetime,
    keys: OccurrenceCounter,
) -> LegRow:
    # Column 1 (the long-call flag) is trimmed by some collectors: the date's '/' tells.
    trimmed = len(line) >= 4 and line[2] == "/" and line[3] != "/"
    record = " " + line if trimmed else line
    match = _FAST.match(record) if len(record) == LENGTH else None
    if match is not None and not options.meter_pulses and options.clock != "12":
        # The common, well-formed record: one regex instead of the checks of _checked().
        (flag, mm, dd, hh, mi, suffix, dh, dm, ds, calling, attendant, tta_field, digits,
         completion, forward_flag, called, transfer_flag, third, account, system_id) = match.groups()  # fmt: skip
        month, day, minute = int(mm), int(dd), int(mi)
        hour = int(hh)
        if minute > 59:
            raise ValueError(f"start time {record[7:13]!r} (columns 8-13) has minute {minute}")
        if suffix == " ":
            if hour > 23:
                raise ValueError(f"start time {record[7:13]!r} (columns 8-13) has hour {hour}")
        elif 1 <= hour <= 12:
            hour = (hour % 12) + (12 if suffix in "pP" else 0)
        else:
            raise ValueError(
                f"start time {record[7:13]!r} (columns 8-13): hour {hour} on a 12-hour clock"
            )
        length = int(dh) * 3600 + int(dm) * 60 + int(ds)
        calling, digits, called = calling.strip(), digits.strip(), called.strip()
        forward_flag, transfer_flag = forward_flag.strip(), transfer_flag.strip()
        third, account, system_id = third.strip(), account.strip(), system_id.strip()
        if tta_field == "***":
            tta: int | None = None
            unanswered = True
        else:
            tta, unanswered = (None if tta_field == "   " else int(tta_field)), False
        date_field = record[1:6]
        meter = ""
        if not calling:
            raise ValueError("calling party (columns 24-27) is blank")
    else:
        (flag, month, day, hour, minute, length, calling, attendant, tta, unanswered, digits,
         completion, forward_flag, called, transfer_flag, third, account, system_id, meter) = _checked(record, line, options)  # fmt: skip
        date_field = record[1:6]
    try:
        year = infer_year(month, day, hour, minute, 0, local_now)
        started, note = clock.to_utc(year, month, day, hour, minute)
    except ValueError as error:
        raise ValueError(f"date {date_field!r} (columns 2-6): {error}") from None

    extra: dict[str, Any] = {"long_call_flag": flag.strip() or None, "year_inferred": year}
    if _is_trunk(calling):
        direction, trunk = "inbound", calling
        extension = third or called or None
    elif _is_trunk(called):
        direction, trunk, extension = "outbound", called, calling
    else:
        direction, trunk, extension = "internal", None, calling
    if direction == "outbound":
        # Outgoing: timed from seizure; without answer supervision the answer is an assumption.
        disposition = "answered"
        answered: int | None = started
        ring: int | None = None
        duration = length
        extra["answer_supervised"] = completion in "Aa"
    else:
        if unanswered:
            disposition = "no_answer"
        elif completion == "B":
            disposition = "busy"
        elif completion == "E":
            disposition = "failed"
        else:
            disposition = "answered"
        if disposition == "answered":
            ring = tta  # blank on internal and some incoming records: unknown, not zero
            answered = started + (ring or 0)
            duration = length
        else:
            # The duration of an unanswered record is how long it rang.
            answered, duration, ring = None, 0, length
    # Talk time runs from the answer (the sources do not say whether an incoming duration
    # includes the time to answer; we read it as talk time, see docs/parsers/mitel.md).
    ended = answered + duration if answered is not None else started + (ring or 0)
    if note:
        extra["dst"] = note
    if attendant == "*":
        extra["attendant"] = True
    if completion.strip():
        extra["completion_status"] = completion
    if forward_flag:
        extra["speed_forward_flag"] = forward_flag
    if transfer_flag:
        extra["transfer_flag"] = transfer_flag
    if third:
        extra["third_party"] = third
    if system_id:
        extra["system_id"] = system_id
    if meter:
        extra["meter_pulses"] = meter
    record_id = keys.key(line)
    return (
        record_id,
        record_id,
        started,
        answered,
        ended,
        ring,
        duration,
        direction,
        disposition,
        calling,
        digits or (called if direction == "internal" else None) or None,
        extension,
        trunk,
        account or None,
        line,
        extra,
    )


# --- MiVoice Office 250 / Mitel 5000 / Inter-Tel Axxess SMDR report -----------------------------
# The sources give the field order and widths loosely (no column table), so a record is read by
# its fields, anchored on START (HH:MM) and ELAPSED: TYP EXT# TRUNK [DIGITS] START ELAPSED
# [COST] [ACCOUNT][*]. DIGITS may be blank or hold spaces ("Ring..."), hence the lazy group.
_OFFICE250 = re.compile(
    r"(?P<typ>\S+) +(?P<ext>\S+) +(?P<trunk>\S+) +(?:(?P<digits>\S.*?) +)?"
    r"(?P<start>\d\d:\d\d) +(?P<elapsed>S= *\d+|\d+:\d\d(?::\d\d)?)"
    r"(?: +(?P<cost>\$[\d.$]*))?(?: +(?P<account>\d{0,16}\*?))? *"
)
_OFFICE250_INBOUND = frozenset({"IN", "DID"})
_OFFICE250_OUTBOUND = frozenset({"000", "LOC", "TLC", "TLD", "O/I", "OP", "INT", "DSA", "CNF"})
_OFFICE250_TYPES = _OFFICE250_INBOUND | _OFFICE250_OUTBOUND | {"NET"}
_UNANSWERED = "*****"


def _office250_rows(data: bytes, ctx: ParseContext) -> Iterator[LegRow | Rejected]:
    clock = LocalClock(ctx.timezone)
    local_now = clock.local_now(ctx.now)
    keys = OccurrenceCounter()
    for number, line in lines(data):
        try:
            yield _office250_row(line, clock, local_now, keys)
        except ValueError as error:
            yield Rejected(FORMAT, keys.key(line), str(error), line, number, ctx.file_name)


def _office250_elapsed(field: str) -> int:
    """ELAPSED as seconds: `HH:MM:SS`, `S=nnnnnn` or (past 999999 s) `HH:MM`."""
    if field.startswith("S="):
        return int(field[2:])
    parts = [int(part) for part in field.split(":")]
    if any(part > 59 for part in parts[1:]):
        raise ValueError(f"elapsed time {field!r} has minutes or seconds over 59")
    if len(parts) == 2:
        return parts[0] * 3600 + parts[1] * 60
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def _office250_row(
    line: str, clock: LocalClock, local_now: datetime, keys: OccurrenceCounter
) -> LegRow:
    text = line.strip()
    if text.startswith("TYP") and "EXT#" in text:
        raise ValueError("report header line (TYP EXT# TRUNK ...), not a call record")
    match = _OFFICE250.fullmatch(text)
    if match is None:
        raise ValueError(
            "not a MiVoice Office 250 SMDR record: expected TYP EXT# TRUNK [DIALED DIGITS] "
            "START (HH:MM) ELAPSED (HH:MM:SS or S=seconds) [COST] [ACCOUNT CODE]"
        )
    typ, ext, trunk = match["typ"].upper(), match["ext"], match["trunk"]
    if typ not in _OFFICE250_TYPES:
        raise ValueError(f"call type (TYP) {match['typ']!r} is not a known code")
    start = match["start"]
    hour, minute = int(start[:2]), int(start[3:])
    if hour > 23 or minute > 59:
        raise ValueError(f"start time {start!r} is not a 24-hour HH:MM")
    length = _office250_elapsed(match["elapsed"].replace(" ", ""))
    day = infer_date(hour, minute, local_now)
    started, note = clock.to_utc(day.year, day.month, day.day, hour, minute)

    digits_field = (match["digits"] or "").strip()
    extra: dict[str, Any] = {"call_type": typ, "date_inferred": day.isoformat()}
    digits: str | None = digits_field or None
    if digits_field.endswith(">"):  # more than 28 digits: only the first 28 are kept
        digits = digits_field[:-1] or None
        extra["digits_truncated"] = True
    if digits_field.startswith("Ring"):  # a ring-in diagnostic record, not a number
        digits = None
        extra["ring_diagnostic"] = True
    if digits_field:
        extra["dialed_digits"] = digits_field
    account_field = match["account"] or ""
    if account_field.endswith("*"):  # the far end hung up first
        extra["trunk_disconnect"] = True
    account = account_field.rstrip("*") or None
    if match["cost"]:
        extra["cost"] = match["cost"]  # kept as printed: over $99.99 it has no decimal point
    if note:
        extra["dst"] = note

    unanswered = ext == _UNANSWERED
    extension = None if unanswered else ext
    if typ in _OFFICE250_INBOUND:
        direction = "inbound"
        # DID trunks report the DID/DNIS number, other incoming trunks the caller id.
        calling, called = (None, digits) if typ == "DID" else (digits, extension)
    elif typ == "NET":
        direction, calling, called = "internal", extension, digits
    else:
        direction, calling, called = "outbound", extension, digits
    if unanswered:
        # The elapsed time of an unanswered ring-in is how long it rang.
        disposition, answered, ring, duration = "no_answer", None, length, 0
        ended = started + length
    else:
        # No time-to-answer field: the answer is taken at the start, the elapsed time as talk.
        disposition, answered, ring, duration = "answered", started, None, length
        ended = started + length
    record_id = keys.key(line)
    return (
        record_id,
        record_id,
        started,
        answered,
        ended,
        ring,
        duration,
        direction,
        disposition,
        calling,
        called,
        extension,
        trunk,
        account,
        line,
        extra,
    )
