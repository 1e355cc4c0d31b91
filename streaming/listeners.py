"""TCP line listeners: one asyncio server per configured feed, one record per line.

Each connection is read line by line (LF, with an optional CR before it). What a listener
receives goes to its `deliver` coroutine, which spools it and may block: a full queue stops the
reads of that listener's connections only (TCP backpressure to that PBX), never the others.
Nothing received is dropped: a line longer than max_line_bytes is cut off and delivered as a
reject with the reason, a half line at disconnect is delivered as a reject, and blank lines
(keep-alives) are the only thing skipped. A faulty connection never stops the listener."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from streaming.settings import Listener

log = logging.getLogger(__name__)

# (payload, arrived_at, reason or None) -> spooled
Deliver = Callable[[bytes, datetime, str | None], Awaitable[None]]

_IDLE_TIMEOUT = 3600.0  # a connection silent for an hour is closed (PBXs reconnect)


def _strip(line: bytes) -> bytes:
    return line.rstrip(b"\n").rstrip(b"\r")


class LineListener:
    """Serves one listener's port."""

    def __init__(self, settings: Listener, deliver: Deliver, max_line_bytes: int) -> None:
        self.settings = settings
        self.deliver = deliver
        self.max_line_bytes = max_line_bytes
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.port: int | None = None

    async def start(self) -> int:
        """Bind and serve; returns the port (useful with port 0)."""
        self._server = await asyncio.start_server(
            self._serve, self.settings.host, self.settings.port, limit=self.max_line_bytes + 2
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        log.info("listener %s on %s:%d", self.settings.name, self.settings.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        peer = writer.get_extra_info("peername")
        if len(self._connections) >= self.settings.max_connections:
            log.warning("listener %s: refusing %s (too many connections)", self.settings.name, peer)
            writer.close()
            return
        if task is not None:
            self._connections.add(task)
        try:
            await self._read_lines(reader)
        except (ConnectionError, TimeoutError) as error:
            log.info("listener %s: %s dropped: %s", self.settings.name, peer, error)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug must not take the listener down
            log.exception("listener %s: connection %s failed", self.settings.name, peer)
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()

    async def _read_lines(self, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await asyncio.wait_for(reader.readuntil(b"\n"), _IDLE_TIMEOUT)
            except asyncio.IncompleteReadError as error:
                partial = _strip(error.partial)
                if partial.strip():
                    await self.deliver(
                        partial[: self.max_line_bytes],
                        datetime.now(UTC),
                        f"partial line at disconnect ({len(partial)} bytes without a newline)",
                    )
                return
            except asyncio.LimitOverrunError:
                if not await self._over_long_line(reader):
                    return
                continue
            payload = _strip(line)
            if payload.strip():
                await self.deliver(payload, datetime.now(UTC), None)

    async def _over_long_line(self, reader: asyncio.StreamReader) -> bool:
        """Keep the head of a line over the limit, skip the rest; False at end of stream."""
        arrived = datetime.now(UTC)
        head = await reader.read(self.max_line_bytes)
        total = len(head)
        while True:
            try:
                tail = await reader.readuntil(b"\n")
            except asyncio.LimitOverrunError:
                total += len(await reader.read(self.max_line_bytes))
                continue
            except asyncio.IncompleteReadError as error:
                total += len(error.partial)
                await self.deliver(
                    head,
                    arrived,
                    f"partial line at disconnect, {total} bytes, longer than max_line_bytes "
                    f"({self.max_line_bytes}); cut off",
                )
                return False
            total += len(_strip(tail))
            await self.deliver(
                head,
                arrived,
                f"line of {total} bytes is longer than max_line_bytes ({self.max_line_bytes}); cut off",
            )
            return True
