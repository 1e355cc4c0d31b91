"""3CX call data records (`source_format = 3cx`): CSV lines, one record per call.

The same parser reads the CDR log file and the CDR socket (one record per line), so `parse` on a
single line is cheap: no per-file set-up beyond the field map. There is no header: the field order
is the administrator's choice, given per site as `formats: {3cx: {fields: [...]}}` in
callmeter.yaml (`ParseContext.options["fields"]`); the default is 3CX's "all fields" order
(docs/pbx-formats/3cx.md). A line whose field count differs from the map is rejected.

Times are the PBX's local wall-clock time, converted with the site zone (`ParseContext.timezone`);
at DST changes an ambiguous time takes its first occurrence and a time in the gap is shifted
forward, and the leg's `extra["dst"]` says which field was adjusted how.

`parse` maps each record into a `LegRow` (extractors.parsers._localtime) and then a CallLeg: cheap
for one socket line. `parse_table` on a large input maps the plainly well-formed records with
polars expressions (the mirror of `_Mapper.row`, see `_column_legs`) and sends every other line,
and so every reject and every DST edge, through the row parser. A property test checks that the
two give the same legs and rejects.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pyarrow as pa

from callmeter.legs import CallLeg, OccurrenceCounter, Rejected, SourceFormat

from . import ParseContext
from ._csvlines import csv_line_pattern, read_csv_columns, split_lines
from ._localtime import LegRow, LocalClock, items_from_rows, tables_from_rows
from .tables import LEG_SCHEMA, ParsedTables

FORMAT: SourceFormat = "3cx"
# 3CX's "all fields" output order (v15/v16/v18), docs/pbx-formats/3cx.md.
DEFAULT_FIELDS: tuple[str, ...] = (
    "historyid",
    "callid",
    "duration",
    "time-start",
    "time-answered",
    "time-end",
    "reason-terminated",
    "from-no",
    "to-no",
    "from-dn",
    "to-dn",
    "dial-no",
    "reason-changed",
    "final-number",
    "final-dn",
    "bill-code",
    "bill-rate",
    "bill-cost",
    "bill-name",
    "chain",
    "from-type",
    "to-type",
    "final-type",
    "from-dispname",
    "to-dispname",
    "final-dispname",
    "missed-queue-calls",
)
REQUIRED = ("time-start", "time-end")
# Below this many lines the row parser is faster than setting up the vectorised path.
VECTOR_MIN_LINES = 2000
_TIME = re.compile(
    r"\s*(\d{4})[/-](\d{1,2})[/-](\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?\s*", re.ASCII
)
_DURATION = re.compile(r"\s*(\d+):(\d{2}):(\d{2})(?:\.\d+)?\s*", re.ASCII)
_CHAIN_SPLIT = re.compile(r"[,;']")
_EXTERNAL_TYPES = frozenset({"external", "line", "externalline"})
_FAILED = frozenset({"Failed", "NoRouteExists", "NotAvailable"})


class _BadRecord(ValueError):
    """A record that cannot become a leg; the message is the reject reason."""


def field_map(options: Mapping[str, Any]) -> tuple[str, ...]:
    """The site's field order: `options["fields"]`, else 3CX's default "all fields" order.

    Names are normalised to the 3CX spelling (lower case, `-` between words), so
    `time_start` and `Time-Start` both mean `time-start`.

    Raises:
        ValueError: the option is not a list of names, lacks time-start / time-end, or repeats
            a name.
    """
    fields = options.get("fields")
    if fields is None:
        return DEFAULT_FIELDS
    if isinstance(fields, str) or not isinstance(fields, Sequence) or not fields:
        raise ValueError("formats.3cx.fields must be a non-empty list of 3CX field names")
    if not all(isinstance(name, str) for name in fields):
        raise ValueError("formats.3cx.fields must hold only field names (strings)")
    names = tuple(name.strip().lower().replace("_", "-") for name in fields)
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise ValueError(f"formats.3cx.fields lacks {', '.join(missing)}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"formats.3cx.fields names {', '.join(repeated)} more than once")
    return names


def parse(data: bytes, ctx: ParseContext) -> Iterator[CallLeg | Rejected]:
    """Parse 3CX CDR lines (a file, or one line from the CDR socket) into legs and rejects.

    Args:
        data: The bytes: one or more CDR lines, optionally starting with a UTF-8 BOM.
        ctx: The site context: `timezone` for local times, `options["fields"]` for the field
            order, `trunk_devices` (plus `options["trunk_dns"]`) for trunk DNs.

    Yields:
        One CallLeg per record, or one Rejected with the reason and line number.
    """
    return items_from_rows(FORMAT, _rows(data, ctx))


def parse_table(data: bytes, ctx: ParseContext) -> ParsedTables:
    """The bulk path: the same legs and rejects as `parse`, as Arrow tables.

    Large inputs take a vectorised path for the records that are plainly well formed (the
    expected field count, plain `YYYY/MM/DD HH:MM:SS` times away from DST changes, a callid);
    every other line goes through the row parser, which also writes every reject, so both paths
    give the same answer (the property tests check this).
    """
    try:
        fields = field_map(ctx.options)
    except ValueError:
        fields = None
    if fields is None or data.count(b"\n") < VECTOR_MIN_LINES:
        return tables_from_rows(FORMAT, _rows(data, ctx), ctx.file_name)
    return _parse_columns(data.removeprefix(b"\xef\xbb\xbf"), fields, ctx)


def _lines(data: bytes) -> Iterator[tuple[int, str | None, str]]:
    """(line number, text or None if not UTF-8, text for `raw`) of every non-blank line."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text_lines: list[str | None] = list(data.decode("utf-8").split("\n"))
        raws = None
    except UnicodeDecodeError:
        byte_lines = data.split(b"\n")
        text_lines, raws = [], []
        for raw_line in byte_lines:
            try:
                text_lines.append(raw_line.decode("utf-8"))
            except UnicodeDecodeError:
                text_lines.append(None)
            raws.append(raw_line.decode("utf-8", "backslashreplace"))
    for index, line in enumerate(text_lines):
        raw = line if raws is None else raws[index]
        assert raw is not None
        raw = raw.removesuffix("\r")
        if raw.strip():
            yield index + 1, None if line is None else raw, raw


def _rows(data: bytes, ctx: ParseContext) -> Iterator[LegRow | Rejected]:
    keys = OccurrenceCounter()
    try:
        fields = field_map(ctx.options)
    except ValueError as error:
        for number, _, raw in _lines(data):
            yield _reject(keys, str(error), raw, number, ctx)
        return
    mapper = _Mapper(fields, ctx)
    for number, line, raw in _lines(data):
        yield _row_item(mapper, keys, number, line, raw, ctx)


def _row_item(
    mapper: _Mapper,
    keys: OccurrenceCounter,
    number: int,
    line: str | None,
    raw: str,
    ctx: ParseContext,
) -> LegRow | Rejected:
    if line is None:
        return _reject(keys, "line is not valid UTF-8", raw, number, ctx)
    try:
        return mapper.row(line, keys)
    except _BadRecord as error:
        return _reject(keys, str(error), raw, number, ctx)


def _reject(
    keys: OccurrenceCounter, reason: str, raw: str, number: int, ctx: ParseContext
) -> Rejected:
    return Rejected(FORMAT, keys.key(raw), reason, raw, number, ctx.file_name)


def _split(line: str) -> list[str]:
    if '"' not in line:
        return line.split(",")
    try:
        return next(csv.reader([line], strict=True))
    except csv.Error as error:
        raise _BadRecord(f"malformed quoting: {error}") from None


def _time(value: str, name: str) -> tuple[int, int, int, int, int, int]:
    if (
        len(value) == 19
        and value[4] == "/"
        and value[7] == "/"
        and value[13] == ":"
        and value.isascii()
    ):
        try:  # the usual YYYY/MM/DD HH:MM:SS, without the regular expression
            return (
                int(value[0:4]),
                int(value[5:7]),
                int(value[8:10]),
                int(value[11:13]),
                int(value[14:16]),
                int(value[17:19]),
            )
        except ValueError:
            pass
    match = _TIME.fullmatch(value)
    if match is None:
        raise _BadRecord(f"{name} {value!r} is not a YYYY/MM/DD HH:MM:SS time")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    return year, month, day, hour, minute, second


def _party(value: str | None) -> str | None:
    """A number or DN without 3CX's `Ext.` decoration; empty -> None."""
    if value is None:
        return None
    value = value.strip()
    if value.startswith("Ext."):
        value = value[4:]
    return value or None


def _is_external(kind: str | None) -> bool | None:
    """True for an external party type, False for an internal one, None when not recorded."""
    if kind is None or not kind.strip():
        return None
    return kind.strip().lower().replace("_", "") in _EXTERNAL_TYPES


class _Mapper:
    """Maps one line of a given field order to a LegRow (docs/pbx-formats/3cx.md, mapping)."""

    __slots__ = ("clock", "count", "fields", "times", "trunks")

    def __init__(self, fields: tuple[str, ...], ctx: ParseContext) -> None:
        self.fields = fields
        self.count = len(fields)
        self.clock = LocalClock(ctx.timezone)
        self.times: dict[str, tuple[int, str | None]] = {}  # records share seconds (start/end)
        extra_trunks = ctx.options.get("trunk_dns") or ()
        self.trunks = frozenset(ctx.trunk_devices) | frozenset(str(dn) for dn in extra_trunks)

    def _utc(self, value: str, name: str, notes: dict[str, str]) -> int:
        cached = self.times.get(value)
        if cached is None:
            try:
                cached = self.clock.to_utc(*_time(value, name))
            except _BadRecord:
                raise
            except ValueError as error:
                raise _BadRecord(f"{name} {value!r} is not a valid time: {error}") from None
            self.times[value] = cached
        seconds, note = cached
        if note is not None:
            notes[name] = note
        return seconds

    def row(self, line: str, keys: OccurrenceCounter) -> LegRow:
        values = _split(line)
        if len(values) != self.count:
            raise _BadRecord(
                f"{len(values)} fields where the configured 3CX field map has {self.count}"
            )
        if values and values[0].startswith("Call "):
            values[0] = values[0][5:]  # 3CX glues "Call " to the first field of every line
        r = dict(zip(self.fields, values, strict=True))
        notes: dict[str, str] = {}
        started = self._utc(r["time-start"], "time-start", notes)
        ended = self._utc(r["time-end"], "time-end", notes)
        answered_text = (r.get("time-answered") or "").strip()
        answered = self._utc(answered_text, "time-answered", notes) if answered_text else None
        if ended < started:
            raise _BadRecord("time-end is before time-start")
        if answered is not None and not started <= answered <= ended:
            raise _BadRecord("time-answered is not between time-start and time-end")
        duration = self._duration(r.get("duration"), answered, ended)
        direction = self._direction(r)
        history = (r.get("historyid") or "").strip()
        callid = (r.get("callid") or "").strip()
        record_id = callid or f"{history}:{keys.key(line)}"
        reason = (r.get("reason-terminated") or "").strip()
        if answered is not None:
            disposition = "answered"
        elif reason == "RouteBusy":
            disposition = "busy"
        elif reason in _FAILED:
            disposition = "failed"
        else:
            disposition = "no_answer"
        from_no = (r.get("from-no") or "").strip()
        from_dn, to_dn = _party(r.get("from-dn")), _party(r.get("to-dn"))
        if direction == "inbound":
            extension = _party(r.get("final-dn")) or to_dn
            trunk = from_dn
        else:
            extension = from_dn
            trunk = to_dn if direction == "outbound" and to_dn in self.trunks else None
        extra: dict[str, Any] = {
            "pbx_history_id": history or None,
            "reason_terminated": reason or None,
            "reason_changed": (r.get("reason-changed") or "").strip() or None,
            "final_number": _party(r.get("final-number")),
            "from_type": (r.get("from-type") or "").strip() or None,
            "to_type": (r.get("to-type") or "").strip() or None,
        }
        chain = r.get("chain")
        if chain:
            hops = _CHAIN_SPLIT.split(chain.strip().removeprefix("Chain:"))
            extra["chain"] = [hop.strip() for hop in hops if hop.strip()]
        else:
            extra["chain"] = None
        # 3CX's own cost, as text: never used for rating.
        extra["bill_cost"] = (r.get("bill-cost") or "").strip() or None
        extra["dst"] = notes or None
        # LegRow field order (extractors.parsers._localtime).
        return (
            record_id,
            history or callid or record_id,
            started,
            answered,
            ended,
            (answered if answered is not None else ended) - started,
            duration,
            direction,
            disposition,
            None if from_no == "MakeCall" else _party(from_no),
            _party(r.get("dial-no")) or _party(r.get("to-no")),
            extension,
            trunk,
            (r.get("bill-code") or "").strip() or None,
            line,
            extra,
        )

    @staticmethod
    def _duration(value: str | None, answered: int | None, ended: int) -> int:
        """Talk seconds from `duration` (HH:MM:SS); 0 when unanswered; from the times if empty."""
        if answered is None:
            return 0
        if value is None or not value.strip():
            return ended - answered
        match = _DURATION.fullmatch(value)
        if match is None:
            raise _BadRecord(f"duration {value!r} is not HH:MM:SS")
        hours, minutes, seconds = (int(part) for part in match.groups())
        return hours * 3600 + minutes * 60 + seconds

    @staticmethod
    def _direction(r: dict[str, str]) -> str:
        source, target = _is_external(r.get("from-type")), _is_external(r.get("to-type"))
        if (r.get("from-no") or "").strip() == "MakeCall":
            source = False  # typed External, but the call starts inside the PBX (API / click)
        if source is None or target is None:
            return "unknown"
        if source and not target:
            return "inbound"
        if target:
            return "outbound"  # internal -> external, and trunk-to-trunk forwarding
        return "internal"


# The vectorised bulk path. Each expression mirrors one step of _Mapper.row for the rows it
# accepts as plain; _plain() lists what makes a row plain, and anything else is left to the row
# parser. Whitespace here is only what both Python's str.strip() and polars' strip_chars() treat
# as whitespace: lines holding the other characters (\x1c-\x1f) go to the row parser.
_PLAIN_TIME = r"^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
_PLAIN_DURATION = r"^[0-9]+:[0-9]{2}:[0-9]{2}$"


def _parse_columns(data: bytes, fields: tuple[str, ...], ctx: ParseContext) -> ParsedTables:
    lines = split_lines(data)
    frame = lines.frame.with_columns(_index=pl.int_range(pl.len(), dtype=pl.Int64))
    plain_shape = (
        pl.col("utf8")
        & pl.col("line").str.contains(csv_line_pattern(len(fields)))
        & ~pl.col("line").str.contains("[\x1c-\x1f]")
    )
    frame = frame.with_columns(_shape=plain_shape)
    shaped = frame.filter(pl.col("_shape"))
    names = [f"f{i}" for i in range(len(fields))]
    columns = read_csv_columns(shaped["line"], names, names)
    columns.columns = list(fields)  # field_map() refuses repeated names
    first = fields[0]
    columns = columns.with_columns(pl.col(first).str.strip_prefix("Call "))
    for name in _USED_FIELDS:
        if name not in columns.columns:
            columns = columns.with_columns(pl.lit("", dtype=pl.String).alias(name))
    values = pl.concat([shaped.select("line_number", "line", "_index"), columns], how="horizontal")
    values = _with_times(values, ctx.timezone).with_columns(_plain().alias("_plain"))
    plain = values.filter(pl.col("_plain"))
    legs = plain.select(_column_legs(ctx))
    # Everything else, in line order, through the row parser (one shared key counter).
    rest = frame.filter(
        ~pl.col("line_number").is_in(plain["line_number"].implode())
        & (pl.col("line").str.strip_chars() != "")
    )
    others = [  # text.strip(): Python's idea of a blank line, as in _lines()
        (number, text if utf8 else None, text)
        for number, text, utf8 in rest.select("line_number", "line", "utf8").iter_rows()
        if text.strip()
    ]
    keys = OccurrenceCounter()
    mapper = _Mapper(fields, ctx)
    row_items: list[LegRow | Rejected] = []
    row_leg_lines: list[int] = []
    for number, line, raw in others:
        item = _row_item(mapper, keys, number, line, raw, ctx)
        row_items.append(item)
        if not isinstance(item, Rejected):
            row_leg_lines.append(number)
    from_rows = tables_from_rows(FORMAT, row_items, ctx.file_name)
    vector_legs = pa.Table.from_arrays(
        [
            lines.raw.take(plain["_index"].to_numpy()) if name == "raw" else legs[name].to_arrow()
            for name in LEG_SCHEMA.names
        ],
        names=LEG_SCHEMA.names,
    ).cast(LEG_SCHEMA)
    all_legs = pa.concat_tables([vector_legs, from_rows.legs])
    order = np.argsort(
        np.concatenate(
            [plain["line_number"].to_numpy(), np.asarray(row_leg_lines, dtype=np.int64)]
        ),
        kind="stable",
    )
    return ParsedTables(all_legs.take(order), from_rows.rejects)


_USED_FIELDS = (
    "historyid", "callid", "duration", "time-start", "time-answered", "time-end",
    "reason-terminated", "from-no", "to-no", "from-dn", "to-dn", "dial-no", "reason-changed",
    "final-number", "final-dn", "bill-code", "bill-cost", "chain", "from-type", "to-type",
)  # fmt: skip


def _stripped(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars()


def _or_null(value: pl.Expr) -> pl.Expr:
    return pl.when(value == "").then(None).otherwise(value)


def _party_expr(name: str) -> pl.Expr:
    """_party(): trimmed, without a leading `Ext.`, empty -> null."""
    return _or_null(_stripped(name).str.strip_prefix("Ext."))


def _external_expr(name: str) -> pl.Expr:
    """_is_external(): true / false, null when the type is not recorded."""
    kind = _stripped(name)
    normal = kind.str.to_lowercase().str.replace_all("_", "", literal=True)
    return pl.when(kind == "").then(None).otherwise(normal.is_in(sorted(_EXTERNAL_TYPES)))


_TIME_FIELDS = ("time-start", "time-answered", "time-end")


def _with_times(values: pl.DataFrame, zone: ZoneInfo) -> pl.DataFrame:
    """Local times to UTC epoch seconds (`_time-start`, ...); null where the text is not plain
    or its local hour holds a DST change (those rows go to the row parser).

    The UTC offset is looked up once per distinct local hour with zoneinfo, as LocalClock does,
    so both paths use the same zone data.
    """
    naive = values.select(
        pl.when(pl.col(name).str.contains(_PLAIN_TIME))
        .then(
            pl.col(name)
            .str.strptime(pl.Datetime("us"), "%Y/%m/%d %H:%M:%S", strict=False)
            .dt.epoch("s")
        )
        .alias(name)
        for name in _TIME_FIELDS
    )
    hours = pl.concat([naive[name] for name in _TIME_FIELDS]).drop_nulls() // 3600
    keys = hours.unique().to_list()
    offsets = [_hour_offset(hour, zone) for hour in keys]
    mapping = pl.DataFrame(
        {"_hour": keys, "_offset": offsets}, schema={"_hour": pl.Int64, "_offset": pl.Int64}
    )
    local_offset = {
        name: (pl.col(name) // 3600).replace_strict(
            mapping["_hour"], mapping["_offset"], default=None, return_dtype=pl.Int64
        )
        for name in _TIME_FIELDS
    }
    utc = naive.select(
        (pl.col(name) - local_offset[name]).alias(f"_{name}") for name in _TIME_FIELDS
    )
    return pl.concat([values, utc], how="horizontal")


def _hour_offset(hour: int, zone: ZoneInfo) -> int | None:
    """The UTC offset (s) of one local hour (hours since 1970-01-01 local), or None when a DST
    change falls in it or the hour cannot be a datetime."""
    try:
        start = datetime(1970, 1, 1) + timedelta(hours=hour)
    except OverflowError:
        return None
    offsets = set()
    for moment in (start, start + timedelta(minutes=59, seconds=59)):
        for fold in (0, 1):
            offset = moment.replace(tzinfo=zone, fold=fold).utcoffset()
            offsets.add(int(offset.total_seconds()) if offset is not None else 0)
    return offsets.pop() if len(offsets) == 1 else None


def _plain() -> pl.Expr:
    """Rows the vectorised mapping may take: everything _Mapper.row would accept the plain way."""
    started, answered, ended = pl.col("_time-start"), pl.col("_time-answered"), pl.col("_time-end")
    answered_text = _stripped("time-answered")
    duration = _stripped("duration")
    return (
        started.is_not_null()
        & ended.is_not_null()
        & (ended >= started)
        & ((answered_text == "") | (pl.col("time-answered") == answered_text))
        & (
            (answered_text == "")
            | (answered.is_not_null() & (answered >= started) & (answered <= ended))
        )
        & ((answered_text == "") | (duration == "") | duration.str.contains(_PLAIN_DURATION))
        & (_stripped("callid") != "")
    ).fill_null(False)


def _column_legs(ctx: ParseContext) -> list[pl.Expr]:
    extra_trunks = ctx.options.get("trunk_dns") or ()
    trunks = sorted(frozenset(ctx.trunk_devices) | frozenset(str(dn) for dn in extra_trunks))
    started, ended = pl.col("_time-start"), pl.col("_time-end")
    is_answered = _stripped("time-answered") != ""
    answered = pl.when(is_answered).then(pl.col("_time-answered"))
    duration = _stripped("duration")
    parts = duration.str.split_exact(":", 2)
    talk = (
        parts.struct.field("field_0").cast(pl.Int64) * 3600
        + parts.struct.field("field_1").cast(pl.Int64) * 60
        + parts.struct.field("field_2").cast(pl.Int64)
    )
    duration_seconds = (
        pl.when(~is_answered).then(0).when(duration == "").then(ended - answered).otherwise(talk)
    )
    make_call = _stripped("from-no") == "MakeCall"
    source = pl.when(make_call).then(False).otherwise(_external_expr("from-type"))
    target = _external_expr("to-type")
    direction = (
        pl.when(source.is_null() | target.is_null())
        .then(pl.lit("unknown"))
        .when(source & ~target)
        .then(pl.lit("inbound"))
        .when(target)
        .then(pl.lit("outbound"))
        .otherwise(pl.lit("internal"))
    )
    reason = _stripped("reason-terminated")
    disposition = (
        pl.when(is_answered)
        .then(pl.lit("answered"))
        .when(reason == "RouteBusy")
        .then(pl.lit("busy"))
        .when(reason.is_in(sorted(_FAILED)))
        .then(pl.lit("failed"))
        .otherwise(pl.lit("no_answer"))
    )
    inbound = direction == "inbound"
    to_dn = _party_expr("to-dn")
    history = _stripped("historyid")
    chain = pl.col("chain")
    hops = (
        chain.str.strip_chars()
        .str.strip_prefix("Chain:")
        .str.replace_all("[;']", ",")
        .str.split(",")
        .list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element() != ""))
    )
    extra = [
        _or_null(history).alias("pbx_history_id"),
        _or_null(reason).alias("reason_terminated"),
        _or_null(_stripped("reason-changed")).alias("reason_changed"),
        _party_expr("final-number").alias("final_number"),
        _or_null(_stripped("from-type")).alias("from_type"),
        _or_null(_stripped("to-type")).alias("to_type"),
        pl.when(chain != "").then(hops).alias("chain"),
        _or_null(_stripped("bill-cost")).alias("bill_cost"),
        pl.lit(None, dtype=pl.String).alias("dst"),
    ]
    return [
        pl.lit(FORMAT).alias("source_format"),
        _stripped("callid").alias("source_record_id"),
        pl.when(history != "").then(history).otherwise(_stripped("callid")).alias("call_id"),
        _epoch_us(started).alias("started_at"),
        _epoch_us(answered).alias("answered_at"),
        _epoch_us(ended).alias("ended_at"),
        (pl.when(is_answered).then(answered).otherwise(ended) - started).alias("ring_seconds"),
        duration_seconds.alias("duration_seconds"),
        direction.alias("direction"),
        disposition.alias("disposition"),
        pl.when(make_call).then(None).otherwise(_party_expr("from-no")).alias("calling_number"),
        pl.coalesce(_party_expr("dial-no"), _party_expr("to-no")).alias("called_number"),
        pl.when(inbound)
        .then(pl.coalesce(_party_expr("final-dn"), to_dn))
        .otherwise(_party_expr("from-dn"))
        .alias("extension"),
        pl.when(inbound)
        .then(_party_expr("from-dn"))
        .when((direction == "outbound") & to_dn.is_in(trunks))
        .then(to_dn)
        .alias("trunk"),
        _or_null(_stripped("bill-code")).alias("account_code"),
        pl.struct(extra).struct.json_encode().alias("extra"),
    ]


def _epoch_us(seconds: pl.Expr) -> pl.Expr:
    return (seconds * 1_000_000).cast(pl.Datetime("us", "UTC"))
