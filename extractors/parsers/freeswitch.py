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

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from callmeter.legs import CallLeg, OccurrenceCounter, Rejected

from . import ParseContext
from ._localtime import LegRow, LocalClock, direction_by_length, items_from_rows, tables_from_rows
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
    """The bulk path: the same rows as `parse`, collected straight into Arrow tables."""
    return tables_from_rows(FORMAT, _rows(data, ctx, _Options(ctx.options)), ctx.file_name)


def _rows(data: bytes, ctx: ParseContext, options: _Options) -> Iterator[LegRow | Rejected]:
    clock = LocalClock(ctx.timezone)
    keys = OccurrenceCounter()
    parsed: list[LegRow | Rejected] = []
    b_to_a: dict[str, str] = {}  # bleg_uuid -> the A-leg's uuid, to group legs=ab rows
    columns = options.columns
    for number, raw, fields in csv_records(data):
        try:
            if fields[0].startswith("\x00csv error"):
                raise ValueError(fields[0][1:])
            if len(fields) != len(columns):
                raise ValueError(f"row has {len(fields)} fields, the template has {len(columns)}")
            r = dict(zip(columns, fields, strict=True))
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
