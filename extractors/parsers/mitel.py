"""Mitel MiVoice Business (3300 ICP / MCD / SX-2000) external SMDR, standard layout.

One fixed-width line per record (docs/pbx-formats/mitel.md): 88 characters plus CR LF, or 87
when the collector trimmed the long-call flag in column 1 (detected per line from where the
date's `/` sits). Times are switch-local without a year: the year is the latest one that does
not put the record in the future (relative to `ctx.now`). Mapping decisions: docs/parsers/mitel.md.

Options (`formats: {mitel: {...}}` in callmeter.yaml):
    clock: "auto" (default), "12" or "24". With a blank am/pm suffix, "auto" and "24" read the
        hour as 24-hour; "12" reads it as a 12-hour AM time (12:xx is then just after midnight).
    meter_pulses: true when "Report Meter Pulses" is on (columns 55-59 hold pulses, not digits).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final

from callmeter.legs import CallLeg, OccurrenceCounter, Rejected

from . import ParseContext
from ._localtime import (
    LegRow,
    LocalClock,
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
_FAST = re.compile(
    r"([ \-%+])(\d\d)/(\d\d) (\d\d):(\d\d)([ aApP]) (\d\d):([0-5]\d):([0-5]\d) "
    r"(.{4}) ([ *\-])(\d\d\d|\*\*\*|   ) (.{26})([ AaTBEIODSU])(.)(.{4})(.) (.{4}) (.{12}).(.{3})"
)


class _Options:
    __slots__ = ("clock", "meter_pulses")

    def __init__(self, options: dict[str, Any]) -> None:
        unknown = set(options) - {"clock", "meter_pulses"}
        if unknown:
            raise ValueError(
                f"formats.mitel: unknown option(s) {sorted(unknown)} (known: clock, meter_pulses)"
            )
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
    """The bulk path: the same rows as `parse`, collected straight into Arrow tables."""
    return tables_from_rows(FORMAT, _rows(data, ctx), ctx.file_name)


def _rows(data: bytes, ctx: ParseContext) -> Iterator[LegRow | Rejected]:
    options = _Options(dict(ctx.options))
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
