"""FreeSWITCH `mod_cdr_csv` Master.csv: one row per leg, columns set by a template.

The default is the vanilla `example` template (15 fields); the module's built-in fallback
(`default`, 13 fields) and any template declared in config are supported: a template is its
`${variable}` list, so the parser maps columns by variable name and checks the count on every
row. Stamps are local time; `*_epoch` / `*_uepoch` variables are UTC. Mapping decisions:
docs/parsers/freeswitch.md.

Options (`formats: {freeswitch: {...}}` in callmeter.yaml):
    template: `example` (default), `default`, or the template text itself as written in
        cdr_csv.conf.xml, e.g. '"${caller_id_number}","${uuid}",...'.
    fields: the variable names in column order (instead of `template`).
    inbound_contexts / internal_contexts: dialplan contexts that decide direction.
    extension_digits: numbers up to this many digits are extensions (default 5), the last
        resort for direction.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

import polars as pl

from callmeter.legs import CallLeg, OccurrenceCounter, Rejected

from . import ParseContext
from ._bulk import (
    ascii_text,
    csv_columns,
    csv_split,
    digits,
    finish,
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
from ._localtime import LegRow, LocalClock, direction_by_length, items_from_rows
from .asterisk import csv_records
from .tables import ParsedTables

FORMAT: Final = "freeswitch"
EXAMPLE = [
    "caller_id_name",
    "caller_id_number",
    "destination_number",
    "context",
    "start_stamp",
    "answer_stamp",
    "end_stamp",
    "duration",
    "billsec",
    "hangup_cause",
    "uuid",
    "bleg_uuid",
    "accountcode",
    "read_codec",
    "write_codec",
]
TEMPLATES = {"example": EXAMPLE, "default": EXAMPLE[:13]}
# The variables the mapping reads (the bulk path reads only these).
_USED = frozenset(
    ("billsec", "hangup_cause", "context", "bleg_uuid", "caller_id_number", "uuid", "call_uuid")
    + ("destination_number", "sip_gateway_name", "accountcode")
    + tuple(
        f"{stem}_{kind}"
        for stem in ("start", "answer", "end")
        for kind in ("epoch", "uepoch", "stamp")
    )
)
_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_NO_ANSWER = frozenset(("NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL", "NORMAL_CLEARING"))
_OPTIONS = {"template", "fields", "inbound_contexts", "internal_contexts", "extension_digits"}


class _Options:
    def __init__(self, options: Mapping[str, Any]) -> None:
        unknown = set(options) - _OPTIONS
        if unknown:
            raise ValueError(
                f"formats.freeswitch: unknown option(s) {sorted(unknown)} (known: {sorted(_OPTIONS)})"
            )
        if "fields" in options:
            fields = options["fields"]
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                raise ValueError("formats.freeswitch.fields must be a list of variable names")
            self.columns = list(fields)
        else:
            template = str(options.get("template", "example"))
            if template in TEMPLATES:
                self.columns = TEMPLATES[template]
            else:
                self.columns = _VARIABLE.findall(template)
                if not self.columns:
                    raise ValueError(
                        f"formats.freeswitch.template {template!r} is neither a known template "
                        f"({', '.join(TEMPLATES)}) nor a template text with ${{variables}}"
                    )
        names = set(self.columns)
        if not names & {"start_stamp", "start_epoch", "start_uepoch"}:
            raise ValueError("formats.freeswitch: the template needs start_stamp or start_epoch")
        if not names & {"end_stamp", "end_epoch", "end_uepoch"}:
            raise ValueError("formats.freeswitch: the template needs end_stamp or end_epoch")
        if not names & {"answer_stamp", "answer_epoch", "answer_uepoch", "billsec"}:
            raise ValueError(
                "formats.freeswitch: the template needs answer_stamp, answer_epoch or billsec"
            )
        self.inbound_contexts = frozenset(options.get("inbound_contexts", ()))
        self.internal_contexts = frozenset(options.get("internal_contexts", ()))
        self.extension_digits = int(options.get("extension_digits", 5))


def parse(data: bytes, ctx: ParseContext) -> Iterator[CallLeg | Rejected]:
    """Parse a mod_cdr_csv file into legs and rejects, one per row.

    Args:
        data: the CSV bytes (no header).
        ctx: site timezone, trunk devices and `options`.

    Yields:
        One CallLeg or one Rejected per non-blank row.

    Raises:
        ValueError: the options are invalid (before any row is read).
    """
    return items_from_rows(FORMAT, _rows(data, ctx, _Options(ctx.options)))


def parse_table(data: bytes, ctx: ParseContext) -> ParsedTables:
    """The bulk path: the legs and rejects of `parse` as Arrow tables, vectorised.

    Plain one-line rows are split by polars' CSV reader and mapped by expressions; the rest
    (rejects, multi-line or odd quoting, non-ASCII values the mapping reads, DST transition
    hours) go through the row parser, so `parse` and `parse_table` give the same records.

    Raises:
        ValueError: the options are invalid (before any row is read).
    """
    options = _Options(ctx.options)
    clock = LocalClock(ctx.timezone)
    columns = options.columns
    plain, others = csv_split(data, len(columns))
    fits = plain.filter(pl.col("_fits"))
    values = csv_columns(fits["line"], columns, _USED, whole_input(data, fits.height))
    fast: pl.DataFrame | None = None
    if values is None:
        slow_plain = plain.select("_order", "line")
    else:
        fast = pl.concat([fits, values], how="horizontal")
        fast = _fast_columns(fast.lazy(), clock)
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
    pairs: list[tuple[int, str, str]] = []  # (line, bleg_uuid, uuid) of the slow legs

    def row(number: int, raw: str, keys: Any) -> LegRow:
        r = _fields(fields_of[number], columns)
        leg = _row(r, raw, options, clock, keys)
        if r.get("bleg_uuid") and r.get("uuid"):
            pairs.append((number, r["bleg_uuid"], r["uuid"]))
        return leg

    slow = run_slow(
        FORMAT,
        sorted((number, raw) for number, raw, _ in records),
        row,
        ctx.file_name,
        numbered=True,
    )
    legs = no_fast_rows() if fast is None else _fast_legs(fast.lazy(), options).collect()
    b_to_a: pl.DataFrame | None = None
    if "call_uuid" not in columns:
        schema = {"_order": pl.Int64, "_from": pl.String, "_to": pl.String}
        frames = [pl.DataFrame(pairs, schema=schema, orient="row")]
        if fast is not None and "f:bleg_uuid" in fast.columns and "f:uuid" in fast.columns:
            both = fast.filter((pl.col("f:bleg_uuid") != "") & (pl.col("f:uuid") != ""))
            frames.append(both.select("_order", _from="f:bleg_uuid", _to="f:uuid"))
        b_to_a = (
            pl.concat(frames)
            .sort("_order")
            .unique("_from", keep="last", maintain_order=True)  # the last row wins
        )
    return finish(FORMAT, legs, slow, ctx.file_name, call_id_map=b_to_a)


def _time_expr(names: list[str], stem: str) -> tuple[pl.Expr, pl.Expr, bool]:
    """(seconds, bad, local) of one time of the template, as `_time` reads it: epoch seconds
    (UTC) or local epoch seconds of the stamp, null when empty/0; bad where `_time` raises."""
    for suffix, scale in (("_epoch", 1), ("_uepoch", 1_000_000)):
        if f"f:{stem}{suffix}" in names:
            text = pl.col(f"f:{stem}{suffix}").str.strip_chars(" ")
            number = digits(text)
            bad = (text != "") & (number.is_null() | (number // scale > _LAST_SECOND))
            seconds = number // scale
            return pl.when(seconds != 0).then(seconds), bad, False
    if f"f:{stem}_stamp" not in names:
        return pl.lit(None, dtype=pl.Int64), pl.lit(False), False
    text = pl.col(f"f:{stem}_stamp")
    local = local_stamp(text)
    return local, (text != "") & local.is_null(), True


_LAST_SECOND = 253402300799  # 9999-12-31 23:59:59 UTC


def _fast_columns(frame: pl.LazyFrame, clock: LocalClock) -> pl.DataFrame:
    """Times and billsec of the plain rows, `_ok` where no row parser is needed."""
    col = pl.col
    names = frame.collect_schema().names()
    parts = {stem: _time_expr(names, stem) for stem in ("start", "answer", "end")}
    times = frame.with_columns(
        *(seconds.alias(f"_{stem}") for stem, (seconds, _, _) in parts.items()),
        *(bad.alias(f"_{stem}_bad") for stem, (_, bad, _) in parts.items()),
    ).collect()
    for stem, (_, _, local) in parts.items():
        if local:  # local stamps: the row parser's own UTC offset rule, hour by hour
            offset = utc_offsets(times[f"_{stem}"], clock)
            times = times.with_columns(
                (col(f"_{stem}_bad") | (col(f"_{stem}").is_not_null() & offset.is_null())).alias(
                    f"_{stem}_bad"
                ),
                (col(f"_{stem}") - offset).alias(f"_{stem}"),
            )

    def get(name: str) -> pl.Expr:  # r.get(name, "")
        return col(f"f:{name}") if f"f:{name}" in names else pl.lit("", dtype=pl.String)

    billsec_text = get("billsec").str.strip_chars(" ")
    billsec = digits(billsec_text)
    started, ended = col("_start"), col("_end")
    answered = col("_answer")
    if "answer_stamp" not in columns_of(names):
        answered = pl.coalesce(
            answered, pl.when((billsec > 0).fill_null(False)).then(ended - billsec)
        )
    lazy = times.lazy().with_columns(
        started=started, ended=ended, answered=answered, _billsec=billsec,
        _billsec_text=billsec_text,
    )  # fmt: skip
    ok = (
        ~col("_start_bad")
        & ~col("_answer_bad")
        & ~col("_end_bad")
        & col("started").is_not_null()
        & col("ended").is_not_null()
        & (col("ended") >= col("started"))
        & ((col("_billsec_text") == "") | col("_billsec").is_not_null())
        & (col("answered").is_null() | col("answered").is_between(col("started"), col("ended")))
        & json_safe(get("hangup_cause").str.strip_chars(" "))
        & json_safe(get("context"))
        & json_safe(get("bleg_uuid"))
        & ascii_text([col(name) for name in names if name.startswith("f:")])
    )
    return lazy.with_columns(_ok=ok.fill_null(False)).collect()


def columns_of(names: list[str]) -> set[str]:
    """Template variable names from the fast frame's `f:` columns."""
    return {name[2:] for name in names if name.startswith("f:")}


def _fast_legs(frame: pl.LazyFrame, options: _Options) -> pl.LazyFrame:
    """The LegRow columns of the fast rows (the mapping of `_row`, as expressions)."""
    col = pl.col
    names = frame.collect_schema().names()

    def get(name: str) -> pl.Expr:  # r.get(name, "")
        return col(f"f:{name}") if f"f:{name}" in names else pl.lit("", dtype=pl.String)

    answered = col("answered")
    cause = get("hangup_cause").str.strip_chars(" ")
    disposition = (
        pl.when(answered.is_not_null())
        .then(pl.lit("answered"))
        .when(cause == "USER_BUSY")
        .then(pl.lit("busy"))
        .when(cause.is_in(sorted(_NO_ANSWER)) | (cause == ""))
        .then(pl.lit("no_answer"))
        .otherwise(pl.lit("failed"))
    )
    duration = (
        pl.when(answered.is_null())
        .then(0)
        .when(col("_billsec_text") != "")
        .then(col("_billsec"))
        .otherwise(col("ended") - answered)
    )
    caller = present(get("caller_id_number").str.strip_chars(" "))
    destination = present(get("destination_number").str.strip_chars(" "))
    context = get("context")
    gateway = present(get("sip_gateway_name").str.strip_chars(" "))
    direction = (
        pl.when(gateway.is_not_null())
        .then(pl.lit("outbound"))
        .when(context.is_in(sorted(options.inbound_contexts)))
        .then(pl.lit("inbound"))
        .when(context.is_in(sorted(options.internal_contexts)))
        .then(pl.lit("internal"))
        .otherwise(direction_by_length_expr(caller, destination, options.extension_digits))
    )
    frame = frame.with_columns(
        direction=direction, _caller=caller, _destination=destination, _cause=cause,
        _uuid=present(get("uuid").str.strip_chars(" ")),
    )  # fmt: skip
    uuid, cause = col("_uuid"), col("_cause")
    extra = json_object(
        {
            "hangup_cause": pl.when(cause != "").then(json_string(cause)).otherwise(pl.lit("null")),
            "context": pl.when(context != "").then(json_string(context)),
            "bleg_uuid": pl.when(get("bleg_uuid") != "").then(json_string(get("bleg_uuid"))),
        }
    )
    return frame.select(
        "_order",
        uuid.is_null().alias("_key_due"),
        pl.when(uuid.is_null()).then(normalised(col("line"))).alias("_norm"),
        uuid.alias("source_record_id"),
        pl.coalesce(present(get("call_uuid").str.strip_chars(" ")), uuid).alias("call_id"),
        "started",
        "answered",
        "ended",
        (pl.coalesce(answered, col("ended")) - col("started")).alias("ring_seconds"),
        duration.alias("duration_seconds"),
        "direction",
        disposition.alias("disposition"),
        col("_caller").alias("calling_number"),
        col("_destination").alias("called_number"),
        pl.when(col("direction") == "inbound")
        .then(col("_destination"))
        .otherwise(col("_caller"))
        .alias("extension"),
        gateway.alias("trunk"),
        present(get("accountcode").str.strip_chars(" ")).alias("account_code"),
        col("line").alias("raw"),
        extra.alias("extra"),
    )


def _fields(fields: list[str], columns: list[str]) -> dict[str, str]:
    """A record's fields by template variable (checked: readable, the template's count)."""
    if fields[0].startswith("\x00csv error"):
        raise ValueError(fields[0][1:])
    if len(fields) != len(columns):
        raise ValueError(f"row has {len(fields)} fields, the template has {len(columns)}")
    return dict(zip(columns, fields, strict=True))


def _rows(data: bytes, ctx: ParseContext, options: _Options) -> Iterator[LegRow | Rejected]:
    clock = LocalClock(ctx.timezone)
    keys = OccurrenceCounter()
    parsed: list[LegRow | Rejected] = []
    b_to_a: dict[str, str] = {}  # bleg_uuid -> the A-leg's uuid, to group legs=ab rows
    columns = options.columns
    for number, raw, fields in csv_records(data):
        try:
            r = _fields(fields, columns)
            row = _row(r, raw, options, clock, keys)
            if r.get("bleg_uuid") and r.get("uuid"):
                b_to_a[r["bleg_uuid"]] = r["uuid"]
            parsed.append(row)
        except ValueError as error:
            parsed.append(Rejected(FORMAT, keys.key(raw), str(error), raw, number, ctx.file_name))
    for item in parsed:
        if type(item) is tuple and item[1] in b_to_a and "call_uuid" not in columns:
            item = (item[0], b_to_a[item[1]], *item[2:])
        yield item


def _time(r: Mapping[str, str], stem: str, clock: LocalClock) -> tuple[int | None, str | None]:
    """Epoch seconds of `<stem>_epoch`, `<stem>_uepoch` or `<stem>_stamp`; None when empty/0."""
    for suffix, scale in (("_epoch", 1), ("_uepoch", 1_000_000)):
        value = r.get(stem + suffix)
        if value is not None:
            text = value.strip()
            if not text.isdigit():
                if text == "":
                    return None, None
                raise ValueError(f"{stem}{suffix} {value!r} is not epoch digits")
            seconds = int(text) // scale
            return (seconds or None), None
    value = r.get(stem + "_stamp")
    if value is None or value == "":
        return None, None
    if (
        len(value) != 19
        or value[4] != "-"
        or value[7] != "-"
        or value[10] != " "
        or value[13] != ":"
        or value[16] != ":"
        or not (
            value[:4] + value[5:7] + value[8:10] + value[11:13] + value[14:16] + value[17:]
        ).isdigit()
    ):
        raise ValueError(
            f"{stem}_stamp {value!r} is not YYYY-MM-DD HH:MM:SS (was the file re-saved by a spreadsheet?)"
        )
    return clock.to_utc(
        int(value[:4]),
        int(value[5:7]),
        int(value[8:10]),
        int(value[11:13]),
        int(value[14:16]),
        int(value[17:]),
    )


def _row(
    r: dict[str, str], raw: str, options: _Options, clock: LocalClock, keys: OccurrenceCounter
) -> LegRow:
    notes: dict[str, str] = {}
    times: dict[str, int | None] = {}
    for stem in ("start", "answer", "end"):
        try:
            times[stem], note = _time(r, stem, clock)
        except ValueError as error:
            raise ValueError(f"{error}") from None
        if note:
            notes[stem] = note
    started, answered, ended = times["start"], times["answer"], times["end"]
    if started is None or ended is None:
        raise ValueError("start or end time is empty")
    if ended < started:
        raise ValueError(f"end {r.get('end_stamp') or r.get('end_epoch')!r} is before the start")
    billsec_text = r.get("billsec", "").strip()
    if billsec_text and not billsec_text.isdigit():
        raise ValueError(f"billsec {r['billsec']!r} is not a whole number of seconds")
    if answered is None and billsec_text and int(billsec_text) > 0 and "answer_stamp" not in r:
        answered = ended - int(billsec_text)  # templates without an answer time
    if answered is not None and not started <= answered <= ended:
        raise ValueError("the answer time is outside start..end")
    cause = r.get("hangup_cause", "").strip()
    if answered is not None:
        disposition = "answered"
        duration = int(billsec_text) if billsec_text else ended - answered
    else:
        duration = 0
        if cause == "USER_BUSY":
            disposition = "busy"
        elif cause in _NO_ANSWER or not cause:
            disposition = "no_answer"
        else:
            disposition = "failed"
    ring = (answered if answered is not None else ended) - started

    caller = r.get("caller_id_number", "").strip() or None
    destination = r.get("destination_number", "").strip() or None
    context = r.get("context", "")
    gateway = r.get("sip_gateway_name", "").strip() or None
    if gateway:
        direction = "outbound"
    elif context in options.inbound_contexts:
        direction = "inbound"
    elif context in options.internal_contexts:
        direction = "internal"
    else:
        direction = direction_by_length(caller, destination, options.extension_digits)
    extension = destination if direction == "inbound" else caller
    uuid = r.get("uuid", "").strip()
    record_id = uuid or keys.key(raw)
    extra: dict[str, Any] = {"hangup_cause": cause or None}
    if context:
        extra["context"] = context
    if r.get("bleg_uuid"):
        extra["bleg_uuid"] = r["bleg_uuid"]
    if notes:
        extra["dst"] = notes
    return (
        record_id,
        r.get("call_uuid", "").strip() or record_id,
        started,
        answered,
        ended,
        ring,
        duration,
        direction,
        disposition,
        caller,
        destination,
        extension,
        gateway,
        r.get("accountcode", "").strip() or None,
        raw,
        extra,
    )
