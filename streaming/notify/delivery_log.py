"""The delivery log: one SQLite file in the sidecar's state folder that is also the queue.

`alerts` holds each submitted alert once (its exact JSON body, so a retry after a restart sends the
same bytes); `deliveries` holds one row per alert and target with its status, attempts, last
response code, latency, last error and next attempt time. Pending rows are the queue: a restarted
dispatcher resumes them; delivered and failed rows are never sent again.

The connection is used from one thread only (the dispatcher's log thread). Writes are grouped:
`run_batch` runs many small operations in one transaction, so a burst of alerts costs one commit
(and one fsync) rather than one each.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
FILENAME = "notify.sqlite3"
_SCHEMA_VERSION = 1

_SCHEMA = f"""
create table if not exists alerts (
    alert_id     text primary key,
    payload      text not null,          -- the exact JSON body sent to every target
    submitted_at real not null           -- Unix seconds
);
create table if not exists deliveries (
    alert_id        text not null references alerts (alert_id),
    target_id       text not null,
    status          text not null check (status in ('{PENDING}', '{DELIVERED}', '{FAILED}')),
    attempts        integer not null default 0,
    response_code   integer,             -- HTTP status, or a command's exit status
    latency_ms      real,                -- of the last attempt
    last_error      text,
    next_attempt_at real,                -- Unix seconds; null once settled
    created_at      real not null,
    updated_at      real not null,
    delivered_at    real,
    primary key (alert_id, target_id)
);
create index if not exists deliveries_pending on deliveries (next_attempt_at)
    where status = '{PENDING}';
pragma user_version = {_SCHEMA_VERSION};
"""

Operation = Callable[[sqlite3.Connection], Any]


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One row of the delivery log: an alert's delivery to one target."""

    alert_id: str
    target_id: str
    status: str
    attempts: int
    response_code: int | None
    latency_ms: float | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """A delivery still to be made, as the dispatcher resumes it."""

    alert_id: str
    target_id: str
    payload: str
    attempts: int
    next_attempt_at: float


def _utc(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


class DeliveryLog:
    """The SQLite file; every method must be called from the same thread."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / FILENAME
        self._conn: sqlite3.Connection | None = None

    def open(self) -> None:
        """Create the folder and the schema if needed; WAL so readers never block the writer."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None)  # transactions are explicit
            conn.execute("pragma journal_mode = wal")
        except (OSError, sqlite3.Error) as error:
            raise RuntimeError(f"{self.path}: cannot open the delivery log: {error}") from None
        # FULL: a commit is on disk when it returns (submit promises durability); batching keeps
        # the number of fsyncs at one per group of operations.
        conn.execute("pragma synchronous = full")
        conn.execute("pragma foreign_keys = on")
        conn.execute("pragma busy_timeout = 5000")
        version = conn.execute("pragma user_version").fetchone()[0]
        if version > _SCHEMA_VERSION:
            conn.close()
            raise RuntimeError(
                f"{self.path}: written by a newer Callmeter (schema {version}); refusing to change it"
            )
        conn.executescript(_SCHEMA)
        self._conn = conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the delivery log is not open")
        return self._conn

    def run_batch(self, operations: Sequence[Operation]) -> list[tuple[bool, Any]]:
        """Run operations in one transaction; each is isolated by a savepoint.

        Returns:
            Per operation, (True, result) or (False, the exception it raised).
        """
        conn = self.conn
        results: list[tuple[bool, Any]] = []
        conn.execute("begin immediate")
        try:
            for operation in operations:
                conn.execute("savepoint op")
                try:
                    results.append((True, operation(conn)))
                    conn.execute("release op")
                except Exception as error:  # reported to the caller of this one operation
                    conn.execute("rollback to op")
                    conn.execute("release op")
                    results.append((False, error))
            conn.execute("commit")
        except BaseException:
            if conn.in_transaction:
                conn.execute("rollback")
            raise
        return results


# The operations below take the connection and run inside run_batch's transaction.


def add_alert(alert_id: str, payload: str, target_ids: Sequence[str], now: float) -> Operation:
    """Store an alert and a pending delivery per target, unless the alert_id is already known.

    The operation returns True when the alert is new, False for a duplicate.
    """

    def run(conn: sqlite3.Connection) -> bool:
        inserted = conn.execute(
            "insert or ignore into alerts (alert_id, payload, submitted_at) values (?, ?, ?)",
            (alert_id, payload, now),
        ).rowcount
        if not inserted:
            return False
        conn.executemany(
            "insert into deliveries (alert_id, target_id, status, attempts, next_attempt_at,"
            " created_at, updated_at) values (?, ?, ?, 0, ?, ?, ?)",
            [(alert_id, target, PENDING, now, now, now) for target in target_ids],
        )
        return True

    return run


def record_attempt(
    alert_id: str,
    target_id: str,
    *,
    attempts: int,
    status: str,
    response_code: int | None,
    latency_ms: float,
    error: str | None,
    next_attempt_at: float | None,
    now: float,
) -> Operation:
    """Write the outcome of one attempt (only while the delivery is still pending)."""

    def run(conn: sqlite3.Connection) -> int:
        return conn.execute(
            "update deliveries set attempts = ?, status = ?, response_code = ?, latency_ms = ?,"
            " last_error = ?, next_attempt_at = ?, updated_at = ?,"
            " delivered_at = case when ? = ? then ? else delivered_at end"
            " where alert_id = ? and target_id = ? and status = ?",
            (
                attempts,
                status,
                response_code,
                latency_ms,
                error,
                next_attempt_at,
                now,
                status,
                DELIVERED,
                now,
                alert_id,
                target_id,
                PENDING,
            ),
        ).rowcount

    return run


def pending_deliveries(conn: sqlite3.Connection) -> list[PendingDelivery]:
    """Every pending delivery, oldest due first."""
    rows = conn.execute(
        "select d.alert_id, d.target_id, a.payload, d.attempts, coalesce(d.next_attempt_at, 0)"
        " from deliveries d join alerts a using (alert_id)"
        " where d.status = ? order by d.next_attempt_at, d.created_at",
        (PENDING,),
    ).fetchall()
    return [PendingDelivery(*row) for row in rows]


def deliveries_of(alert_id: str) -> Operation:
    """The delivery rows of one alert, by target id."""

    def run(conn: sqlite3.Connection) -> list[DeliveryRecord]:
        rows = conn.execute(
            "select alert_id, target_id, status, attempts, response_code, latency_ms, last_error,"
            " next_attempt_at, created_at, updated_at, delivered_at"
            " from deliveries where alert_id = ? order by target_id",
            (alert_id,),
        ).fetchall()
        return [
            DeliveryRecord(
                alert_id=row[0],
                target_id=row[1],
                status=row[2],
                attempts=row[3],
                response_code=row[4],
                latency_ms=row[5],
                last_error=row[6],
                next_attempt_at=_utc(row[7]),
                created_at=_utc(row[8]),  # type: ignore[arg-type]
                updated_at=_utc(row[9]),  # type: ignore[arg-type]
                delivered_at=_utc(row[10]),
            )
            for row in rows
        ]

    return run
