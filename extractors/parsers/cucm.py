"""Cisco Unified CM CDR flat files (`source_format = cucm`), parsed column-wise.

A CDR file is a header line of quoted column names, a line of column types, then one record per
line (docs/pbx-formats/cucm.md). Columns are found by header name, never by position, because the
column set differs between releases. The whole file is parsed column-wise:

1. the bytes are cut into lines (numpy; string views over the input), each keeping its line
   number and original text;
2. one compiled pass (`_csvscan`, numba, on every core) checks every data line against the rule
   of exactly as many CSV fields as the header has, so a truncated line, a wrong field count or
   broken quoting becomes a reject with its line number while the lines around it parse, and
   cuts the columns the mapping needs out of the good lines as string views into the input (no
   copy); input that is not UTF-8 takes the older path instead: the line pattern (RE2) and
   polars' CSV reader on the good lines;
3. polars expressions validate the values and compute the canonical leg columns (surrounding
   whitespace is stripped only from columns that have some; `extra` reaches Arrow uncopied).

Performance (bench/foundation.py, 1,000,000 synthetic 133-column legs, 539 MB, 2-core machine):
about 2.1-2.6 s warm and 3.0-3.4 s in a fresh process, where the RE2 check and the CSV reader
took 4.0-5.3 s. The time goes to the JSON of `extra` (~0.7 s), the line split with the copy of
`raw` (~0.3 s warm, ~0.8 s in a fresh process: first-touch page faults), the scan (~0.5 s), the
other expressions (~0.3 s) and the Arrow hand-over (~0.2 s).

`parse` is built on the same frames, so the bulk path and the row path cannot disagree.
CMR files (call quality, `cdrRecordType` 2) are not legs: each CMR record becomes a reject
"CMR record (call quality), not a CDR", so nothing read is lost silently.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from callmeter.legs import CallLeg, OccurrenceCounter, Rejected, SourceFormat

from . import ParseContext
from ._csvlines import (
    Lines,
    as_string_chunks,
    csv_line_pattern,
    describe_bad_line,
    field_positions,
    match_lines,
    read_csv_columns,
    split_lines,
)
from ._csvscan import scan_lines
from .tables import LEG_SCHEMA, REJECT_SCHEMA, ParsedTables, legs_from_table, rejects_from_table

FORMAT: SourceFormat = "cucm"
CMR_REASON = "CMR record (call quality), not a CDR"
PHONE_PREFIXES = ("SEP", "CSF", "BOT", "TCT", "TAB", "ATA")
# Without these a file is not a CUCM CDR file.
REQUIRED = (
    "cdrRecordType",
    "globalCallID_callManagerId",
    "globalCallID_callId",
    "dateTimeOrigination",
    "dateTimeConnect",
    "dateTimeDisconnect",
    "pkid",
    "duration",
)
# Columns only CMR files have (a CMR header lacks dateTimeOrigination).
CMR_MARKERS = frozenset({"callIdentifier", "dateTimeStamp", "varVQMetrics", "numberPacketsSent"})
# Canonical name -> the spellings seen across releases (docs vs files).
COLUMNS: dict[str, tuple[str, ...]] = {
    name: (name,)
    for name in (
        *REQUIRED,
        "globalCallId_ClusterID",
        "origLegCallIdentifier",
        "callingPartyNumber",
        "originalCalledPartyNumber",
        "finalCalledPartyNumber",
        "lastRedirectDn",
        "origCause_value",
        "destCause_value",
        "origDeviceName",
        "destDeviceName",
        "origCallTerminationOnBehalfOf",
        "destCallTerminationOnBehalfOf",
        "origCalledPartyRedirectOnBehalfOf",
        "lastRedirectRedirectOnBehalfOf",
        "origCalledPartyRedirectReason",
        "lastRedirectRedirectReason",
        "origConversationId",
        "callingPartyNumberPartition",
        "originalCalledPartyNumberPartition",
        "finalCalledPartyNumberPartition",
        "lastRedirectDnPartition",
        "authCodeDescription",
        "clientMatterCode",
        "outpulsedCallingPartyNumber",
        "outpulsedCalledPartyNumber",
        "huntPilotDN",
        "totalWaitTimeInQueue",
    )
} | {
    "destLegIdentifier": ("destLegIdentifier", "destLegCallIdentifier"),
    "destConversationId": ("destConversationId", "destConversationID"),
}
_TYPE = re.compile(r"[A-Z][A-Z0-9_]*(\(\d+\))?")
_MAX_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second a datetime can hold
_SPLIT_BY_TRANSFER = 393_216  # 0x60000: call split by transfer or conference, not a failure
_INLINE = 12  # bytes a string view holds itself
# Bytes a whitespace character can start or end with: ASCII 9-13 and 32; any byte over 127.
_SPACE_LIKE = np.zeros(256, dtype=bool)
_SPACE_LIKE[[9, 10, 11, 12, 13, 32]] = True
_SPACE_LIKE[128:] = True
_RAW_LIMIT = 4096  # raw text kept for a file-level reject (binary or foreign files can be huge)


def _file_reject(reason: str, raw: str, line_number: int | None, ctx: ParseContext) -> Rejected:
    raw = raw[:_RAW_LIMIT]
    key = OccurrenceCounter().key(f"{ctx.file_name or ''}\n{reason}\n{raw}")
    return Rejected(FORMAT, key, reason, raw, line_number, ctx.file_name)


@dataclass(frozen=True, slots=True)
class _Frames:
    legs: pl.DataFrame  # LEG_SCHEMA columns but raw, + _line
    rejects: pl.DataFrame  # REJECT_SCHEMA columns (line_number orders them)
    raw: pa.Array | None = None  # every line of the input; legs take `raw` from it by _line

    def legs_table(self) -> pa.Table:
        """The legs as LEG_SCHEMA, `raw` taken from the input's lines without a round trip."""
        frame = self.legs.drop("raw", strict=False)
        # Polars writes the short string columns out as plain strings itself (faster than
        # Arrow's cast from string views, and on its own allocator); `extra` (hundreds of bytes
        # a leg) comes out as views and is handed over without a copy where it can be.
        table = frame.select([n for n in LEG_SCHEMA.names if n not in ("raw", "extra")]).to_arrow(
            compat_level=pl.CompatLevel.oldest()
        )
        extra_views = frame["extra"].to_arrow(compat_level=pl.CompatLevel.newest())
        extra = as_string_chunks(extra_views) or extra_views
        if self.raw is None:
            raw = pa.array([], pa.string())
        else:
            index = frame["_line"].to_numpy() - 1
            contiguous = len(index) and index[-1] - index[0] == len(index) - 1
            raw = self.raw.slice(index[0], len(index)) if contiguous else self.raw.take(index)
        for name, column in (("raw", raw), ("extra", extra)):
            table = table.add_column(LEG_SCHEMA.names.index(name), name, column)
        return table.cast(LEG_SCHEMA)


def parse_table(data: bytes, ctx: ParseContext) -> ParsedTables:
    """Parse a CUCM CDR (or CMR) file into Arrow tables of legs and rejects.

    Args:
        data: The file's bytes.
        ctx: The site context: `trunk_devices` decides direction; `file_name` goes on rejects.

    Returns:
        Legs (LEG_SCHEMA) in file order and rejects (REJECT_SCHEMA) in line order.
    """
    frames = _parse_frames(data, ctx)
    return ParsedTables(frames.legs_table(), _to_arrow(frames.rejects, REJECT_SCHEMA))


def parse(data: bytes, ctx: ParseContext) -> Iterator[CallLeg | Rejected]:
    """Parse a CUCM CDR file into legs and rejects, in line order.

    Args:
        data: The file's bytes.
        ctx: The site context.

    Yields:
        One CallLeg per CDR record, one Rejected per record (or file) that cannot be a leg.
    """
    frames = _parse_frames(data, ctx)
    legs = legs_from_table(frames.legs_table())
    rejects = rejects_from_table(_to_arrow(frames.rejects, REJECT_SCHEMA))
    leg_lines = frames.legs["_line"].to_list()
    i = j = 0
    while i < len(legs) or j < len(rejects):
        reject_line = rejects[j].line_number if j < len(rejects) else None
        if i < len(legs) and (reject_line is None or leg_lines[i] < reject_line):
            yield legs[i]
            i += 1
        else:
            yield rejects[j]
            j += 1


def _to_arrow(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    return frame.select(schema.names).to_arrow().cast(schema)


def _empty_frames(rejects: list[Rejected]) -> _Frames:
    typed = pl.from_arrow(LEG_SCHEMA.empty_table())
    assert isinstance(typed, pl.DataFrame)
    legs = typed.with_columns(pl.lit(None, dtype=pl.Int64).alias("_line"))
    rows = [reject.as_row() for reject in rejects]
    reject_frame = pl.DataFrame(
        rows,
        schema={
            "source_format": pl.String,
            "record_id": pl.String,
            "reason": pl.String,
            "raw": pl.String,
            "line_number": pl.Int64,
            "file_name": pl.String,
        },
    )
    return _Frames(legs, reject_frame)


def _parse_frames(data: bytes, ctx: ParseContext) -> _Frames:
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not data or data.isspace():
        reason = (
            "empty file: not a CUCM CDR file" if not data else "blank file: not a CUCM CDR file"
        )
        return _empty_frames([_file_reject(reason, data.decode("latin-1"), None, ctx)])
    first_end = data.find(b"\n")
    first_line = (data if first_end < 0 else data[:first_end]).removesuffix(b"\r")
    if b"\x00" in data[:8192]:
        raw = first_line.decode("utf-8", "backslashreplace")
        return _empty_frames([_file_reject("binary data: not a CUCM CDR file", raw, 1, ctx)])
    split = split_lines(data)
    lines = split.frame.with_columns(split.blank().alias("_blank"))
    header_text = lines["line"][0]
    try:
        header = [name.strip() for name in next(csv.reader([header_text], strict=True))]
    except (csv.Error, StopIteration):
        header = []
    is_cmr = "cdrRecordType" in header and bool(CMR_MARKERS & set(header))
    missing = [name for name in REQUIRED if name not in header]
    if (missing and not is_cmr) or not lines["utf8"][0]:
        total = len(lines)
        reason = (
            f"not a CUCM CDR file: line 1 is not a CDR header "
            f"(missing {', '.join(missing) or 'valid UTF-8'}); {total} line(s) not read"
        )
        return _empty_frames([_file_reject(reason, header_text, 1, ctx)])
    is_cmr = is_cmr and bool(missing)
    body = lines.slice(1)
    if len(body) and _is_types_line(body["line"][0]):
        body = body.slice(1)
    body = body.filter(~pl.col("_blank"))
    if body.is_empty():
        reason = "CUCM file with a header but no records" + (" (CMR)" if is_cmr else "")
        return _empty_frames([_file_reject(reason, header_text, 1, ctx)])
    present = {
        name: next((s for s in spellings if s in header), None)
        for name, spellings in COLUMNS.items()
    }
    legs, rejected, bad_rows = _body_frames(data, body, split, header, present, is_cmr, ctx)
    rejects = _reject_frame(pl.concat([rejected, bad_rows]).sort("line_number"), ctx)
    return _Frames(legs, rejects, split.raw)


def _body_frames(
    data: bytes,
    body: pl.DataFrame,
    split: Lines,
    header: Sequence[str],
    present: dict[str, str | None],
    is_cmr: bool,
    ctx: ParseContext,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Legs, value rejects and malformed-line rejects of some non-blank data lines."""
    wanted = sorted({s for s in present.values() if s is not None})
    if split.starts is not None and split.stops is not None:
        # UTF-8 input: one compiled pass checks every line and cuts out the wanted fields.
        index = body["line_number"].to_numpy() - 1
        positions = field_positions(header)
        scanned = scan_lines(
            data,
            split.starts[index],
            split.stops[index],
            len(header),
            [positions[name] for name in wanted],
        )
        matched = pl.Series(scanned.good)
        columns = pl.DataFrame(
            [pl.Series(name, array) for name, array in zip(wanted, scanned.columns, strict=True)]
        )
        edge_space = dict(zip(wanted, scanned.edge_space.tolist(), strict=True))
    else:
        matched = pl.Series(
            match_lines(_body_lines(body, split.raw), csv_line_pattern(len(header)))
        )
        columns = None
        edge_space = None
    body = body.with_columns(_ok=pl.col("utf8") & matched)
    good, bad = body.filter(pl.col("_ok")), body.filter(~pl.col("_ok"))
    if columns is None:
        columns = read_csv_columns(good["line"], header, wanted)
    values = pl.concat([good.select("line_number", "line"), columns], how="horizontal")
    values = values.select(
        "line_number",
        "line",
        *(
            (pl.col(spelling) if spelling else pl.lit("", dtype=pl.String)).alias(name)
            for name, spelling in present.items()
        ),
    )
    if edge_space is None:
        plain = frozenset(name for name in _STRIPPED if not _may_need_strip(values[name]))
    else:
        plain = frozenset(
            name for name in _STRIPPED if not edge_space.get(present[name] or "", False)
        )
    # The streaming engine runs the expressions on morsels of rows on every core: the JSON of
    # `extra` alone is one single-threaded pass otherwise (half the expression time).
    computed = (
        _with_integers(values)
        .lazy()
        .with_columns(_shared_columns(ctx, plain))
        .with_columns(_reason_expr(is_cmr, plain))
        .with_columns(_leg_exprs(ctx, plain))
        .collect(engine="streaming")
    )
    legs = computed.select(
        *(name for name in LEG_SCHEMA.names if name != "raw"), pl.col("line_number").alias("_line")
    )
    rejected = computed.filter(pl.col("_reason").is_not_null()).select(
        "line_number", "line", pl.col("_reason").alias("reason"), pl.col("pkid").alias("_pkid")
    )
    if not rejected.is_empty():  # filtering copies every column: only when there is a reject
        legs = legs.filter(computed["_reason"].is_null())
    bad_rows = bad.select(
        "line_number",
        "line",
        pl.when(pl.col("utf8"))
        .then(
            pl.col("line").map_elements(
                lambda text: describe_bad_line(text, len(header)), return_dtype=pl.String
            )
        )
        .otherwise(pl.lit("line is not valid UTF-8"))
        .alias("reason"),
        pl.lit("", dtype=pl.String).alias("_pkid"),
    )
    return legs, rejected, bad_rows


def _body_lines(body: pl.DataFrame, raw: pa.Array) -> pa.Array:
    """The body's lines as Arrow strings, sliced from `raw` (no copy) when they are one run."""
    numbers = body["line_number"]
    first, last = int(numbers[0]), int(numbers[-1])
    if last - first == len(numbers) - 1:
        return raw.slice(first - 1, len(numbers))
    return raw.take(pa.array(numbers.to_numpy() - 1))


def _reject_frame(rows: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
    """Reject rows with ids: the record's pkid where it has one, else a hash of the line."""
    counter = OccurrenceCounter()
    ids = [
        pkid.strip() if pkid and pkid.strip() else counter.key(line)
        for pkid, line in zip(rows["_pkid"].to_list(), rows["line"].to_list(), strict=True)
    ]
    return rows.select(
        pl.lit(FORMAT).alias("source_format"),
        pl.Series("record_id", ids, dtype=pl.String),
        "reason",
        pl.col("line").alias("raw"),
        "line_number",
        pl.lit(ctx.file_name, dtype=pl.String).alias("file_name"),
    )


def _is_types_line(line: str) -> bool:
    fields = line.split(",")
    return all(_TYPE.fullmatch(field.strip().strip('"')) for field in fields)


# Text columns read stripped, empty as null (`_text`).
_TEXT_COLUMNS = (
    "authCodeDescription",
    "callingPartyNumber",
    "callingPartyNumberPartition",
    "clientMatterCode",
    "destDeviceName",
    "finalCalledPartyNumber",
    "finalCalledPartyNumberPartition",
    "globalCallId_ClusterID",
    "huntPilotDN",
    "lastRedirectDn",
    "lastRedirectDnPartition",
    "origDeviceName",
    "originalCalledPartyNumber",
    "originalCalledPartyNumberPartition",
    "outpulsedCalledPartyNumber",
    "outpulsedCallingPartyNumber",
)
# Every column some expression strips (`_stripped`); integers are parsed by `_with_integers`.
_STRIPPED = (
    *_TEXT_COLUMNS,
    "cdrRecordType",
    "pkid",
    "globalCallID_callManagerId",
    "globalCallID_callId",
)
_INT_COLUMNS = (
    "dateTimeOrigination",
    "dateTimeConnect",
    "dateTimeDisconnect",
    "duration",
    "origCause_value",
    "destCause_value",
    "origCalledPartyRedirectOnBehalfOf",
    "lastRedirectRedirectOnBehalfOf",
    "origCalledPartyRedirectReason",
    "lastRedirectRedirectReason",
    "destConversationId",
    "origConversationId",
    "destLegIdentifier",
    "origLegCallIdentifier",
    "destCallTerminationOnBehalfOf",
    "origCallTerminationOnBehalfOf",
    "totalWaitTimeInQueue",
)


def _with_integers(values: pl.DataFrame) -> pl.DataFrame:
    """`values` with the integer columns parsed once (`_i_<name>`), null where not an integer.

    The plain cast is tried first; only a column where it refused a non-empty value is parsed
    again with surrounding whitespace stripped (" 42" is 42), which most files never need.
    """
    quick = values.with_columns(
        pl.col(name).cast(pl.Int64, strict=False).alias(f"_i_{name}") for name in _INT_COLUMNS
    )
    refused = quick.select(
        (_int(name).is_null() & (pl.col(name) != "")).any().alias(name) for name in _INT_COLUMNS
    ).row(0, named=True)
    retry = [name for name, any_refused in refused.items() if any_refused]
    return quick.with_columns(_parse_int(name).alias(f"_i_{name}") for name in retry)


def _shared_columns(ctx: ParseContext, plain: frozenset[str]) -> list[pl.Expr]:
    """Columns several expressions share, computed once: stripped texts, the trunk flags."""
    return [_strip_to_null(name, plain).alias(f"_t_{name}") for name in _TEXT_COLUMNS] + [
        _is_trunk("origDeviceName", ctx.trunk_devices, plain).alias("_orig_trunk"),
        _is_trunk("destDeviceName", ctx.trunk_devices, plain).alias("_dest_trunk"),
    ]


def _int(name: str) -> pl.Expr:
    """An integer column prepared by _prepared()."""
    return pl.col(f"_i_{name}")


def _parse_int(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars().cast(pl.Int64, strict=False)


def _epoch_problem(name: str, allow_zero: bool = False) -> pl.Expr:
    """Why an epoch column is unusable, or null when it is fine."""
    value = _int(name)
    floor = 0 if allow_zero else 1
    return (
        pl.when(value.is_null())
        .then(pl.format(f"{name} {{}} is not an integer epoch", pl.col(name).str.escape_regex()))
        .when(value == 0)
        .then(pl.lit(f"{name} is 0 (epoch 0 is not a time)") if not allow_zero else pl.lit(None))
        .when((value < floor) | (value > _MAX_EPOCH))
        .then(pl.format(f"{name} {{}} is out of range", value))
    )


def _reason_expr(is_cmr: bool, plain: frozenset[str]) -> pl.Expr:
    """The first reason a parsed row cannot be a leg, or null (a chain of checks, in order)."""
    if is_cmr:
        return pl.lit(CMR_REASON, dtype=pl.String).alias("_reason")
    record_type = _stripped("cdrRecordType", plain)
    origination, connect = _int("dateTimeOrigination"), _int("dateTimeConnect")
    disconnect, duration = _int("dateTimeDisconnect"), _int("duration")
    checks: list[tuple[pl.Expr, pl.Expr]] = [
        (record_type == "2", pl.lit(CMR_REASON)),
        (record_type == "0", pl.lit("start record (cdrRecordType 0), not a CDR")),
        (record_type != "1", pl.format("cdrRecordType {} is not 1 (CDR)", record_type)),
        (_stripped("pkid", plain) == "", pl.lit("pkid is empty")),
    ]
    for name, allow_zero in (
        ("dateTimeOrigination", False),
        ("dateTimeDisconnect", False),
        ("dateTimeConnect", True),
    ):
        problem = _epoch_problem(name, allow_zero)
        checks.append((problem.is_not_null(), problem))
    checks += [
        (disconnect < origination, pl.lit("dateTimeDisconnect is before dateTimeOrigination")),
        (
            (connect > 0) & (connect < origination),
            pl.lit("dateTimeConnect is before dateTimeOrigination"),
        ),
        (
            (connect > 0) & (connect > disconnect),
            pl.lit("dateTimeConnect is after dateTimeDisconnect"),
        ),
        (
            (connect > 0) & duration.is_null(),
            pl.format("duration {} is not an integer", pl.col("duration")),
        ),
        ((connect > 0) & (duration < 0), pl.format("duration {} is negative", duration)),
    ]
    condition, reason = checks[0]
    chain: Any = pl.when(condition).then(reason)
    for condition, reason in checks[1:]:
        chain = chain.when(condition).then(reason)
    result: pl.Expr = chain.otherwise(pl.lit(None, dtype=pl.String)).alias("_reason")
    return result


def _stripped(name: str, plain: frozenset[str]) -> pl.Expr:
    """A string column without surrounding whitespace (stripped only if it may have some)."""
    return pl.col(name) if name in plain else pl.col(name).str.strip_chars()


def _may_need_strip(column: pl.Series) -> bool:
    """Whether some value may start or end with whitespace, from its first and last bytes.

    Reads the string views polars exports (no copy): a view holds a value's length and its
    first bytes (the whole value up to 12 bytes, else a 4-byte prefix and where the rest is).
    Whitespace is ASCII 9-13 or 32, or a character of two or more bytes, all of whose bytes
    are over 127: a value with other first and last bytes is left as it is by `strip_chars`.
    """
    exported = column.to_arrow(compat_level=pl.CompatLevel.newest())
    chunks = exported.chunks if isinstance(exported, pa.ChunkedArray) else [exported]
    for array in chunks:
        if not pa.types.is_string_view(array.type) or array.null_count:
            return True
        views = np.frombuffer(array.buffers()[1], dtype=np.uint8).reshape(-1, 16)
        views = views[array.offset : array.offset + len(array)]
        fields = views.view(np.int32)  # length, prefix, buffer index, offset
        lengths = fields[:, 0]
        # The first byte is at 4 (inline value or prefix; 0 for an empty value).
        if _space_like(views[:, 4]).any():
            return True
        # The last byte of an inline value is at 3 + length (a length byte, 0, when empty).
        short = np.flatnonzero((lengths > 0) & (lengths <= _INLINE))
        if _space_like(views[short, 3 + lengths[short]]).any():
            return True
        long = np.flatnonzero(lengths > _INLINE)
        if not len(long):
            continue
        # The rest of a long value is in a data buffer; look runs of the same buffer up at once.
        index = fields[long, 2]
        runs = np.split(long, np.flatnonzero(np.diff(index)) + 1)
        buffers = array.buffers()[2:]
        for run in runs:
            data = np.frombuffer(buffers[fields[run[0], 2]], dtype=np.uint8)
            if _space_like(data[fields[run, 3] + lengths[run] - 1]).any():
                return True
    return False


def _space_like(first_or_last: np.ndarray) -> np.ndarray:
    """Bytes whitespace can start or end with (see `_may_need_strip`)."""
    found: np.ndarray = _SPACE_LIKE[first_or_last]
    return found


def _strip_to_null(name: str, plain: frozenset[str]) -> pl.Expr:
    """A string column stripped, with empty values as null (numbers, names, partitions)."""
    value = _stripped(name, plain)
    return pl.when(value == "").then(None).otherwise(value)


def _text(name: str) -> pl.Expr:
    """A text column prepared by _shared_columns()."""
    return pl.col(f"_t_{name}")


def _is_trunk(name: str, trunk_devices: frozenset[str], plain: frozenset[str]) -> pl.Expr:
    device = _stripped(name, plain)
    if trunk_devices:
        return device.is_in(sorted(trunk_devices))
    # No trunk list for the site: anything that is not a phone is taken as a trunk or gateway.
    # Upper-casing maps each character on its own, so the first three decide the prefix.
    start = device.str.slice(0, 3).str.to_uppercase()
    phone = start.str.contains("^(?:" + "|".join(PHONE_PREFIXES) + ")")
    return (device != "") & ~phone


def _timestamp(value: pl.Expr) -> pl.Expr:
    return pl.from_epoch(value, time_unit="s").dt.cast_time_unit("us").dt.replace_time_zone("UTC")


def _leg_exprs(ctx: ParseContext, plain: frozenset[str]) -> list[pl.Expr]:
    origination, connect = _int("dateTimeOrigination"), _int("dateTimeConnect")
    disconnect = _int("dateTimeDisconnect")
    answered = connect.fill_null(0) > 0
    orig_trunk, dest_trunk = pl.col("_orig_trunk"), pl.col("_dest_trunk")
    direction = (
        pl.when(orig_trunk)
        .then(pl.lit("inbound"))
        .when(dest_trunk)
        .then(pl.lit("outbound"))
        .when(_text("origDeviceName").is_not_null() & _text("destDeviceName").is_not_null())
        .then(pl.lit("internal"))
        .otherwise(pl.lit("unknown"))
    )
    orig_cause, dest_cause = _int("origCause_value"), _int("destCause_value")
    cause = (
        pl.when(dest_cause.fill_null(0) != 0).then(dest_cause).otherwise(orig_cause.fill_null(0))
    )
    split = (orig_cause == _SPLIT_BY_TRANSFER) | (dest_cause == _SPLIT_BY_TRANSFER)
    disposition = (
        pl.when(answered)
        .then(pl.lit("answered"))
        .when(split.fill_null(False))
        .then(pl.lit("no_answer"))
        .when(cause == 17)
        .then(pl.lit("busy"))
        .when(cause.is_in([0, 16, 18, 19]))
        .then(pl.lit("no_answer"))
        .otherwise(pl.lit("failed"))
    )
    recording = (
        (_int("origCalledPartyRedirectOnBehalfOf") == 27)
        | (_int("lastRedirectRedirectOnBehalfOf") == 27)
        | (_int("origCalledPartyRedirectReason") == 354)
        | (_int("lastRedirectRedirectReason") == 354)
    ).fill_null(False)
    extra = {
        "auth_code_description": _text("authCodeDescription"),
        "calling_partition": _text("callingPartyNumberPartition"),
        "cluster_id": _text("globalCallId_ClusterID"),
        "dest_cause": dest_cause,
        "dest_conversation_id": _int("destConversationId"),
        "dest_device": _text("destDeviceName"),
        "dest_leg_id": _int("destLegIdentifier"),
        "dest_termination_on_behalf_of": _int("destCallTerminationOnBehalfOf"),
        "direction_basis": pl.lit(
            "trunk_devices" if ctx.trunk_devices else "device_name_heuristic"
        ),
        "final_called_partition": _text("finalCalledPartyNumberPartition"),
        "hunt_pilot_dn": _text("huntPilotDN"),
        "is_recording_leg": recording,
        "is_transfer_split": split.fill_null(False),
        "last_redirect_dn": _text("lastRedirectDn"),
        "last_redirect_partition": _text("lastRedirectDnPartition"),
        "last_redirect_reason": _int("lastRedirectRedirectReason"),
        "orig_cause": orig_cause,
        "orig_conversation_id": _int("origConversationId"),
        "orig_device": _text("origDeviceName"),
        "orig_leg_id": _int("origLegCallIdentifier"),
        "orig_redirect_reason": _int("origCalledPartyRedirectReason"),
        "orig_termination_on_behalf_of": _int("origCallTerminationOnBehalfOf"),
        "original_called_number": _text("originalCalledPartyNumber"),
        "original_called_partition": _text("originalCalledPartyNumberPartition"),
        "outpulsed_called_number": _text("outpulsedCalledPartyNumber"),
        "outpulsed_calling_number": _text("outpulsedCallingPartyNumber"),
        "total_wait_in_queue_seconds": _int("totalWaitTimeInQueue"),
    }
    return [
        direction.alias("direction"),
        pl.lit(FORMAT).alias("source_format"),
        _stripped("pkid", plain).alias("source_record_id"),
        pl.concat_str(
            _stripped("globalCallId_ClusterID", plain),
            _stripped("globalCallID_callManagerId", plain),
            _stripped("globalCallID_callId", plain),
            separator=":",
        ).alias("call_id"),
        _timestamp(origination).alias("started_at"),
        pl.when(answered).then(_timestamp(connect)).alias("answered_at"),
        _timestamp(disconnect).alias("ended_at"),
        (pl.when(answered).then(connect).otherwise(disconnect) - origination).alias("ring_seconds"),
        pl.when(answered).then(_int("duration")).otherwise(0).alias("duration_seconds"),
        disposition.alias("disposition"),
        _text("callingPartyNumber").alias("calling_number"),
        _text("finalCalledPartyNumber").alias("called_number"),
        pl.when(orig_trunk)
        .then(_text("finalCalledPartyNumber"))
        .otherwise(_text("callingPartyNumber"))
        .alias("extension"),
        pl.when(orig_trunk)
        .then(_text("origDeviceName"))
        .when(dest_trunk)
        .then(_text("destDeviceName"))
        .otherwise(None)
        .alias("trunk"),
        _text("clientMatterCode").alias("account_code"),
        pl.struct([value.alias(key) for key, value in extra.items()])
        .struct.json_encode()
        .alias("extra"),
    ]
