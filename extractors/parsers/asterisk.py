"""Asterisk `cdr_csv` Master.csv (and `cdr_custom` through a field list): one leg per row.

No header; strings quoted, integers bare, an unanswered `answer` empty. The column count depends
on `cdr.conf` (16 to 21), so it is configured or taken from the first row, then checked on every
row. Times are local unless `usegmtime`. Rows of one call share `linkedid`. Mapping decisions:
docs/parsers/asterisk.md.

Options (`formats: {asterisk: {...}}` in callmeter.yaml):
    loguniqueid, loguserfield, newcdrcolumns: the cdr.conf [csv] switches that add columns
        (any of them set fixes the column count; none set: taken from the first row).
    fields: an explicit column list instead (e.g. the cdr_custom mapping), names as in cdr_csv.
    usegmtime: true when cdr.conf writes UTC.
    trunks: peer names that are trunks (added to the site's trunk devices).
    inbound_contexts: dialplan contexts of calls from trunks
        (default from-trunk, from-pstn, from-did, from-external).
    extension_digits: numbers up to this many digits are extensions (default 5), the last
        resort for direction.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any, Final

from callmeter.legs import CallLeg, OccurrenceCounter, Rejected

from . import ParseContext
from ._localtime import (
    LegRow,
    LocalClock,
    direction_by_length,
    items_from_rows,
    tables_from_rows,
)
from .tables import ParsedTables

FORMAT: Final = "asterisk"
BASE = [
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
]
NEW_COLUMNS = ["peeraccount", "linkedid", "sequence"]
CUSTOM = [
    "clid",
    "src",
    "dst",
    "dcontext",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "accountcode",
    "uniqueid",
    "userfield",
    "sequence",
]
_REQUIRED = ("src", "dst", "channel", "start", "end", "billsec", "disposition")
_DISPOSITIONS = {
    "ANSWERED": "answered",
    "NO ANSWER": "no_answer",
    "BUSY": "busy",
    "FAILED": "failed",
    "CONGESTION": "failed",
}
_INBOUND_CONTEXTS = ("from-trunk", "from-pstn", "from-did", "from-external")
_OPTIONS = {
    "loguniqueid",
    "loguserfield",
    "newcdrcolumns",
    "fields",
    "usegmtime",
    "trunks",
    "inbound_contexts",
    "extension_digits",
}


def columns_for(uniqueid: bool, userfield: bool, newcolumns: bool) -> list[str]:
    """The cdr_csv column order for the cdr.conf [csv] switches (cdr_csv.c)."""
    return [
        *BASE,
        *(["uniqueid"] if uniqueid else []),
        *(["userfield"] if userfield else []),
        *(NEW_COLUMNS if newcolumns else []),
    ]


# First-row column count -> layout, when nothing is configured. 17 is read as +uniqueid.
_BY_COUNT = {
    16: columns_for(False, False, False),
    17: columns_for(True, False, False),
    18: columns_for(True, True, False),
    19: columns_for(False, False, True),
    20: columns_for(True, False, True),
    21: columns_for(True, True, True),
}


class _Options:
    def __init__(self, options: Mapping[str, Any], trunk_devices: frozenset[str]) -> None:
        unknown = set(options) - _OPTIONS
        if unknown:
            raise ValueError(
                f"formats.asterisk: unknown option(s) {sorted(unknown)} (known: {sorted(_OPTIONS)})"
            )
        self.columns: list[str] | None = None
        if "fields" in options:
            fields = options["fields"]
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                raise ValueError("formats.asterisk.fields must be a list of column names")
            missing = [name for name in _REQUIRED if name not in fields]
            if missing:
                raise ValueError(f"formats.asterisk.fields lacks the column(s) {missing}")
            self.columns = list(fields)
        elif any(k in options for k in ("loguniqueid", "loguserfield", "newcdrcolumns")):
            self.columns = columns_for(
                bool(options.get("loguniqueid")),
                bool(options.get("loguserfield")),
                bool(options.get("newcdrcolumns")),
            )
        self.utc = bool(options.get("usegmtime", False))
        self.trunks = trunk_devices | frozenset(options.get("trunks", ()))
        self.inbound_contexts = frozenset(options.get("inbound_contexts", _INBOUND_CONTEXTS))
        self.extension_digits = int(options.get("extension_digits", 5))


def parse(data: bytes, ctx: ParseContext) -> Iterator[CallLeg | Rejected]:
    """Parse a cdr_csv Master.csv into legs and rejects, one per row.

    Args:
        data: the CSV bytes (no header).
        ctx: site timezone, trunk devices and `options`.

    Yields:
        One CallLeg or one Rejected per non-blank row.

    Raises:
        ValueError: the options are invalid (before any row is read).
    """
    options = _Options(ctx.options, ctx.trunk_devices)
    return items_from_rows(FORMAT, _rows(data, ctx, options))


def parse_table(data: bytes, ctx: ParseContext) -> ParsedTables:
    """The bulk path: the same rows as `parse`, collected straight into Arrow tables."""
    options = _Options(ctx.options, ctx.trunk_devices)
    return tables_from_rows(FORMAT, _rows(data, ctx, options), ctx.file_name)


def csv_records(data: bytes) -> Iterator[tuple[int, str, list[str]]]:
    """(first line number, raw text, fields) of every non-blank CSV record, quote-aware."""
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    # Physical lines end at LF only (a stray CR or form feed must not shift line numbers).
    physical = [line + "\n" for line in text.split("\n")]
    if physical[-1] == "\n":
        physical.pop()
    reader = csv.reader(physical, strict=False)
    previous = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. a NUL byte: the reader cannot go on past it
            raw = "".join(physical[previous : reader.line_num]).rstrip("\r\n")
            yield previous + 1, raw, [f"\x00csv error: {error}"]
            previous = reader.line_num
            continue
        raw = "".join(physical[previous : reader.line_num]).rstrip("\r\n")
        number = previous + 1
        previous = reader.line_num
        if fields and any(f.strip() for f in fields):
            yield number, raw, fields


def _stamp(value: str, name: str) -> tuple[int, int, int, int, int, int]:
    """'YYYY-MM-DD HH:MM:SS' -> its integer parts."""
    if (
        len(value) != 19
        or value[4] != "-"
        or value[7] != "-"
        or value[10] != " "
        or value[13] != ":"
        or value[16] != ":"
    ):
        raise ValueError(
            f"{name} {value!r} is not YYYY-MM-DD HH:MM:SS (was the file re-saved by a spreadsheet?)"
        )
    try:
        return (
            int(value[:4]),
            int(value[5:7]),
            int(value[8:10]),
            int(value[11:13]),
            int(value[14:16]),
            int(value[17:19]),
        )
    except ValueError:
        raise ValueError(f"{name} {value!r} is not YYYY-MM-DD HH:MM:SS") from None


def peer(channel: str) -> str:
    """'PJSIP/205-00000013' -> '205'; 'SIP/carrier-0000abcd' -> 'carrier'; '' -> ''."""
    name = channel.split("/", 1)[1] if "/" in channel else channel
    name = name.split(";", 1)[0]
    head, sep, tail = name.rpartition("-")
    if sep and tail and all(c in "0123456789abcdefABCDEF" for c in tail):
        name = head
    return name.split("@", 1)[0] if channel.startswith("Local/") else name


def dialled_via_trunk(lastdata: str, trunks: frozenset[str]) -> tuple[str, str] | None:
    """(number, trunk) from the first Dial target that names a trunk: PJSIP/<num>@<trunk>,
    SIP/<trunk>/<num>, or TECH/<num>@<peer> with any peer (a number sent to an endpoint)."""
    target = lastdata.split(",", 1)[0].split("&", 1)[0]
    tech, _, rest = target.partition("/")
    if not rest or tech == "Local":
        return None
    if "@" in rest:
        number, _, trunk = rest.partition("@")
        return (number, trunk) if number else None
    if "/" in rest:
        trunk, _, number = rest.partition("/")
        return (number, trunk) if trunk in trunks or number.isdigit() else None
    return None


def _epoch(
    parts: tuple[int, int, int, int, int, int], clock: LocalClock, utc: bool
) -> tuple[int, str | None]:
    if utc:
        return clock_utc(parts), None
    return clock.to_utc(*parts)


def clock_utc(parts: tuple[int, int, int, int, int, int]) -> int:
    """UTC wall-clock fields -> epoch seconds (validated)."""
    year, month, day, hour, minute, second = parts
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        raise ValueError(f"time {hour:02d}:{minute:02d}:{second:02d} is out of range")
    days = date(year, month, day).toordinal() - 719163
    return days * 86400 + hour * 3600 + minute * 60 + second


def _rows(data: bytes, ctx: ParseContext, options: _Options) -> Iterator[LegRow | Rejected]:
    clock = LocalClock(ctx.timezone)
    keys = OccurrenceCounter()
    columns = options.columns
    for number, raw, fields in csv_records(data):
        try:
            if fields[0].startswith("\x00csv error"):
                raise ValueError(fields[0][1:])
            if columns is None:
                if len(fields) not in _BY_COUNT:
                    raise ValueError(
                        f"row has {len(fields)} fields; cdr_csv writes 16 to 21 (set the "
                        "loguniqueid/loguserfield/newcdrcolumns options or `fields`)"
                    )
                columns = _BY_COUNT[len(fields)]
            if len(fields) != len(columns):
                raise ValueError(
                    f"row has {len(fields)} fields, the configured layout has {len(columns)}"
                )
            yield _row(dict(zip(columns, fields, strict=True)), raw, options, clock, keys)
        except ValueError as error:
            yield Rejected(FORMAT, keys.key(raw), str(error), raw, number, ctx.file_name)


def _row(
    r: dict[str, str], raw: str, options: _Options, clock: LocalClock, keys: OccurrenceCounter
) -> LegRow:
    disposition = _DISPOSITIONS.get(r["disposition"].strip())
    if disposition is None:
        raise ValueError(
            f"disposition {r['disposition']!r} is not one of {', '.join(_DISPOSITIONS)}"
        )
    notes = {}
    started, note = _epoch(_stamp(r["start"], "start"), clock, options.utc)
    if note:
        notes["start"] = note
    ended, note = _epoch(_stamp(r["end"], "end"), clock, options.utc)
    if note:
        notes["end"] = note
    if ended < started:
        raise ValueError(f"end {r['end']!r} is before start {r['start']!r}")
    billsec_text = r["billsec"].strip()
    if not billsec_text.isdigit():
        raise ValueError(f"billsec {r['billsec']!r} is not a whole number of seconds")
    billsec = int(billsec_text)
    answered: int | None = None
    duration = 0
    if disposition == "answered":
        # Only an ANSWERED row's answer/billsec describe this pairing (NO ANSWER rows can carry
        # party A's answer): asterisk-freeswitch.md, "two more traps".
        answer = r.get("answer", "")
        if not answer:
            raise ValueError("disposition ANSWERED but the answer time is empty")
        answered, note = _epoch(_stamp(answer, "answer"), clock, options.utc)
        if note:
            notes["answer"] = note
        if not started <= answered <= ended:
            raise ValueError(f"answer {answer!r} is outside start..end")
        duration = billsec
    ring = (answered if answered is not None else ended) - started

    channel, dstchannel = r.get("channel", ""), r.get("dstchannel", "")
    caller_peer, callee_peer = peer(channel), peer(dstchannel)
    via = dialled_via_trunk(r.get("lastdata", ""), options.trunks)
    src, dst = r["src"] or None, r["dst"] or None
    if caller_peer in options.trunks or r.get("dcontext", "") in options.inbound_contexts:
        direction, trunk = "inbound", caller_peer or None
    elif callee_peer in options.trunks or via is not None:
        direction = "outbound"
        trunk = callee_peer if callee_peer in options.trunks else via[1] if via else None
    elif channel and dstchannel:
        direction, trunk = "internal", None
    else:
        direction, trunk = direction_by_length(src, dst, options.extension_digits), None
    if direction == "outbound":
        called = via[0] if via else dst
        extension = caller_peer or src
    elif direction == "inbound":
        called, extension = dst, callee_peer or None
    else:
        called, extension = dst, caller_peer or src

    if channel.startswith("Local/") or dstchannel.startswith("Local/"):
        role = "local_channel"
    elif dst == "h" or (not dstchannel and r.get("lastapp", "") in ("Hangup", "")):
        role = "post_dial"
    else:
        role = "call"
    uniqueid = r.get("uniqueid", "")
    sequence = r.get("sequence", "")
    record_id = f"{uniqueid}:{sequence}" if uniqueid and sequence else keys.key(raw)
    extra: dict[str, Any] = {"leg_role": role, "billable": role == "call"}
    if notes:
        extra["dst"] = notes
    if r.get("dcontext"):
        extra["dcontext"] = r["dcontext"]
    return (
        record_id,
        r.get("linkedid") or uniqueid or record_id,
        started,
        answered,
        ended,
        ring,
        duration,
        direction,
        disposition,
        src,
        called or None,
        extension or None,
        trunk,
        r.get("accountcode") or None,
        raw,
        extra,
    )
