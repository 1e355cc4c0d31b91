"""Read-only access to the sidecar's live state (streaming/live_store.py: SQLite, WAL), never the
warehouse. The API opens the file read-only per request, so the sidecar's writes are never
blocked. Times are stored as ISO-8601 UTC text and handed out as tz-aware datetimes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Row = dict[str, Any]

_TIME_COLUMNS = frozenset(
    {
        "started_at",
        "answered_at",
        "updated_at",
        "since",
        "last_call_ended_at",
        "ended_at",
        "event_at",
        "detected_at",
        "last_record_at",
    }
)


class LiveStoreUnavailable(Exception):
    """No live state to read (the sidecar never ran here): HTTP 503."""


def _parse_time(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return None if value == "" else value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class LiveState:
    """One read-only connection to the live store, for the length of a request."""

    def __init__(self, connection: sqlite3.Connection, now: datetime) -> None:
        self._connection = connection
        self.now = now

    @classmethod
    @contextmanager
    def open(cls, path: Path, now: datetime | None = None) -> Iterator[LiveState]:
        """Open the live store read-only; closed on exit.

        Raises:
            LiveStoreUnavailable: the file does not exist or cannot be read.
        """
        if not path.exists():
            raise LiveStoreUnavailable(
                f"no live state at {path}: is the sidecar (`callmeter stream`) running?"
            )
        try:
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        except sqlite3.Error as error:
            raise LiveStoreUnavailable(f"cannot open the live state at {path}: {error}") from None
        try:
            yield cls(connection, now or datetime.now(UTC))
        finally:
            connection.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one query and return its rows as dicts, time columns parsed."""
        try:
            cursor = self._connection.execute(sql, tuple(params))
            names = [column[0] for column in cursor.description or ()]
            fetched = cursor.fetchall()
        except sqlite3.OperationalError as error:  # a table missing: an older sidecar's file
            raise LiveStoreUnavailable(f"the live state cannot answer: {error}") from None
        return [
            {
                name: _parse_time(value) if name in _TIME_COLUMNS else value
                for name, value in zip(names, row, strict=True)
            }
            for row in fetched
        ]

    def _seconds_since(self, moment: datetime | None) -> int | None:
        if moment is None:
            return None
        return max(0, int((self.now - moment).total_seconds()))

    def calls(self, tenant: str | None, site: str | None) -> list[Row]:
        """Calls in progress, oldest first, with how long each has been going."""
        where, params = _where(tenant, site)
        rows = self.rows(f"select * from calls {where} order by started_at, call_id", params)
        for row in rows:
            row["seconds_so_far"] = self._seconds_since(row["started_at"])
        return rows

    def extensions(self, tenant: str | None, site: str | None) -> list[Row]:
        """Status of every extension the sidecar has seen."""
        where, params = _where(tenant, site)
        rows = self.rows(
            f"select * from extensions {where} order by tenant_id, site_id, extension", params
        )
        for row in rows:
            row["seconds_in_status"] = self._seconds_since(row["since"])
        return rows

    def trunks(self, tenant: str | None, site: str | None) -> list[Row]:
        """Legs in progress per trunk against its configured channels (trunks with either)."""
        where, params = _where(tenant, site)
        rows = self.rows(
            f"""select * from (
                select t.tenant_id, t.site_id, t.trunk, t.channels, coalesce(c.active, 0) as active
                from trunks t left join (
                    select tenant_id, site_id, trunk, count(*) as active from calls
                    where trunk is not null group by tenant_id, site_id, trunk
                ) c on c.tenant_id = t.tenant_id and c.site_id = t.site_id and c.trunk = t.trunk
                union all
                select c.tenant_id, c.site_id, c.trunk, null, count(*) from calls c
                where c.trunk is not null and not exists (select 1 from trunks t
                    where t.tenant_id = c.tenant_id and t.site_id = c.site_id and t.trunk = c.trunk)
                group by c.tenant_id, c.site_id, c.trunk
            ) {where} order by tenant_id, site_id, trunk""",
            params,
        )
        for row in rows:
            channels = row["channels"]
            row["utilisation"] = round(row["active"] / channels, 4) if channels else None
        return rows

    def alerts(self, tenant: str | None, site: str | None, limit: int) -> list[Row]:
        """The latest alerts, newest first."""
        where, params = _where(tenant, site)
        return self.rows(
            f"select * from alerts {where} order by detected_at desc, alert_id limit ?",
            [*params, limit],
        )

    def feeds(self) -> list[Row]:
        """Feed health per listener: records, rejects, and how long since the last record."""
        rows = self.rows("select * from feeds order by listener")
        for row in rows:
            row["seconds_since_last_record"] = self._seconds_since(row["last_record_at"])
        return rows


def _where(tenant: str | None, site: str | None) -> tuple[str, list[Any]]:
    clauses = [(name, value) for name, value in (("tenant_id", tenant), ("site_id", site)) if value]
    if not clauses:
        return "", []
    return "where " + " and ".join(f"{name} = ?" for name, _ in clauses), [v for _, v in clauses]
