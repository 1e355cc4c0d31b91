"""TCP line listeners: one asyncio server per configured feed, one record per line.

Each connection is read in chunks and split into lines (LF, with an optional CR before it). A
chunk's lines go to the listener's `deliver` coroutine, which spools them and may block: a full
queue stops the reads of that listener's connections only (TCP backpressure to that PBX).
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

# (payload, arrived_at, reason or None): one received line, or a reject with its reason
Item = tuple[bytes, datetime, str | None]
# A batch of items in arrival order -> spooled
Deliver = Callable[[list[Item]], Awaitable[None]]

_IDLE_TIMEOUT = 3600.0  # a connection silent for an hour is closed (PBXs reconnect)
_CHUNK_BYTES = 64 * 1024


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
            self._serve, self.settings.host, self.settings.port
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
        """Read in chunks and split lines here: one await per chunk instead of one per line (at
        thousands of lines a second the per-line awaits were most of the listener's cost)."""
        limit = self.max_line_bytes
        head = b""  # the start of an unfinished line, at most limit + 1 bytes kept
        total = 0  # the unfinished line's full length so far
        last = b""  # its last byte (to drop a CR before the newline of a cut-off line)
        first_at = datetime.now(UTC)  # when its first byte arrived
        while True:
            async with asyncio.timeout(_IDLE_TIMEOUT):
                chunk = await reader.read(_CHUNK_BYTES)
            now = datetime.now(UTC)
            if not chunk:
                if total:
                    size = total - (last == b"\r")
                    if size > limit:
                        reason = (
                            f"partial line at disconnect, {size} bytes, longer than "
                            f"max_line_bytes ({limit}); cut off"
                        )
                        await self.deliver([(head[:limit], first_at, reason)])
                    elif _strip(head).strip():
                        reason = f"partial line at disconnect ({size} bytes without a newline)"
                        await self.deliver([(_strip(head), first_at, reason)])
                return
            items: list[Item] = []
            start = 0
            while True:
                newline = chunk.find(b"\n", start)
                piece = chunk[start:] if newline < 0 else chunk[start:newline]
                if piece:
                    if not total:
                        first_at = now
                    if len(head) <= limit:
                        head += piece[: limit + 1 - len(head)]
                    total += len(piece)
                    last = piece[-1:]
                if newline < 0:
                    break
                start = newline + 1
                size = total - (last == b"\r")
                if size > limit:
                    reason = (
                        f"line of {size} bytes is longer than max_line_bytes ({limit}); cut off"
                    )
                    items.append((head[:limit], first_at, reason))
                else:
                    payload = head[:size]
                    if payload.strip():  # blank lines are keep-alives
                        items.append((payload, first_at, None))
                head, total, last = b"", 0, b""
            if items:
                await self.deliver(items)
