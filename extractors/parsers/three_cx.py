"""3CX call data records (`source_format = 3cx`): CSV lines, one record per call.

The same parser reads the CDR log file and the CDR socket (one record per line), so `parse` on a
single line is cheap: no per-file set-up beyond the field map. There is no header: the field order
is the administrator's choice, given per site as `formats: {3cx: {fields: [...]}}` in
callmeter.yaml (`ParseContext.options["fields"]`); the default is 3CX's "all fields" order
(docs/pbx-formats/3cx.md). A line whose field count differs from the map is rejected.

Times are the PBX's local wall-clock time, converted with the site zone (`ParseContext.timezone`);
at DST changes an ambiguous time takes its first occurrence and a time in the gap is shifted
forward, and the leg's `extra["dst"]` says which field was adjusted how.

Each record is mapped once into a `LegRow` (extractors.parsers._localtime), which becomes either a
CallLeg (`parse`) or Arrow columns (`parse_table`), so both paths share one implementation.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from callmeter.legs import CallLeg, OccurrenceCounter, Rejected, SourceFormat

from . import ParseContext
from ._localtime import LegRow, LocalClock, items_from_rows, tables_from_rows
from .tables import ParsedTables

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
_TIME = re.compile(
    r"\s*(\d{4})[/-](\d{1,2})[/-](\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?\s*"
)
_DURATION = re.compile(r"\s*(\d+):(\d{2}):(\d{2})(?:\.\d+)?\s*")
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
        ValueError: the option is not a list of names, or lacks time-start / time-end.
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
    """The bulk path: the same records as `parse`, as Arrow tables without CallLeg objects."""
    return tables_from_rows(FORMAT, _rows(data, ctx), ctx.file_name)


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
        if line is None:
            yield _reject(keys, "line is not valid UTF-8", raw, number, ctx)
            continue
        try:
            yield mapper.row(line, keys)
        except _BadRecord as error:
            yield _reject(keys, str(error), raw, number, ctx)


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
    if len(value) == 19 and value[4] == "/" and value[7] == "/" and value[13] == ":":
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
        bill_cost = (r.get("bill-cost") or "").strip()
        if bill_cost:
            extra["bill_cost"] = bill_cost  # 3CX's own figure, as text: never used for rating
        if notes:
            extra["dst"] = notes
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
