"""Read-only access to marts.*: the serving snapshot in DuckDB mode, the marts directly in
Postgres mode (docs/design.md; docs/style.md layering rule 5).

Connections are short-lived: one per request, opened read-only, closed when the request ends, so
a build can publish a new snapshot (an atomic rename) or write the Postgres marts at any time.
Every query runs on a fresh cursor and is fetched completely (the DuckDB 2.0 API keeps an
unfinished result on the connection otherwise)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from api.settings import ApiSettings

LOCK_RETRIES = 5  # a read-only open fails while another process holds the write lock
LOCK_BACKOFF_SECONDS = 0.05  # doubled after each try: about 1.5 s in all

Row = dict[str, Any]


class WarehouseUnavailable(Exception):
    """The marts cannot be read right now (no snapshot yet, locked, server down): HTTP 503."""


def _utc(name: str, value: Any) -> Any:
    """The marts store UTC as timestamp without time zone: hand it out tz-aware. Columns named
    *_local_at hold the site's wall-clock time and stay naive."""
    if isinstance(value, datetime) and not name.endswith("_local_at"):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


class Warehouse:
    """One read-only connection to the marts, for the length of a request."""

    def __init__(self, kind: str, connection: Any) -> None:
        self.kind = kind
        self._connection = connection

    @classmethod
    @contextmanager
    def connect(cls, settings: ApiSettings) -> Iterator[Warehouse]:
        """Open the marts read-only; closed on exit.

        Raises:
            WarehouseUnavailable: no serving snapshot yet, a lock held past the retries, or the
                Postgres server refusing the connection.
        """
        if settings.warehouse.kind == "duckdb":
            connection = _open_duckdb(settings)
        else:
            connection = _open_postgres(settings.warehouse.url)
        try:
            yield cls(settings.warehouse.kind, connection)
        finally:
            connection.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one query (`?` placeholders on both engines) and return every row as a dict."""
        if self.kind == "duckdb":
            import duckdb

            cursor = self._connection.cursor()
            try:
                cursor.execute(sql, list(params))
                names = [column[0] for column in cursor.description or ()]
                fetched = cursor.fetchall()
            except duckdb.CatalogException as error:
                raise WarehouseUnavailable(
                    f"the serving snapshot lacks a mart ({_first_line(error)}): run `callmeter build`"
                ) from None
            finally:
                cursor.close()
        else:
            import psycopg2

            try:
                with self._connection.cursor() as cursor:
                    cursor.execute(sql.replace("?", "%s"), tuple(params))
                    names = [column.name for column in cursor.description or ()]
                    fetched = cursor.fetchall()
            except psycopg2.errors.UndefinedTable as error:
                raise WarehouseUnavailable(
                    f"the warehouse lacks a mart ({_first_line(error)}): run `callmeter build`"
                ) from None
            finally:
                self._connection.rollback()  # end the read-only transaction
        return [
            {name: _utc(name, value) for name, value in zip(names, row, strict=True)}
            for row in fetched
        ]

    # The queries, one per route. Filters are bound parameters, never formatted into the SQL.

    def calls_page(self, filters: CallFilters, limit: int, offset: int) -> tuple[int, list[Row]]:
        """One page of marts.fct_calls, newest first, and how many calls match in all."""
        where, params = filters.where()
        total = self.rows(f"select count(*) as n from marts.fct_calls {where}", params)[0]["n"]
        rows = self.rows(
            f"select * from marts.fct_calls {where} "
            "order by call_started_at desc, tenant_id, site_id, source_format, call_id "
            "limit ? offset ?",
            [*params, limit, offset],
        )
        return int(total), rows

    def legs_of_call(self, tenant: str, site: str, call_id: str) -> list[Row]:
        """The legs of one call from marts.fct_call_legs, in start order."""
        return self.rows(
            "select * from marts.fct_call_legs where tenant_id = ? and site_id = ? and call_id = ? "
            "order by started_at, source_record_id",
            [tenant, site, call_id],
        )

    def chargeback_for(self, month: date, tenant: str | None) -> list[Row]:
        """Cost per cost centre for one month (first day) from marts.fct_chargeback_monthly."""
        where, params = _where({"month = ?": month, "tenant_id = ?": tenant})
        return self.rows(
            f"select * from marts.fct_chargeback_monthly {where} "
            "order by tenant_id, cost desc, cost_centre",
            params,
        )

    def budget(self, month: date | None, tenant: str | None, level: str | None) -> list[Row]:
        """marts.rpt_budget_vs_actual, optionally for one month, tenant or budget level."""
        where, params = _where(
            {"month = ?": month, "tenant_id = ?": tenant, "budget_level = ?": level}
        )
        return self.rows(
            f"select * from marts.rpt_budget_vs_actual {where} "
            "order by month desc, tenant_id, budget_level, cost_centre, department",
            params,
        )

    def unrated(self, tenant: str | None, site: str | None, limit: int) -> list[Row]:
        """Legs that should have a cost and have none, newest first (marts.rpt_unrated_legs)."""
        where, params = _where({"tenant_id = ?": tenant, "site_id = ?": site})
        return self.rows(
            f"select * from marts.rpt_unrated_legs {where} "
            "order by started_at desc, source_record_id limit ?",
            [*params, limit],
        )

    def trunk_busy_hours(self, tenant: str | None, site: str | None) -> list[Row]:
        """marts.rpt_trunk_busy_hour: one row per trunk with traffic."""
        where, params = _where({"tenant_id = ?": tenant, "site_id = ?": site})
        return self.rows(
            f"select * from marts.rpt_trunk_busy_hour {where} order by tenant_id, site_id, trunk",
            params,
        )

    def trunk_hourly(
        self,
        trunk: str,
        tenant: str | None,
        site: str | None,
        start: date | None,
        end: date | None,
    ) -> list[Row]:
        """marts.fct_trunk_hourly for one trunk, hours from `start` to `end` inclusive (UTC)."""
        where, params = _where(
            {
                "trunk = ?": trunk,
                "tenant_id = ?": tenant,
                "site_id = ?": site,
                "hour_at >= ?": _day_start(start),
                "hour_at < ?": _day_after(end),
            }
        )
        return self.rows(
            f"select * from marts.fct_trunk_hourly {where} order by tenant_id, site_id, hour_at",
            params,
        )


class CallFilters:
    """The /calls filters as one SQL where clause."""

    def __init__(
        self,
        tenant: str | None = None,
        site: str | None = None,
        start: date | None = None,
        end: date | None = None,
        direction: str | None = None,
        disposition: str | None = None,
        extension: str | None = None,
    ) -> None:
        self.conditions: dict[str, Any] = {
            "tenant_id = ?": tenant,
            "site_id = ?": site,
            "call_started_at >= ?": _day_start(start),
            "call_started_at < ?": _day_after(end),
            "direction = ?": direction,
            "disposition = ?": disposition,
            "(first_extension = ? or answering_extension = ?)": extension,
        }

    def where(self) -> tuple[str, list[Any]]:
        return _where(self.conditions)


def _where(conditions: dict[str, Any]) -> tuple[str, list[Any]]:
    """`where a = ? and b = ?` from the conditions whose value is given."""
    clauses, params = [], []
    for clause, value in conditions.items():
        if value is None:
            continue
        clauses.append(clause)
        params.extend([value] * clause.count("?"))
    return ("where " + " and ".join(clauses) if clauses else ""), params


def _day_start(day: date | None) -> datetime | None:
    # Naive UTC, like the marts' timestamp columns (a tz-aware bind would shift on some engines).
    return None if day is None else datetime(day.year, day.month, day.day)


def _day_after(day: date | None) -> datetime | None:
    if day is None:
        return None
    return datetime.fromordinal(day.toordinal() + 1)


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _open_duckdb(settings: ApiSettings) -> Any:
    import duckdb

    path = settings.serving_path
    if not path.exists():
        raise WarehouseUnavailable(
            f"no serving snapshot at {path} yet: run `callmeter build` (or `callmeter demo`)"
        )
    delay = LOCK_BACKOFF_SECONDS
    for attempt in range(LOCK_RETRIES):
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.IOException as error:
            if attempt == LOCK_RETRIES - 1:
                raise WarehouseUnavailable(
                    f"the serving snapshot is locked ({_first_line(error)}); retry shortly"
                ) from None
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def _open_postgres(url: str) -> Any:
    import psycopg2

    try:
        connection = psycopg2.connect(url, connect_timeout=3)
    except psycopg2.Error as error:
        raise WarehouseUnavailable(
            f"cannot connect to the warehouse: {_first_line(error)}"
        ) from None
    connection.set_session(readonly=True)
    return connection
