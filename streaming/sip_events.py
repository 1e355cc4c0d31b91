"""SIP signalling as live call events for the sidecar (`streaming.sip`).

Each source runs extractors.sip's DialogTracker over live capture on an interface (CAP_NET_RAW
needed; without it the source falls back to its `pcap_dir` when it has one) or over the capture
files that appear in a folder, replayed at the capture's own pace. Its events become rule events:
`call_start` (the INVITE: a premium destination fires here, before the call is even answered),
`call_answer` (starts the high-cost rule's mid-call timer; the live store shows the call as
answered) and `call_end` (the finished leg).

Events are not spooled: the capture files are the record, and the batch layer reads them with
the `sip` parser. A folder's files are replayed once; their names are kept in
`<state_dir>/sip-<id>.done`, so a restart goes on with the files not yet replayed."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from callmeter.config import Site
from callmeter.dialplan import to_e164
from extractors.sip.dialogs import DialogTracker, SipEvent
from extractors.sip.rules import SiteRules
from streaming.rules.base import CallEvent, event_from_leg
from streaming.settings import SipSource

log = logging.getLogger(__name__)

Handle = Callable[[list[CallEvent]], Awaitable[None]]
_SETTLE_SECONDS = 2.0  # a capture file modified this recently may still be written


class SipEvents:
    """Turns one source's SIP events into call events and hands them to `handle`."""

    def __init__(self, source: SipSource, site: Site, state_dir: Path, handle: Handle) -> None:
        self.source = source
        self.site = site
        self.handle = handle
        self.done_file = state_dir / f"sip-{source.id}.done"
        self._options = site.formats.get("sip", {})
        self._rules = SiteRules.from_options(self._options, site.all_trunk_devices)
        self._started: dict[str, datetime] = {}  # leg -> INVITE time, for its answer event
        self._stop = threading.Event()
        self.rejects = 0  # SIP the tracker could not use (malformed, orphan dialogs)

    def tracker(self, path: Path | None = None) -> DialogTracker:
        return DialogTracker(
            capture_point=path.name if path else (self.source.interface or self.source.id),
            rules=self._rules,
            options=self._options,
            file_name=str(path) if path else None,
            live=path is None,
        )

    def to_call_events(self, events: list[SipEvent], arrived_at: datetime) -> list[CallEvent]:
        """Rule events for the tracker's events (rejects are counted, not passed on)."""
        found: list[CallEvent] = []
        tenant = self.source.tenant
        for event in events:
            if event.kind == "reject":
                self.rejects += 1
                continue
            if event.kind == "call_end":
                self._started.pop(event.source_record_id, None)
                if event.leg is not None:
                    found.append(
                        event_from_leg(event.leg, tenant, self.site, self.source.id, arrived_at)
                    )
                continue
            if event.kind == "call_start":
                self._started[event.source_record_id] = event.at
            started = self._started.get(event.source_record_id, event.at)
            found.append(
                CallEvent(
                    kind="start" if event.kind == "call_start" else "answer",
                    tenant_id=tenant,
                    site_id=self.site.id,
                    listener=self.source.id,
                    call_id=event.call_id or event.source_record_id,
                    record_id=event.source_record_id,
                    direction=event.direction,
                    extension=event.extension,
                    calling_number=event.calling_number,
                    called_number=event.called_number,
                    called_e164=(
                        to_e164(event.called_number, self.site)
                        if event.direction != "inbound"
                        else None
                    ),
                    trunk=event.trunk,
                    started_at=started,
                    answered_at=event.at if event.kind == "call_answer" else None,
                    ended_at=None,
                    duration_seconds=0,
                    arrived_at=arrived_at,
                )
            )
        return found

    async def run(self) -> None:
        """Live capture, or the folder when capture is not possible (or not configured)."""
        if self.source.interface is not None:
            from extractors.sip.live import LiveCaptureError, check_live_capture

            try:
                check_live_capture(self.source.interface)
            except LiveCaptureError as error:
                if self.source.pcap_dir is None:
                    raise
                log.warning("sip %s: %s; replaying %s instead", self.source.id, error,
                            self.source.pcap_dir)  # fmt: skip
            else:
                await self._live()
                return
        await self._folder()

    def stop(self) -> None:
        self._stop.set()

    async def _folder(self) -> None:
        from extractors.sip.live import replay_pcap_async

        assert self.source.pcap_dir is not None
        done = set(self.done_file.read_text().split("\n")) if self.done_file.exists() else set()
        while True:
            for path in sorted(self.source.pcap_dir.glob("*.pcap*")):
                if path.name in done or time.time() - path.stat().st_mtime < _SETTLE_SECONDS:
                    continue
                log.info("sip %s: replaying %s", self.source.id, path.name)
                async for _, events in replay_pcap_async(
                    path, self.source.speed, tracker=self.tracker(path)
                ):
                    calls = self.to_call_events(events, datetime.now(UTC))
                    if calls:
                        await self.handle(calls)
                done.add(path.name)
                with open(self.done_file, "a", encoding="utf-8") as handle:
                    handle.write(path.name + "\n")
            await asyncio.sleep(self.source.poll_seconds)

    async def _live(self) -> None:
        from extractors.sip.live import live_capture

        assert self.source.interface is not None
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[list[SipEvent]] = asyncio.Queue()

        def capture() -> None:  # scapy blocks: its own thread
            for _, events in live_capture(
                self.source.interface or "", tracker=self.tracker(), stop=self._stop
            ):
                loop.call_soon_threadsafe(queue.put_nowait, events)

        thread = asyncio.create_task(asyncio.to_thread(capture))
        try:
            while True:
                getter = asyncio.create_task(queue.get())
                await asyncio.wait({getter, thread}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    thread.result()  # the capture stopped: raise its error
                    return
                calls = self.to_call_events(getter.result(), datetime.now(UTC))
                if calls:
                    await self.handle(calls)
        finally:
            self._stop.set()
