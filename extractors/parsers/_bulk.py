"""Vectorised building blocks of the line-based parsers' bulk path (`parse_table`).

Each format validates and maps its well-formed records with polars expressions over all lines
at once (the "fast" rows). Any record the expressions do not fully vouch for (a reject, a time
in a DST transition hour, text that needs JSON escaping, ...) goes through the format's row
parser instead (the "slow" rows), so every rule that produces a reject or an unusual leg exists
once, in the row parser. The fast expressions only ever accept a subset of what the row parser
accepts and must map it identically; the property tests compare both paths.

Record keys (callmeter.legs.record_key) are assigned at the end over fast and slow rows together,
in input order, so occurrence counts are those the row parser's OccurrenceCounter gives.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
import pyarrow as pa

from callmeter.legs import Rejected

from ._csvlines import split_lines
from ._localtime import ROW_FIELDS, LegRow, LocalClock
from .tables import LEG_SCHEMA, REJECT_SCHEMA, ParsedTables, json_default

# Printable ASCII without '"' and '\': text that JSON writes verbatim and whose only whitespace
# is the space, so Python's str.strip/split and polars' strip_chars/regex agree on it.
PLAIN = r"^[ !#-\[\]-~]*$"
KEY_PLACEHOLDER = "\x00deferred-record-key\x00"
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_LEG_COLUMNS = [name for name in LEG_SCHEMA.names if name != "source_format"]


class DeferredKeys:
    """Stands in for OccurrenceCounter when the row parser handles one record of the bulk path:
    the key is assigned later, over all records in order, so this only notes that one is due."""

    __slots__ = ("needed",)

    def __init__(self) -> None:
        self.needed = False

    def key(self, raw: str) -> str:
        del raw  # OccurrenceCounter.key's signature; the key comes later
        self.needed = True
        return KEY_PLACEHOLDER


class SlowRows:
    """Records handled by the row parser during a bulk parse, with their input order."""

    def __init__(self) -> None:
        self.legs: list[tuple[int, str, bool, LegRow]] = []  # order, raw, key due, row
        self.rejects: list[tuple[int, Rejected]] = []

    def add(self, order: int, raw: str, item: LegRow | Rejected, key_due: bool) -> None:
        if isinstance(item, Rejected):
            self.rejects.append((order, item))
        else:
            self.legs.append((order, raw, key_due, item))


def line_frame(data: bytes, encoding: str = "latin-1") -> pl.DataFrame:
    """`_localtime.lines` as a frame: `_order` (the 1-based line number) and `line`, blank lines
    dropped, CR and NUL padding stripped from the end of each line."""
    text = data.decode(encoding, errors="replace").removeprefix("\ufeff")
    frame = pl.DataFrame({"line": pl.Series("line", [text], dtype=pl.String)})
    frame = frame.select(pl.col("line").str.split("\n")).explode("line")
    frame = frame.with_row_index("_order", offset=1).with_columns(
        pl.col("_order").cast(pl.Int64), pl.col("line").str.strip_chars_end("\r\x00")
    )
    return frame.filter(pl.col("line").str.strip_chars(" \x00\r") != "")


# One CSV field: quoted ("" inside) or bare (no quote, no comma), without control characters
# and without whitespace other than the space (what Python's str.split/strip treat as
# whitespace), so the record key's normalisation and strip() agree with polars'. Text the
# mapping reads must be printable ASCII besides (checked per format); `raw` may hold any.
_NOT_PLAIN = "\\x00-\\x1f\\x7f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
_CSV_FIELD = rf'(?:"(?:[^"{_NOT_PLAIN}]|"")*"|[^",{_NOT_PLAIN}]*)'
_CSV_BLANK = r'^(?:"[ ]*"|[ ]*)(?:,(?:"[ ]*"|[ ]*))*$'
CsvRecord = tuple[int, str, list[str]]  # first line number, raw text, fields


def csv_fits(line: pl.Expr, count: int) -> pl.Expr:
    """True where a plain CSV line has exactly `count` fields."""
    return line.str.contains(f"^{_CSV_FIELD}(?:,{_CSV_FIELD}){{{count - 1}}}$")


def csv_field_count(line: str) -> int:
    """Fields of one plain CSV line."""
    return len(next(csv.reader([line + "\n"], strict=False)))


def csv_split(data: bytes, expected: int | None) -> tuple[pl.DataFrame, list[CsvRecord]]:
    """`asterisk.csv_records` in two parts: plain one-line records as a frame (`_order`, `line`,
    `_fits`: it has `expected` fields) for the fast path, and every other record as csv_records
    gives it (read by the csv module; "\x00csv error: ..." as the only field of an unreadable
    one).

    A plain line is printable ASCII of quoted ("" inside) and bare fields. A record boundary is
    certain before a plain line only while every line before it was read whole, so the csv
    module reads from each other line until its record ends, then plain lines resume.
    """
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    body = data.removeprefix(b"\xef\xbb\xbf")
    if body and body.isascii():  # cut the lines from the bytes, without a Python list
        lines = split_lines(body).frame  # one CR before each line end removed
        frame = lines.select(pl.col("line_number").alias("_order"), "line")
    else:
        frame = pl.DataFrame({"line": pl.Series("line", [text], dtype=pl.String)})
        frame = frame.select(pl.col("line").str.split("\n")).explode("line")
        if text.endswith("\n") or not text:
            frame = frame.head(-1)  # the text after the last line end is no line
        frame = frame.with_row_index("_order", offset=1).with_columns(
            pl.col("_order").cast(pl.Int64), pl.col("line").str.strip_suffix("\r")
        )
    line = pl.col("line")
    # A line that fits is plain: only the others need the (as costly) general check.
    fits = csv_fits(line, expected) if expected else pl.lit(False)
    frame = frame.with_columns(_fits=fits)
    misfits = frame.filter(~pl.col("_fits")).with_columns(
        _plain=line.str.contains(f"^{_CSV_FIELD}(?:,{_CSV_FIELD})*$")
    )
    others = misfits.filter(~pl.col("_plain"))["_order"].to_list()
    records: list[CsvRecord] = []
    consumed: list[int] = []
    end = 0  # lines before this index (0-based) are read
    physical = text.split("\n") if others else []
    for number in others:
        start = number - 1
        if start < end:
            continue
        reader = csv.reader((physical[i] + "\n" for i in range(start, len(physical))), strict=False)
        try:
            fields = next(reader)
            error = None
        except csv.Error as problem:
            fields, error = [], problem
        end = start + reader.line_num
        consumed.extend(range(start + 1, end + 1))
        raw = "".join(physical[i] + "\n" for i in range(start, end)).rstrip("\r\n")
        if error is not None:
            records.append((number, raw, [f"\x00csv error: {error}"]))
        elif fields and any(field.strip() for field in fields):
            records.append((number, raw, fields))
    plain = pl.concat(
        [frame.filter(pl.col("_fits")), misfits.filter(pl.col("_plain")).drop("_plain")]
    ).sort("_order")
    keep = ~line.str.contains(_CSV_BLANK)
    if consumed:
        keep = keep & ~pl.col("_order").is_in(consumed)
    return plain.filter(keep).select("_order", "line", "_fits"), records


def csv_columns(
    lines: pl.Series, columns: Sequence[str], wanted: Iterable[str], whole: bytes | None = None
) -> pl.DataFrame | None:
    """The wanted fields of plain CSV lines of len(columns) fields each, as String columns
    named `f:<column>` ("" for empty; a repeated column name: its last field), or None if the
    CSV reader does not give one row per line (the caller then goes slow).

    `whole`: the input bytes, when they are exactly these lines (saves joining them again).
    """
    index = {name: i for i, name in enumerate(columns)}  # a repeated name: the last field
    keep = sorted({index[name] for name in wanted if name in index})
    schema = {f"f:{columns[i]}": pl.String for i in keep}
    if lines.is_empty() or not keep:
        return pl.DataFrame(schema=schema) if lines.is_empty() else None
    body = whole if whole is not None else "\n".join(lines.to_list()).encode() + b"\n"
    try:
        frame = pl.read_csv(
            io.BytesIO(body),
            has_header=False,
            columns=keep,
            infer_schema=False,
            quote_char='"',
            truncate_ragged_lines=False,
        )
    except pl.exceptions.PolarsError:
        return None
    if frame.height != len(lines) or frame.width != len(keep):
        return None
    return frame.select(pl.all().fill_null("")).rename(
        dict(zip(frame.columns, schema, strict=True))
    )


def whole_input(data: bytes, lines: int) -> bytes | None:
    """`data` itself when its `lines` lines are all that csv_columns is given (no BOM, no CR:
    the CSV reader may then read it as it is), else None."""
    count = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if count != lines or b"\r" in data or data.startswith(b"\xef\xbb\xbf"):
        return None
    return data if data.endswith(b"\n") else data + b"\n"


def ascii_text(columns: Sequence[pl.Expr]) -> pl.Expr:
    """True where all these texts are printable ASCII (what the fast expressions assume)."""
    return pl.concat_str(columns).str.contains(r"^[\x20-\x7e]*$")


def json_safe(text: pl.Expr) -> pl.Expr:
    """True where JSON writes the text verbatim between quotes (printable ASCII, no " or \\)."""
    return text.str.contains(PLAIN)


def digits(expr: pl.Expr) -> pl.Expr:
    """A string of ASCII digits as Int64 (null otherwise): the fast path's `isdigit` + `int`."""
    return pl.when(expr.str.contains(r"^[0-9]+$")).then(expr.cast(pl.Int64, strict=False))


def valid_date(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """True where year-month-day is a date Python's `date()` accepts."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = (
        pl.when(month == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    return (
        year.is_between(1, 9999)
        & month.is_between(1, 12)
        & day.is_between(1, 31)
        & (day <= month_days)
    ).fill_null(False)


def epoch_seconds(
    year: pl.Expr, month: pl.Expr, day: pl.Expr, hour: pl.Expr, minute: pl.Expr, second: pl.Expr
) -> pl.Expr:
    """Seconds since 1970-01-01 00:00 of wall-clock fields (proleptic Gregorian, no zone)."""
    y = year - (month <= 2).cast(pl.Int64)
    era = y.floordiv(400)
    yoe = y - era * 400
    doy = (153 * (month + pl.when(month > 2).then(-3).otherwise(9)) + 2).floordiv(5) + day - 1
    doe = yoe * 365 + yoe.floordiv(4) - yoe.floordiv(100) + doy
    days = era * 146097 + doe - 719468
    return days * 86400 + hour * 3600 + minute * 60 + second


def utc_offsets(local: pl.Series, clock: LocalClock) -> pl.Series:
    """The UTC offset (seconds) of each local epoch second, by the row parser's own per-hour
    rule; null where the hour holds a DST transition (those records take the row parser)."""
    hours = (local // 3600).alias("_hour")
    days = hours // 24
    unique_days = days.drop_nulls().unique().to_list()
    day_offsets = [clock.day_offset(day) for day in unique_days]
    by_day = days.replace_strict(unique_days, day_offsets, default=None, return_dtype=pl.Int64)
    # Days with a transition: hour by hour, as the row parser does.
    mixed = hours.filter(
        days.is_in([d for d, o in zip(unique_days, day_offsets, strict=True) if o is None])
    )
    unique = mixed.unique().to_list()
    by_hour = hours.replace_strict(
        unique, [clock.hour_offset(hour) for hour in unique], default=None, return_dtype=pl.Int64
    )
    return by_day.fill_null(by_hour)


def json_string(value: pl.Expr) -> pl.Expr:
    """A JSON string of a PLAIN text (callers send other text to the row parser)."""
    return pl.concat_str(pl.lit('"'), value, pl.lit('"'))


def json_bool(value: pl.Expr) -> pl.Expr:
    return pl.when(value).then(pl.lit("true")).otherwise(pl.lit("false"))


def json_object(members: dict[str, pl.Expr]) -> pl.Expr:
    """`json.dumps(extra, sort_keys=True)` built from JSON value texts; a null value text
    leaves its member out."""
    parts = [
        pl.concat_str(pl.lit(json.dumps(name) + ": "), members[name]) for name in sorted(members)
    ]
    body = pl.concat_str(parts, separator=", ", ignore_nulls=True)
    return pl.concat_str(pl.lit("{"), body.fill_null(""), pl.lit("}"))


def normalised(raw: pl.Expr) -> pl.Expr:
    """record_key's whitespace normalisation for text whose only whitespace is the space."""
    return raw.str.replace_all(" {2,}", " ").str.strip_chars(" ")


def record_keys(texts: list[str | None]) -> list[str | None]:
    """`record_key` of each normalised text in order, with its occurrence among the texts
    before it (None stays None: no key due)."""
    sha256 = hashlib.sha256
    seen: dict[str, int] = {}
    keys: list[str | None] = []
    append = keys.append
    for text in texts:
        if text is None:
            append(None)
            continue
        occurrence = seen.get(text, 0)
        seen[text] = occurrence + 1
        append(f"{sha256(text.encode()).hexdigest()[:32]}-{occurrence}")
    return keys


def _slow_leg_frame(slow: SlowRows) -> pl.DataFrame:
    columns: list[Sequence[Any]] = (
        list(zip(*(row for _, _, _, row in slow.legs), strict=True))
        if slow.legs
        else [[] for _ in ROW_FIELDS]
    )
    by_name = dict(zip(ROW_FIELDS, columns, strict=True))
    text = {
        name: pl.Series(name, by_name[name], dtype=pl.String)
        for name in ROW_FIELDS
        if name not in ("started", "answered", "ended", "ring_seconds", "duration_seconds", "extra")
    }
    ints = {
        name: pl.Series(name, by_name[name], dtype=pl.Int64)
        for name in ("started", "answered", "ended", "ring_seconds", "duration_seconds")
    }
    extra = [json.dumps(value, default=json_default, sort_keys=True) for value in by_name["extra"]]
    frame = pl.DataFrame(
        {
            "_order": pl.Series([order for order, _, _, _ in slow.legs], dtype=pl.Int64),
            "_key_due": pl.Series([due for _, _, due, _ in slow.legs], dtype=pl.Boolean),
            "_norm": pl.Series(
                [" ".join(raw.split()) if due else None for _, raw, due, _ in slow.legs],
                dtype=pl.String,
            ),
            **text,
            **ints,
            "extra": pl.Series(extra, dtype=pl.String),
        }
    )
    placeholder = pl.lit(KEY_PLACEHOLDER)
    return frame.with_columns(
        pl.when(pl.col(name) != placeholder).then(pl.col(name)).alias(name)
        for name in ("source_record_id", "call_id")
    )


_INT_FIELDS = ("started", "answered", "ended", "ring_seconds", "duration_seconds")


def no_fast_rows() -> pl.DataFrame:
    """The fast-row frame `finish` takes, empty (all records went to the row parser)."""
    schema: dict[str, Any] = {"_order": pl.Int64, "_key_due": pl.Boolean, "_norm": pl.String}
    for name in ROW_FIELDS:
        schema[name] = pl.Int64 if name in _INT_FIELDS else pl.String
    return pl.DataFrame(schema=schema)


def finish(
    source_format: str,
    fast: pl.DataFrame,
    slow: SlowRows,
    file_name: str | None,
    call_id_map: pl.DataFrame | None = None,
) -> ParsedTables:
    """Fast and slow rows as one ParsedTables in input order, with record keys assigned.

    `fast` holds `_order`, `_key_due`, `_norm` (the normalised raw where a key is due) and the
    LegRow columns by ROW_FIELDS name, times as epoch seconds, `extra` as JSON text; a null
    `source_record_id` takes the record key, a null `call_id` the record id; `call_id_map`
    (`_from` -> `_to`, unique `_from`) then replaces call ids (FreeSWITCH: a B-leg's uuid by
    its A-leg's).
    """
    names = ["_order", "_key_due", "_norm", *ROW_FIELDS]
    slow_legs = _slow_leg_frame(slow)
    reject_rows = pl.DataFrame(
        {
            "_order": pl.Series([order for order, _ in slow.rejects], dtype=pl.Int64),
            "_key_due": pl.Series([True] * len(slow.rejects), dtype=pl.Boolean),
            "_norm": pl.Series(
                [" ".join(item.raw.split()) for _, item in slow.rejects], dtype=pl.String
            ),
            "_reject": pl.Series([True] * len(slow.rejects), dtype=pl.Boolean),
        }
    )
    frames = [fast.select(names), slow_legs.select(names)]
    legs = frames[0] if slow_legs.is_empty() else pl.concat(frames, how="vertical")
    if not slow_legs.is_empty() or not reject_rows.is_empty():
        legs = pl.concat(
            [legs.with_columns(_reject=pl.lit(False)), reject_rows], how="diagonal_relaxed"
        ).sort("_order")
    else:
        legs = legs.with_columns(_reject=pl.lit(False))
    # The key: sha256 of the normalised text (Python's hashlib: polars' hashes are not stable
    # across versions) and how many identical texts due a key came before it.
    norm = pl.when(pl.col("_key_due")).then(pl.col("_norm"))
    legs = legs.with_columns(_norm=norm)
    due = legs.select(pl.arg_where(pl.col("_norm").is_not_null())).to_series()
    texts = legs["_norm"].gather(due).to_list()
    keys = pl.Series("_key", [None] * legs.height, dtype=pl.String)
    if texts:
        keys = keys.scatter(due, pl.Series(record_keys(texts), dtype=pl.String))
    legs = legs.with_columns(keys)
    reject_keys = legs.filter(pl.col("_reject")).select("_order", "_key")
    legs = legs.filter(~pl.col("_reject"))
    record_id = pl.coalesce("source_record_id", "_key")
    ts = pl.Datetime("us", "UTC")
    leg_table = (
        legs.select(
            pl.lit(source_format, dtype=pl.String).alias("source_format"),
            record_id.alias("source_record_id"),
            (
                pl.coalesce(pl.col("call_id"), record_id).replace(
                    call_id_map["_from"], call_id_map["_to"]
                )
                if call_id_map is not None and not call_id_map.is_empty()
                else pl.coalesce(pl.col("call_id"), record_id)
            ).alias("call_id"),
            (pl.col("started") * 1_000_000).cast(ts).alias("started_at"),
            (pl.col("answered") * 1_000_000).cast(ts).alias("answered_at"),
            (pl.col("ended") * 1_000_000).cast(ts).alias("ended_at"),
            *(pl.col(name) for name in _LEG_COLUMNS[5:]),
        )
        .to_arrow()
        .cast(LEG_SCHEMA)
    )
    order = dict(zip(reject_keys["_order"].to_list(), reject_keys["_key"].to_list(), strict=True))
    rejects: dict[str, list[Any]] = {name: [] for name in REJECT_SCHEMA.names}
    for position, item in sorted(slow.rejects, key=lambda pair: pair[0]):
        rejects["source_format"].append(item.source_format)
        rejects["record_id"].append(order[position])
        rejects["reason"].append(item.reason)
        rejects["raw"].append(item.raw)
        rejects["line_number"].append(item.line_number)
        rejects["file_name"].append(item.file_name if item.file_name is not None else file_name)
    return ParsedTables(leg_table, pa.Table.from_pydict(rejects, schema=REJECT_SCHEMA))


def local_now_parts(clock: LocalClock, now: datetime) -> tuple[datetime, int]:
    """The site's local `now` and its (month, day, hour, minute, second) packed into one
    integer, to compare with `packed_moment` (the no-year rule of `infer_year`)."""
    local = clock.local_now(now)
    return local, _pack(local.month, local.day, local.hour, local.minute, local.second)


def _pack(month: Any, day: Any, hour: Any, minute: Any, second: Any) -> Any:
    return (((month * 100 + day) * 100 + hour) * 100 + minute) * 100 + second


def packed_moment(
    month: pl.Expr, day: pl.Expr, hour: pl.Expr, minute: pl.Expr, second: pl.Expr
) -> pl.Expr:
    """(month, day, hour, minute, second) as one comparable integer."""
    packed: pl.Expr = _pack(month, day, hour, minute, second)
    return packed


def run_slow(
    source_format: str,
    records: Sequence[tuple[int, str]],
    row: Any,
    file_name: str | None,
    numbered: bool = False,
) -> SlowRows:
    """The row parser over (line number, raw) records: `row(raw, keys)` (or, `numbered`,
    `row(number, raw, keys)`) returns a LegRow or raises ValueError (a reject), exactly as in
    the format's `_rows`."""
    slow = SlowRows()
    for order, raw in records:
        keys = DeferredKeys()
        item: LegRow | Rejected
        try:
            item = row(order, raw, keys) if numbered else row(raw, keys)
        except ValueError as error:
            item = Rejected(source_format, KEY_PLACEHOLDER, str(error), raw, order, file_name)  # type: ignore[arg-type]
            keys.needed = True
        slow.add(order, raw, item, keys.needed)
    return slow


def direction_by_length(calling: pl.Expr, called: pl.Expr, extension_digits: int) -> pl.Expr:
    """`_localtime.direction_by_length` as an expression (null or "" numbers are absent)."""
    calling_present = calling.fill_null("") != ""
    called_present = called.fill_null("") != ""
    calling_internal = calling_present & (calling.str.len_chars() <= extension_digits)
    called_internal = called_present & (called.str.len_chars() <= extension_digits)
    return (
        pl.when(calling_internal & called_internal)
        .then(pl.lit("internal"))
        .when(calling_internal & called_present)
        .then(pl.lit("outbound"))
        .when(called_internal & calling_present)
        .then(pl.lit("inbound"))
        .otherwise(pl.lit("unknown"))
    )


def present(expr: pl.Expr) -> pl.Expr:
    """`value or None` for text: "" becomes null."""
    return pl.when(expr != "").then(expr)


_STAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"


def local_stamp(text: pl.Expr) -> pl.Expr:
    """Local epoch seconds of a 'YYYY-MM-DD HH:MM:SS' text, null unless it is a valid one
    (the shape by regex, the date and time by polars' parser; it takes :60 as a leap second,
    which Python refuses)."""
    parsed = text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
    ok = text.str.contains(_STAMP) & (text.str.slice(17, 2) != "60")
    return pl.when(ok).then(parsed.dt.epoch("s"))
