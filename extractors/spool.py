"""An append-only spool on disk for pushed feeds: every received line is on disk before it is
processed, so a crash loses nothing that was read (docs/design.md, "spool to raw.*").

Layout: one stream per (tenant, site, format) under the spool dir,
``<spool_dir>/<tenant>/<site>/<format>/``, holding numbered segment files
``<20-digit sequence>.seg`` and one cursor file per consumer (``cursor.<consumer>``).

A segment is a sequence of framed records, so any byte (a newline, a NUL) may sit in a line::

    <kind> <arrived_at_us> <payload_bytes> <reason, percent-encoded or ->\\n<payload>\\n

``kind`` is ``L`` for a line and ``R`` for a rejected record (a line cut off at max_line_bytes, a
half line at disconnect). A record torn by a crash (no fsync yet, so never processed) is cut off
when the writer reopens the stream; readers stop before it.

Readers keep a durable cursor per consumer: `read_new(consumer)` returns what came after it and
`commit(consumer, position)` moves it (written to a temp file, fsync'd, renamed)."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote

from callmeter.legs import Rejected

log = logging.getLogger(__name__)

DEFAULT_MAX_LINE_BYTES = 64 * 1024
DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024
DEFAULT_SEGMENT_SECONDS = 3600.0
_SEGMENT = re.compile(r"^(\d{20})\.seg$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class SpoolError(ValueError):
    """A spool that cannot be used: a bad stream name, a corrupt segment."""


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A place in one stream: the segment number and the byte offset in it."""

    segment: int = 0
    offset: int = 0

    def encode(self) -> str:
        return f"{self.segment} {self.offset}"

    @classmethod
    def decode(cls, text: str) -> Position:
        segment, offset = text.split()
        return cls(int(segment), int(offset))


@dataclass(frozen=True, slots=True)
class StreamKey:
    """Which feed a stream holds."""

    tenant_id: str
    site_id: str
    source_format: str

    def path(self, spool_dir: Path) -> Path:
        for part in (self.tenant_id, self.site_id, self.source_format):
            if not _SAFE_NAME.match(part):
                raise SpoolError(
                    f"spool stream name part {part!r} has characters a path can't hold"
                )
        return spool_dir / self.tenant_id / self.site_id / self.source_format


@dataclass(frozen=True, slots=True)
class SpoolRecord:
    """One spooled record: a received line, or a reject with its reason."""

    payload: bytes
    arrived_at: datetime  # UTC
    reason: str | None = None  # set for a reject
    end: Position = field(default_factory=Position)  # where the next record starts

    @property
    def is_reject(self) -> bool:
        return self.reason is not None


def _frame(payload: bytes, arrived_at: datetime, reason: str | None) -> bytes:
    micros = int(arrived_at.timestamp() * 1_000_000)
    kind = "R" if reason is not None else "L"
    encoded = quote(reason, safe="") if reason is not None else "-"
    return f"{kind} {micros} {len(payload)} {encoded}\n".encode() + payload + b"\n"


def _segments(directory: Path) -> list[int]:
    if not directory.is_dir():
        return []
    found = (_SEGMENT.match(p.name) for p in directory.iterdir())
    return sorted(int(m.group(1)) for m in found if m)


def _segment_path(directory: Path, number: int) -> Path:
    return directory / f"{number:020d}.seg"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_frames(data: bytes, start: int) -> Iterator[tuple[SpoolRecord, int]]:
    """Complete frames of a segment from `start`; stops at a torn or missing tail."""
    offset = start
    while offset < len(data):
        newline = data.find(b"\n", offset)
        if newline < 0:
            return
        try:
            kind, micros, size, reason = data[offset:newline].decode("ascii").split(" ")
            length = int(size)
            stamp = datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
        except (UnicodeDecodeError, ValueError):
            raise SpoolError(f"corrupt spool frame header at byte {offset}") from None
        end = newline + 1 + length + 1
        if end > len(data):
            return  # torn tail: written but never fsync'd, so never processed
        payload = data[newline + 1 : newline + 1 + length]
        text = unquote(reason) if kind == "R" else None
        yield SpoolRecord(payload, stamp, text), end
        offset = end


class SpoolWriter:
    """Appends to one stream. Not thread-safe: one writer per stream (one listener owns it)."""

    def __init__(
        self,
        spool_dir: Path,
        key: StreamKey,
        *,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
        segment_seconds: float = DEFAULT_SEGMENT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.key = key
        self.directory = key.path(spool_dir)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_line_bytes = max_line_bytes
        self.segment_bytes = segment_bytes
        self.segment_seconds = segment_seconds
        self._clock = clock
        segments = _segments(self.directory)
        self._number = segments[-1] if segments else 1
        path = _segment_path(self.directory, self._number)
        self._repair(path)
        self._file = open(path, "ab")  # noqa: SIM115 - held open for the writer's life
        self._size = self._file.tell()
        self._opened = clock()

    @staticmethod
    def _repair(path: Path) -> None:
        """Cut a torn tail left by a crash, so new records follow complete ones."""
        if not path.exists():
            return
        data = path.read_bytes()
        good = 0
        for _, end in _read_frames(data, 0):
            good = end
        if good != len(data):
            log.warning("spool %s: cutting a torn tail of %d bytes", path, len(data) - good)
            with open(path, "r+b") as handle:
                handle.truncate(good)
                os.fsync(handle.fileno())

    @property
    def position(self) -> Position:
        return Position(self._number, self._size)

    def append(self, payload: bytes, arrived_at: datetime, reason: str | None = None) -> Position:
        """Write one record (not yet durable: call `sync`). A line over max_line_bytes is cut
        off and written as a reject with the reason; returns the position after the record."""
        if reason is None and len(payload) > self.max_line_bytes:
            reason = f"line of {len(payload)} bytes is longer than max_line_bytes ({self.max_line_bytes}); cut off"
        if len(payload) > self.max_line_bytes:
            payload = payload[: self.max_line_bytes]
        if self._size >= self.segment_bytes or (
            self._size and self._clock() - self._opened >= self.segment_seconds
        ):
            self._rotate()
        frame = _frame(payload, arrived_at, reason)
        self._file.write(frame)
        self._size += len(frame)
        return self.position

    def sync(self) -> None:
        """Flush and fsync: after this, every appended record survives a crash."""
        self._file.flush()
        os.fsync(self._file.fileno())

    def _rotate(self) -> None:
        self.sync()
        self._file.close()
        self._number += 1
        self._file = open(_segment_path(self.directory, self._number), "ab")  # noqa: SIM115
        _fsync_dir(self.directory)
        self._size = 0
        self._opened = self._clock()

    def close(self) -> None:
        if not self._file.closed:
            self.sync()
            self._file.close()


class SpoolReader:
    """Reads one stream for named consumers, each with its own durable cursor."""

    def __init__(self, spool_dir: Path, key: StreamKey) -> None:
        self.key = key
        self.directory = key.path(spool_dir)

    def cursor(self, consumer: str) -> Position:
        path = self._cursor_path(consumer)
        try:
            return Position.decode(path.read_text(encoding="ascii"))
        except FileNotFoundError:
            return Position()
        except ValueError:
            raise SpoolError(f"{path}: corrupt cursor file") from None

    def read_new(
        self, consumer: str, max_records: int = 10_000, start: Position | None = None
    ) -> list[SpoolRecord]:
        """Records after the consumer's cursor (or `start`), at most `max_records`, in order."""
        position = start if start is not None else self.cursor(consumer)
        records: list[SpoolRecord] = []
        for number in _segments(self.directory):
            if number < position.segment:
                continue
            offset = position.offset if number == position.segment else 0
            with open(_segment_path(self.directory, number), "rb") as handle:
                handle.seek(offset)
                data = handle.read()
            for record, end in _read_frames(data, 0):
                records.append(
                    SpoolRecord(
                        record.payload,
                        record.arrived_at,
                        record.reason,
                        Position(number, offset + end),
                    )
                )
                if len(records) >= max_records:
                    return records
        return records

    def commit(self, consumer: str, position: Position) -> None:
        """Move the consumer's cursor durably (temp file, fsync, rename)."""
        path = self._cursor_path(consumer)
        temp = path.with_suffix(f".tmp{os.getpid()}")
        with open(temp, "w", encoding="ascii") as handle:
            handle.write(position.encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
        _fsync_dir(self.directory)

    def prune(self, consumers: list[str]) -> int:
        """Delete segments every named consumer has read past (never the newest); returns how many."""
        oldest = min((self.cursor(c).segment for c in consumers), default=0)
        segments = _segments(self.directory)
        removed = 0
        for number in segments[:-1]:
            if number < oldest:
                _segment_path(self.directory, number).unlink()
                removed += 1
        return removed

    def _cursor_path(self, consumer: str) -> Path:
        if not _SAFE_NAME.match(consumer):
            raise SpoolError(f"consumer name {consumer!r} has characters a path can't hold")
        return self.directory / f"cursor.{consumer}"


def streams(spool_dir: Path) -> list[StreamKey]:
    """Every stream under the spool dir."""
    found: list[StreamKey] = []
    if not spool_dir.is_dir():
        return found
    for tenant in sorted(p for p in spool_dir.iterdir() if p.is_dir()):
        for site in sorted(p for p in tenant.iterdir() if p.is_dir()):
            for fmt in sorted(p for p in site.iterdir() if p.is_dir()):
                if _segments(fmt):
                    found.append(StreamKey(tenant.name, site.name, fmt.name))
    return found


@dataclass(frozen=True, slots=True)
class SpoolBatch:
    """What batch ingest picks up from one stream: the records (`payloads`; for line formats also
    `data`, one newline-separated input for the format's parser), the spooled rejects, and the
    callback that moves the cursor past them (call it only after the batch has landed)."""

    tenant_id: str
    site_id: str
    source_format: str
    data: bytes
    rejects: list[Rejected]
    commit: Callable[[], None]
    records: int
    payloads: tuple[bytes, ...] = ()  # one entry per spooled record (a line, or a webhook body)


def spool_batches(
    spool_dir: Path, consumer: str, max_records: int = 100_000
) -> Iterator[SpoolBatch]:
    """One batch per stream with new records for `consumer` (e.g. "ingest"); each batch's
    `commit()` makes the cursor durable. Uncommitted batches come back on the next call."""
    for key in streams(spool_dir):
        reader = SpoolReader(spool_dir, key)
        records = reader.read_new(consumer, max_records=max_records)
        if not records:
            continue
        lines = [r.payload.rstrip(b"\r") for r in records if not r.is_reject]
        rejects = [
            Rejected(
                source_format=key.source_format,  # type: ignore[arg-type]
                record_id=f"spool-{r.end.segment}-{r.end.offset}",
                reason=r.reason or "",
                raw=r.payload.decode("utf-8", "replace"),
                file_name=f"spool:{key.tenant_id}/{key.site_id}/{key.source_format}",
            )
            for r in records
            if r.is_reject
        ]
        end = records[-1].end

        def commit(reader: SpoolReader = reader, end: Position = end) -> None:
            reader.commit(consumer, end)

        yield SpoolBatch(
            key.tenant_id,
            key.site_id,
            key.source_format,
            b"\n".join(lines) + (b"\n" if lines else b""),
            rejects,
            commit,
            len(records),
            tuple(lines),
        )
