"""One parser per PBX format: pure functions from bytes to legs and rejects, shared by
`callmeter parse`, the batch ingest and the streaming sidecar.

A parser module exposes `parse(data: bytes, ctx: ParseContext) -> Iterator[CallLeg | Rejected]`.
It may also expose `parse_table(data, ctx) -> ParsedTables` for a vectorised bulk path; ingest
uses it where present (extractors.parsers.tables)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from callmeter.legs import FORMATS, CallLeg, Rejected

# source_format -> module under extractors.parsers (a module name can't start with a digit).
MODULES: dict[str, str] = {fmt: fmt for fmt in FORMATS} | {"3cx": "three_cx"}


@dataclass(frozen=True, slots=True)
class ParseContext:
    """Everything a parser may know besides the bytes it is given: no clock, no machine zone."""

    timezone: ZoneInfo  # the site's zone, for formats that write local time
    now: datetime  # UTC; for formats that write no year ("latest year not in the future")
    trunk_devices: frozenset[str] = field(
        default_factory=frozenset
    )  # site `trunks:` + `trunk_devices:`
    options: Mapping[str, Any] = field(
        default_factory=dict
    )  # the site's `formats.<format>` options
    file_name: str | None = None  # for reject messages


Parser = Callable[[bytes, ParseContext], Iterator[CallLeg | Rejected]]


def parser_module(source_format: str) -> ModuleType:
    """The module of one format, imported on demand so `callmeter parse` stays fast."""
    try:
        name = MODULES[source_format]
    except KeyError:
        known = ", ".join(FORMATS)
        raise ValueError(f"unknown format {source_format!r} (known: {known})") from None
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name == f"{__name__}.{name}":
            raise ValueError(f"format {source_format!r} has no parser yet") from None
        raise


def get_parser(source_format: str) -> Parser:
    parse: Parser = parser_module(source_format).parse
    return parse
