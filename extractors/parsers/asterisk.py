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

import polars as pl

from callmeter.legs import CallLeg, OccurrenceCounter, Rejected

from . import ParseContext
from ._bulk import (
    ascii_text,
    csv_columns,
    csv_field_count,
    csv_fits,
    csv_split,
    digits,
    finish,
    json_bool,
    json_object,
    json_safe,
    json_string,
    local_stamp,
    no_fast_rows,
    normalised,
    present,
    run_slow,
    utc_offsets,
    whole_input,
)
from ._bulk import direction_by_length as direction_by_length_expr
from ._localtime import (
    LegRow,
    LocalClock,
    direction_by_length,
    items_from_rows,
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
# The columns the mapping reads (the bulk path reads only these).
_USED = frozenset(
    ("accountcode", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata")
    + ("start", "answer", "end", "billsec", "disposition", "uniqueid", "linkedid", "sequence")
)
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
    """The bulk path: the legs and rejects of `parse` as Arrow tables, vectorised.

    Plain one-line rows are split by polars' CSV reader and mapped by expressions; the rest
    (rejects, multi-line or odd quoting, non-ASCII values the mapping reads, DST transition
    hours) go through the row parser, so `parse` and `parse_table` give the same records.

    Raises:
        ValueError: the options are invalid (before any row is read).
    """
    options = _Options(ctx.options, ctx.trunk_devices)
    clock = LocalClock(ctx.timezone)
    columns, first = options.columns, 0
    guess = len(columns) if columns else _first_count(data)
    plain, others = csv_split(data, guess)
    if columns is None:  # the first readable row with a known field count decides
        counts = iter(zip(plain["_order"], plain["line"], strict=True))
        known = next(
            (
                (order, count)
                for order, line in counts
                if (count := csv_field_count(line)) in _BY_COUNT
            ),
            None,
        )
        candidates = [known] if known else []
        candidates += [
            (number, len(fields))
            for number, _, fields in others
            if len(fields) in _BY_COUNT and not fields[0].startswith("\x00csv error")
        ][:1]
        if candidates:
            first, count = min(candidates)
            columns = _BY_COUNT[count]
    values = None
    if columns is not None:
        if len(columns) != guess:
            plain = plain.with_columns(_fits=csv_fits(pl.col("line"), len(columns)))
        fits = plain.filter(pl.col("_fits"))
        values = csv_columns(fits["line"], columns, _USED, whole_input(data, fits.height))
    fast: pl.DataFrame | None = None
    if values is None or columns is None:
        slow_plain = plain.select("_order", "line")
    else:
        fast = pl.concat([fits, values], how="horizontal")
        fast = _fast_columns(fast.lazy(), options, clock).collect()
        slow_plain = pl.concat(
            [
                plain.filter(~pl.col("_fits")).select("_order", "line"),
                fast.filter(~pl.col("_ok")).select("_order", "line"),
            ]
        )
        fast = fast.filter(pl.col("_ok"))
    records = others + [
        (order, line, next(csv.reader([line + "\n"], strict=False)))
        for order, line in zip(slow_plain["_order"], slow_plain["line"], strict=True)
    ]
    fields_of = {number: fields for number, _, fields in records}

    def row(number: int, raw: str, keys: Any) -> LegRow:
        fields = fields_of[number]
        layout = _layout(fields, columns if number >= first else options.columns)
        return _row(dict(zip(layout, fields, strict=True)), raw, options, clock, keys)

    slow = run_slow(
        FORMAT,
        sorted((number, raw) for number, raw, _ in records),
        row,
        ctx.file_name,
        numbered=True,
    )
    legs = no_fast_rows() if fast is None else _fast_legs(fast.lazy(), options).collect()
    return finish(FORMAT, legs, slow, ctx.file_name)


def _first_count(data: bytes) -> int | None:
    """The field count of the first non-blank line (the likely layout), if it reads as CSV."""
    for line in data[:65536].decode("utf-8", errors="replace").split("\n")[:-1] or [""]:
        if line.strip():
            try:
                return len(next(csv.reader([line + "\n"], strict=False)))
            except csv.Error:
                return None
    return None


def _fast_columns(frame: pl.LazyFrame, options: _Options, clock: LocalClock) -> pl.LazyFrame:
    """Times, disposition and billsec of the plain rows, `_ok` where no row parser is needed."""
    col = pl.col
    names = frame.collect_schema().names()
    disposition = (
        col("f:disposition")
        .str.strip_chars(" ")
        .replace_strict(_DISPOSITIONS, default=None, return_dtype=pl.String)
    )
    answer = col("f:answer") if "f:answer" in names else pl.lit("")
    frame = frame.with_columns(
        _start=local_stamp(col("f:start")),
        _end=local_stamp(col("f:end")),
        _answer=local_stamp(answer),
        _disposition=disposition,
        _billsec=digits(col("f:billsec").str.strip_chars(" ")),
    )
    if not options.utc:  # the offsets need the times' values: compute them once here
        frame = frame.collect().lazy()
    answered = col("_disposition") == "answered"
    if options.utc:
        starts, ends, answers = col("_start"), col("_end"), col("_answer")
    else:
        times = frame.select("_start", "_end", "_answer").collect()
        offsets = {name: utc_offsets(times[name], clock) for name in times.columns}
        frame = frame.with_columns(
            _start_offset=offsets["_start"],
            _end_offset=offsets["_end"],
            _answer_offset=offsets["_answer"],
        )
        starts = col("_start") - col("_start_offset")
        ends = col("_end") - col("_end_offset")
        answers = col("_answer") - col("_answer_offset")
    frame = frame.with_columns(started=starts, ended=ends, answered=pl.when(answered).then(answers))
    ok = (
        col("_disposition").is_not_null()
        & col("started").is_not_null()
        & col("ended").is_not_null()
        & (col("ended") >= col("started"))
        & col("_billsec").is_not_null()
        & (
            ~answered
            | (
                col("answered").is_not_null()
                & col("answered").is_between(col("started"), col("ended"))
            )
        )
    )
    if "f:dcontext" in names:
        ok = ok & json_safe(col("f:dcontext"))
    ok = ok & ascii_text([col(name) for name in names if name.startswith("f:")])
    return frame.with_columns(_ok=ok.fill_null(False))


def _first(text: pl.Expr, separator: str) -> tuple[pl.Expr, pl.Expr]:
    """`text.partition(separator)` as (head, tail), the tail null when there is no separator."""
    parts = text.str.splitn(separator, 2)
    return parts.struct.field("field_0"), parts.struct.field("field_1")


def _peer(channel: pl.Expr) -> pl.Expr:
    """`peer()` as an expression: after the first '/', before the first ';', without a '-hex'
    tail; for Local/ channels also before the first '@'."""
    name = pl.coalesce(_first(channel, "/")[1], channel)
    name = _first(name, ";")[0].str.replace(r"-[0-9a-fA-F]+$", "")
    return pl.when(channel.str.starts_with("Local/")).then(_first(name, "@")[0]).otherwise(name)


def _fast_legs(frame: pl.LazyFrame, options: _Options) -> pl.LazyFrame:
    """The LegRow columns of the fast rows (the mapping of `_row`, as expressions)."""
    col = pl.col
    names = frame.collect_schema().names()

    def get(name: str) -> pl.Expr:  # r.get(name, "")
        return col(f"f:{name}") if f"f:{name}" in names else pl.lit("", dtype=pl.String)

    channel, dstchannel = get("channel"), get("dstchannel")
    trunks = sorted(options.trunks)
    # dialled_via_trunk: the first Dial target TECH/rest, rest being num@trunk or trunk/num.
    target = get("lastdata").str.replace("[,&].*$", "")
    tech, rest = _first(target, "/")
    frame = frame.with_columns(
        _caller_peer=_peer(channel), _callee_peer=_peer(dstchannel), tech=tech, rest=rest
    )
    tech, rest = col("tech"), col("rest")
    at_head, at_tail = _first(rest, "@")
    slash_head, slash_tail = _first(rest, "/")
    frame = frame.with_columns(
        _usable=(rest != "") & (tech != "Local"),
        at_number=pl.when(at_tail.is_not_null()).then(at_head),
        at_trunk=at_tail,
        slash_trunk=pl.when(slash_tail.is_not_null()).then(slash_head),
        slash_number=slash_tail,
    )
    usable, at_number = col("_usable"), col("at_number")
    via_at = usable & at_number.is_not_null() & (at_number != "")
    via_slash = (
        usable
        & at_number.is_null()
        & col("slash_trunk").is_not_null()
        & (col("slash_trunk").is_in(trunks) | col("slash_number").str.contains("^[0-9]+$"))
    )
    frame = frame.with_columns(
        _via=(via_at | via_slash).fill_null(False),
        _via_number=pl.when(via_at).then(at_number).when(via_slash).then(col("slash_number")),
        _via_trunk=pl.when(via_at).then(col("at_trunk")).when(via_slash).then(col("slash_trunk")),
    )
    caller_peer, callee_peer = col("_caller_peer"), col("_callee_peer")
    src, dst = present(get("src")), present(get("dst"))
    frame = frame.with_columns(
        _inbound=caller_peer.is_in(trunks)
        | get("dcontext").is_in(sorted(options.inbound_contexts)),
        _callee_trunk=callee_peer.is_in(trunks),
    )
    frame = frame.with_columns(_outbound=~col("_inbound") & (col("_callee_trunk") | col("_via")))
    inbound, outbound = col("_inbound"), col("_outbound")
    internal = ~inbound & ~outbound & (channel != "") & (dstchannel != "")
    direction = (
        pl.when(inbound)
        .then(pl.lit("inbound"))
        .when(outbound)
        .then(pl.lit("outbound"))
        .when(internal)
        .then(pl.lit("internal"))
        .otherwise(direction_by_length_expr(src, dst, options.extension_digits))
    )
    frame = frame.with_columns(direction=direction, _src=src, _dst=dst)
    direction, src, dst = col("direction"), col("_src"), col("_dst")
    called = (
        pl.when(direction == "outbound").then(pl.coalesce(col("_via_number"), dst)).otherwise(dst)
    )
    extension = (
        pl.when(direction == "outbound")
        .then(pl.coalesce(present(caller_peer), src))
        .when(direction == "inbound")
        .then(present(callee_peer))
        .otherwise(pl.coalesce(present(caller_peer), src))
    )
    trunk = (
        pl.when(inbound)
        .then(present(caller_peer))
        .when(outbound)
        .then(pl.when(col("_callee_trunk")).then(callee_peer).otherwise(col("_via_trunk")))
    )
    role = (
        pl.when(channel.str.starts_with("Local/") | dstchannel.str.starts_with("Local/"))
        .then(pl.lit("local_channel"))
        .when(
            (dst == "h").fill_null(False)
            | ((dstchannel == "") & get("lastapp").is_in(["Hangup", ""]))
        )
        .then(pl.lit("post_dial"))
        .otherwise(pl.lit("call"))
    )
    uniqueid, sequence = get("uniqueid"), get("sequence")
    natural = (uniqueid != "") & (sequence != "")
    record_id = pl.when(natural).then(pl.format("{}:{}", uniqueid, sequence))
    answered = col("answered")
    frame = frame.with_columns(_role=role)
    extra = json_object(
        {
            "leg_role": json_string(col("_role")),
            "billable": json_bool(col("_role") == "call"),
            "dcontext": pl.when(get("dcontext") != "").then(json_string(get("dcontext"))),
        }
    )
    return frame.select(
        "_order",
        (~natural).alias("_key_due"),
        pl.when(~natural).then(normalised(col("line"))).alias("_norm"),
        record_id.alias("source_record_id"),
        pl.coalesce(present(get("linkedid")), present(uniqueid), record_id).alias("call_id"),
        "started",
        "answered",
        "ended",
        (pl.coalesce(answered, col("ended")) - col("started")).alias("ring_seconds"),
        pl.when(answered.is_not_null())
        .then(col("_billsec"))
        .otherwise(0)
        .alias("duration_seconds"),
        "direction",
        col("_disposition").alias("disposition"),
        src.alias("calling_number"),
        present(called).alias("called_number"),
        present(extension).alias("extension"),
        trunk.alias("trunk"),
        present(get("accountcode")).alias("account_code"),
        col("line").alias("raw"),
        extra.alias("extra"),
    )


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
            columns = _layout(fields, columns)
            yield _row(dict(zip(columns, fields, strict=True)), raw, options, clock, keys)
        except ValueError as error:
            yield Rejected(FORMAT, keys.key(raw), str(error), raw, number, ctx.file_name)


def _layout(fields: list[str], columns: list[str] | None) -> list[str]:
    """The columns of a record: the layout so far, else the one its field count implies."""
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
        raise ValueError(f"row has {len(fields)} fields, the configured layout has {len(columns)}")
    return columns


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
