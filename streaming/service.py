"""The sidecar (`callmeter stream`): listeners -> spool -> parse -> live state + rules -> alerts.

Durability, in order: a received line is appended to its stream's spool and fsync'd (group
commit: whatever arrived meanwhile shares one fsync) before it is parsed; alerts are handed to
the dispatcher (durable, deduplicating on alert_id) before the spool cursor `stream` moves past
the records that raised them. After a crash the sidecar replays the spool from that cursor:
nothing is lost, and a replayed record raises the same alert id, which the dispatcher refuses
the second time, so no alert is sent twice.

Feeds: TCP listeners (one record per line), webhooks (Zoom, Graph; streaming.webhooks) and SIP
sources (call events, not spooled; streaming.sip_events). At start, the records processed in the
last rule window are replayed through the rules (no alerts) so windows survive a restart.

With a bus (streaming.bus), role `listener` spools and publishes instead of processing, and role
`worker` consumes the partitions it owns (streaming.bus); `all` does both in one process.

Rules are reloaded from callmeter.yaml when the file changes; listeners need a restart."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from callmeter.config import CallmeterConfig, ConfigError, Site, load_config
from callmeter.legs import CallLeg
from extractors.parsers import ParseContext, Parser, get_parser
from extractors.spool import Position, SpoolReader, SpoolRecord, SpoolWriter, StreamKey
from streaming import settings as cfg
from streaming.alerts import Alert
from streaming.bus import Bus, BusSettings, PartitionWorker, encode, partition_of
from streaming.listeners import Item, LineListener
from streaming.live_store import LiveStore, open_live_store
from streaming.rules.base import CallEvent, RuleContext, StreamRule, event_from_leg
from streaming.rules.build import build_rules, rule_context
from streaming.rules.capacity import FeedSilence
from streaming.sip_events import SipEvents
from streaming.webhooks import Route, WebhookEndpoint, graph_call_records

log = logging.getLogger(__name__)

# all: everything in one process (with a bus: listeners and a worker); listener: receive, spool
# and publish; worker: consume partitions from the bus and run the rules.
Role = Literal["all", "listener", "worker"]

CONSUMER = "stream"  # the sidecar's own cursor in each spool stream
_QUEUE_BATCHES = 64  # per listener: batches (a read chunk's lines) received, not yet spooled
_GROUP = 2_000  # lines per group commit at most
_TICK_SECONDS = 1.0
_STOP_SECONDS = 15.0
_SUBMIT_AT_ONCE = 1_000  # alerts handed to the dispatcher concurrently


class AlertSink(Protocol):
    """What the sidecar needs of streaming.notify's Dispatcher."""

    async def start(self) -> None: ...
    async def submit(self, alert: Alert, targets: list[str] | None = None) -> bool: ...
    async def stop(self) -> None: ...


@dataclass
class Stats:
    received: int = 0
    rejected_lines: int = 0
    legs: int = 0
    parse_rejects: int = 0
    alerts: int = 0
    alerts_duplicate: int = 0
    published: int = 0  # records handed to the bus (listener role)
    warmed_up: int = 0  # spooled records replayed through the rules at start (no alerts)
    sip_events: int = 0  # call start/answer/end events from SIP sources
    notices: int = 0  # webhook payloads without a call record (Graph names the resource only)
    unknown_listener: int = 0  # bus records from a listener this config lacks (worker role)
    extensions: set[str] = field(default_factory=set, repr=False)  # tenant/site/extension seen


@dataclass
class _Feed:
    """One listener's pipeline: queue -> spool writer -> processing."""

    settings: cfg.Listener | cfg.Webhook
    key: StreamKey
    site: Site
    parser: Parser
    context: ParseContext
    writer: SpoolWriter | None  # None in a bus worker (the listener spooled the records)
    reader: SpoolReader | None
    queue: asyncio.Queue[list[Item]] = field(default_factory=lambda: asyncio.Queue(_QUEUE_BATCHES))
    listener: LineListener | None = None
    # Webhook feeds: records already spooled (by the HTTP handler), waiting to be processed.
    spooled: asyncio.Queue[SpoolRecord] = field(default_factory=asyncio.Queue)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    busy: bool = False  # a group is being spooled or processed (stop() lets it finish)

    @property
    def is_webhook(self) -> bool:
        return isinstance(self.settings, cfg.Webhook)


class Sidecar:
    """Runs the listeners, the spool, the rules and the dispatcher of one `streaming` section."""

    def __init__(
        self,
        config: CallmeterConfig,
        settings: cfg.StreamingSettings,
        *,
        config_path: Path | None = None,
        sink_factory: Callable[[list[dict[str, Any]], Path], AlertSink] | None = None,
        role: Role = "all",
        worker_id: str | None = None,
    ) -> None:
        self.config = config
        self.settings = settings
        self.config_path = config_path
        self.state_dir = settings.resolved_state_dir()
        self.spool_dir = settings.resolved_spool_dir()
        self.stats = Stats()
        self._sink_factory = sink_factory or _dispatcher
        self._rules = build_rules(list(settings.rules))
        self._ctx: RuleContext = rule_context(config, settings)
        self._feeds: dict[str, _Feed] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._config_mtime = _mtime(config_path)
        self.sink: AlertSink | None = None
        self.store: LiveStore | None = None
        self.role = role
        url = settings.resolved_bus()
        if url is None and role != "all":
            raise ConfigError(
                f"role {role!r} needs a bus: set streaming.bus or CALLMETER_BUS (nats://...)"
            )
        self.bus_settings = (
            BusSettings(
                url,
                settings.bus_name,
                settings.partitions,
                settings.bus_lease_seconds,
                settings.bus_ack_wait,
            )
            if url is not None
            else None
        )
        self.worker_id = worker_id or settings.worker_id or socket.gethostname()
        self.bus: Bus | None = None
        self.partition_worker: PartitionWorker | None = None
        self.endpoint: WebhookEndpoint | None = None
        self.sip_sources: list[SipEvents] = []

    @property
    def listens(self) -> bool:
        return self.role in ("all", "listener")

    @property
    def works(self) -> bool:
        return self.role in ("all", "worker")

    @property
    def ports(self) -> dict[str, int]:
        return {
            name: f.listener.port
            for name, f in self._feeds.items()
            if f.listener and f.listener.port
        }

    async def start(self) -> None:
        """Open the store and the dispatcher, replay what the spool holds past the cursor, then
        start listening."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.store = open_live_store(self.settings.live_store.url, self.state_dir)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        self.store.set_trunks(
            {
                (t.id, s.id, trunk): n
                for t in self.config.tenants
                for s in t.sites
                for trunk, n in s.trunk_channels.items()
            }
        )
        notify_dir = self.state_dir / (
            "notify" if self.listens else f"notify-{_safe(self.worker_id)}"
        )
        self.sink = self._sink_factory(list(self.settings.notify), notify_dir)
        await self.sink.start()
        now = datetime.now(UTC)
        secrets = self._webhook_secrets() if self.listens else {}
        feeds: list[cfg.Listener | cfg.Webhook] = [
            *self.settings.listeners,
            *self.settings.webhooks,
        ]
        for listener in feeds:
            self._feeds[listener.name] = self._feed(listener, spool=self.listens)
            if self.listens:
                for rule in self._rule_objects():
                    if isinstance(rule, FeedSilence):
                        rule.watch(listener.name, now)
        if self.bus_settings is not None:
            self.bus = Bus(self.bus_settings)
            await self.bus.connect()
        if self.listens:
            if self.bus is None:
                for feed in self._feeds.values():
                    self._warm_up(feed)
            for feed in self._feeds.values():
                await self._replay(feed)
            for feed in self._feeds.values():
                if isinstance(feed.settings, cfg.Webhook):
                    self._tasks.append(
                        asyncio.create_task(self._webhook_loop(feed), name=f"hook-{feed.key}")
                    )
                    continue
                feed.listener = LineListener(
                    feed.settings, self._deliverer(feed), self.settings.max_line_bytes
                )
                await feed.listener.start()
                self._tasks.append(
                    asyncio.create_task(self._spool_loop(feed), name=f"spool-{feed.settings.name}")
                )
            for source in self.settings.sip:
                site = self.config.site(source.tenant, source.site)
                runner = SipEvents(
                    source, site, self.state_dir, functools.partial(self._process_events, source)
                )
                self.sip_sources.append(runner)
                for rule in self._rule_objects():
                    if isinstance(rule, FeedSilence):
                        rule.watch(source.id, now)
                self._tasks.append(asyncio.create_task(self._run_sip(runner), name=source.id))
            if self.settings.webhooks:
                routes = {
                    w.id: Route(w, secrets[w.id], self._accepter(self._feeds[w.name]))
                    for w in self.settings.webhooks
                }
                self.endpoint = WebhookEndpoint(self.settings.http, routes)
                await self.endpoint.start()
        if self.works and self.bus is not None:
            self.partition_worker = PartitionWorker(
                self.bus,
                _safe(self.worker_id),
                self._process_bus_records,
                warm=self._warm_bus_records,
                warm_seconds=self._warm_seconds(),
            )
            await self.partition_worker.start()
        self._tasks.append(asyncio.create_task(self._tick_loop(), name="tick"))

    async def abort(self) -> None:
        """Stop as a crash would: nothing acked, nothing released, no connection drained
        (tests of the bus's redelivery)."""
        if self.partition_worker is not None:
            await self.partition_worker.abort()
            self.partition_worker = None
        if self.bus is not None:
            await self.bus.abort()
        await self.stop()

    async def stop(self) -> None:
        if self.endpoint is not None:
            await self.endpoint.stop()
        for feed in self._feeds.values():
            if feed.listener is not None:
                await feed.listener.stop()
        # Spool and process what was received; a group stuck (a broker away) is left to the
        # restart's replay after _STOP_SECONDS.
        deadline = asyncio.get_running_loop().time() + _STOP_SECONDS
        for feed in self._feeds.values():
            while not (feed.queue.empty() and feed.spooled.empty()) or feed.busy:
                if asyncio.get_running_loop().time() > deadline:
                    log.warning("stopping with records of %s not processed yet", feed.key)
                    break
                await asyncio.sleep(0.01)
        if self.partition_worker is not None:
            await self.partition_worker.stop()
        for runner in self.sip_sources:
            runner.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for feed in self._feeds.values():
            if feed.writer is not None:
                feed.writer.close()
        if self.bus is not None:
            await self.bus.close()
        if self.sink is not None:
            await self.sink.stop()
        if self.store is not None:
            self.store.close()

    async def run_forever(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    def _webhook_secrets(self) -> dict[str, str]:
        """Each webhook's secret from its `secret_env` variable; a missing one names the key."""
        found = {}
        for index, hook in enumerate(self.settings.webhooks):
            value = os.environ.get(hook.secret_env)
            if not value:
                raise ConfigError(
                    f"streaming.webhooks[{index}] (id {hook.id}).secret_env: environment "
                    f"variable {hook.secret_env} is not set"
                )
            found[hook.id] = value
        return found

    def _accepter(self, feed: _Feed) -> Callable[[bytes, datetime], Awaitable[None]]:
        async def accept(body: bytes, arrived_at: datetime) -> None:
            """Spool and fsync a webhook payload; it is then queued for processing in order."""
            assert feed.writer is not None
            async with feed.lock:
                # The endpoint refuses bodies over max_body_bytes, the writer's limit here.
                end = feed.writer.append(body, arrived_at)
                await asyncio.to_thread(feed.writer.sync)
                feed.spooled.put_nowait(SpoolRecord(body, arrived_at, None, end))

        return accept

    async def _run_sip(self, runner: SipEvents) -> None:
        try:
            await runner.run()
        except asyncio.CancelledError:
            raise
        except Exception:  # no capture privilege and no folder, a vanished interface
            log.exception("sip source %s stopped", runner.source.id)

    async def _process_events(self, source: cfg.SipSource, events: list[CallEvent]) -> None:
        """Call events from SIP signalling: live store and every rule (in bus mode too: SIP
        is evaluated where it is captured), then the alerts to the dispatcher."""
        assert self.store is not None
        rules = [rule for _, rule in self._rules.values()]
        now = datetime.now(UTC)
        arrived = max(event.arrived_at for event in events)
        alerts: list[tuple[Alert, StreamRule]] = []
        with self.store.batch():
            self.store.record_feed_counts(
                source.id, source.tenant, source.site, arrived, len(events), 0
            )
            for event in events:
                self.store.apply(event)
                for rule in rules:
                    if isinstance(rule, FeedSilence):
                        rule.seen(source.id, arrived)
                    else:
                        alerts.extend((a, rule) for a in rule.on_event(event, self._ctx, now))
            for alert, _ in alerts:
                self.store.record_alert(alert)
        self.stats.sip_events += len(events)
        await self._submit_all(alerts)

    async def _webhook_loop(self, feed: _Feed) -> None:
        while True:
            records = [await feed.spooled.get()]
            feed.busy = True
            while not feed.spooled.empty() and len(records) < _GROUP:
                records.append(feed.spooled.get_nowait())
            try:
                await self._handle_spooled(feed, records)
            except Exception:  # the records stay past the cursor and replay on restart
                log.exception("processing %d webhooks of %s failed", len(records), feed.key)
            finally:
                feed.busy = False

    def _feed(self, listener: cfg.Listener | cfg.Webhook, spool: bool = True) -> _Feed:
        site = self.config.site(listener.tenant, listener.site)
        key = StreamKey(listener.tenant, listener.site, listener.format)
        try:
            parser = get_parser(listener.format)
        except ValueError as error:
            raise ConfigError(f"streaming.listeners (id {listener.name}): {error}") from None
        context = ParseContext(
            timezone=ZoneInfo(site.timezone),
            now=datetime.now(UTC),
            trunk_devices=site.all_trunk_devices,
            options=site.formats.get(listener.format, {}),
            file_name=f"tcp:{listener.name}",
        )
        if not spool:
            return _Feed(listener, key, site, parser, context, None, None)
        limit = (
            self.settings.http.max_body_bytes
            if isinstance(listener, cfg.Webhook)
            else self.settings.max_line_bytes
        )
        writer = SpoolWriter(self.spool_dir, key, max_line_bytes=limit)
        return _Feed(listener, key, site, parser, context, writer, SpoolReader(self.spool_dir, key))

    def _deliverer(self, feed: _Feed) -> Callable[[list[Item]], Awaitable[None]]:
        async def deliver(items: list[Item]) -> None:
            await feed.queue.put(items)  # blocks this listener only

        return deliver

    async def _spool_loop(self, feed: _Feed) -> None:
        """Group commit: take what is queued, append it, fsync once, then process it."""
        per_line = self.settings.fsync == "line"
        assert feed.writer is not None
        while True:
            items = await feed.queue.get()
            feed.busy = True
            while len(items) < _GROUP and not feed.queue.empty():
                items = items + feed.queue.get_nowait()
            records = []
            for payload, arrived_at, reason in items:
                end = feed.writer.append(payload, arrived_at, reason)
                if per_line:
                    await asyncio.to_thread(feed.writer.sync)
                cut = reason or (
                    None
                    if len(payload) <= feed.writer.max_line_bytes
                    else "longer than max_line_bytes"
                )
                records.append(
                    SpoolRecord(payload[: feed.writer.max_line_bytes], arrived_at, cut, end)
                )
            if not per_line:
                await asyncio.to_thread(feed.writer.sync)
            try:
                await self._handle_spooled(feed, records)
            except Exception:  # logged; the records stay past the cursor and replay on restart
                log.exception(
                    "processing %d records of %s failed", len(records), feed.settings.name
                )
            finally:
                feed.busy = False

    def _warm_seconds(self) -> float:
        """How far back a restart or a partition takeover replays records into the rules."""
        longest = max((r.memory_seconds for r in self._rule_objects()), default=0.0)
        return min(longest, self.settings.warmup_max_seconds)

    def _warm_bus_records(self, items: list[tuple[str, SpoolRecord]]) -> None:
        """Rules only (no store, no alerts) for records a partition's previous owner handled."""
        rules = [r for r in self._rule_objects() if r.memory_seconds > 0]
        now = datetime.now(UTC)
        for listener, record in items:
            feed = self._feeds.get(listener)
            if feed is not None and not record.is_reject:
                self._rules_only(feed, record, rules, now)
        self.stats.warmed_up += len(items)

    def _rules_only(
        self, feed: _Feed, record: SpoolRecord, rules: list[StreamRule], now: datetime
    ) -> None:
        data = self._parser_input(feed, record)
        try:
            items = list(feed.parser(data, self._context(feed, record))) if data else []
        except Exception:  # reported when the record was first processed
            log.debug("warm-up: the parser failed on a record", exc_info=True)
            return
        for item in items:
            if isinstance(item, CallLeg):
                event = event_from_leg(
                    item, feed.key.tenant_id, feed.site, feed.settings.name, record.arrived_at
                )
                for rule in rules:
                    rule.on_event(event, self._ctx, now)

    def _warm_up(self, feed: _Feed) -> None:
        """Rebuild rule state (burst, threshold, anomaly windows, cool-downs) after a restart:
        the records processed before the stop, back to the longest rule memory, go through the
        rules again. Their alerts were handed over before the stop (same deterministic ids), so
        the ones raised here are dropped; the live store already holds these records."""
        rules = [r for r in self._rule_objects() if r.memory_seconds > 0]
        seconds = self._warm_seconds()
        if feed.reader is None or seconds <= 0:
            return
        cursor = feed.reader.cursor(CONSUMER)
        since = datetime.now(UTC) - timedelta(seconds=seconds)
        segments = sorted(
            int(path.stem) for path in feed.reader.directory.glob("*.seg") if path.stem.isdigit()
        )
        # A segment last written before the horizon holds nothing newer; start after those.
        start = next(
            (n for n in segments
             if (feed.reader.directory / f"{n:020d}.seg").stat().st_mtime >= since.timestamp()),
            None,
        )  # fmt: skip
        if start is None or start > cursor.segment:
            return
        position, total, now = Position(start, 0), 0, datetime.now(UTC)
        while position < cursor:
            records = feed.reader.read_new(CONSUMER, max_records=_GROUP, start=position)
            if not records:
                break
            for record in records:
                if record.end > cursor:
                    position = cursor
                    break
                position = record.end
                if record.is_reject or record.arrived_at < since:
                    continue
                self._rules_only(feed, record, rules, now)
                total += 1
        if total:
            log.info("rule state rebuilt from %d spooled records of %s", total, feed.key)
        self.stats.warmed_up += total

    async def _replay(self, feed: _Feed) -> None:
        """Process what was spooled but not yet processed before the last stop or crash."""
        total = 0
        assert feed.reader is not None
        while records := feed.reader.read_new(CONSUMER, max_records=_GROUP):
            await self._handle_spooled(feed, records)
            total += len(records)
        if total:
            log.info("replayed %d spooled records of %s", total, feed.settings.name)

    async def _handle_spooled(self, feed: _Feed, records: list[SpoolRecord]) -> None:
        """Process spooled records here, or publish them to the bus; then move the cursor."""
        assert feed.reader is not None
        if self.bus is not None:
            await self._publish(feed, records)
        else:
            await self._process(feed, records)
        # The cursor moves only once every alert is in the delivery log, or every record is
        # stored by the broker (replay safety); its fsyncs run off the event loop.
        await asyncio.to_thread(feed.reader.commit, CONSUMER, records[-1].end)

    async def _process(self, feed: _Feed, records: list[SpoolRecord]) -> None:
        """Evaluate spooled records and hand their alerts to the dispatcher."""
        alerts = self._evaluate_records(feed, records)
        await self._submit_all(alerts)

    async def _publish(self, feed: _Feed, records: list[SpoolRecord]) -> None:
        """Publish records to their partitions and wait for the broker's acks. A broker that is
        away blocks this feed (backpressure) and is retried; the message ids (spool positions)
        make a retry or a replay after a crash a duplicate the stream drops."""
        assert self.bus is not None and self.bus_settings is not None
        last_arrived = max(record.arrived_at for record in records)
        for rule in self._rule_objects():
            if isinstance(rule, FeedSilence):
                rule.seen(feed.settings.name, last_arrived)
        key = feed.key
        pending = []
        for record in records:
            partition = partition_of(
                key.tenant_id, self._partition_key(feed, record), self.bus_settings.partitions
            )
            msg_id = f"{key.tenant_id}/{key.site_id}/{key.source_format}/{record.end.encode()}"
            data, headers = encode(feed.settings.name, record)
            pending.append((partition, msg_id, data, headers))
        delay = 0.2
        while pending:
            chunk = pending[:_SUBMIT_AT_ONCE]
            try:
                results = await self.bus.publish_many([(key.tenant_id, *item) for item in chunk])
            except Exception as error:  # not connected: every item failed
                results = [error] * len(chunk)
            failed = [item for item, r in zip(chunk, results, strict=True) if r is not None]
            if failed:
                log.warning(
                    "bus: %d records of %s not stored (%s); retrying in %.1f s",
                    len(failed),
                    feed.settings.name,
                    next(r for r in results if r is not None),
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            pending = failed + pending[len(chunk) :]
        self.stats.received += len(records)
        self.stats.published += len(records)

    def _partition_key(self, feed: _Feed, record: SpoolRecord) -> str:
        """Site and extension of the record's first leg, else the listener: records of one
        extension always land on one partition, so per-extension rules see all of them."""
        data = None if record.is_reject else self._parser_input(feed, record)
        if data is not None:
            try:
                for item in feed.parser(data, self._context(feed, record)):
                    if isinstance(item, CallLeg) and item.extension:
                        return f"{feed.key.site_id}\x1f{item.extension}"
            except Exception:  # the worker's parse reports it; here it only picks a partition
                log.debug("partition key: the parser failed", exc_info=True)
        return feed.settings.name

    async def _process_bus_records(self, items: list[tuple[str, SpoolRecord]]) -> None:
        """A batch from one partition: evaluate in order, then submit its alerts (the caller
        acks the messages after this returns)."""
        alerts: list[tuple[Alert, StreamRule]] = []
        start = 0
        while start < len(items):
            listener = items[start][0]
            end = start
            while end < len(items) and items[end][0] == listener:
                end += 1
            feed = self._feeds.get(listener)
            if feed is None:
                log.error(
                    "bus: %d records from listener %r, which this config does not have; "
                    "they stay in the spool for the batch layer",
                    end - start,
                    listener,
                )
                self.stats.unknown_listener += end - start
            else:
                alerts.extend(self._evaluate_records(feed, [r for _, r in items[start:end]]))
            start = end
        await self._submit_all(alerts)

    def _evaluate_records(
        self, feed: _Feed, records: list[SpoolRecord]
    ) -> list[tuple[Alert, StreamRule]]:
        """Live store and rules for a group of records (synchronous: no other coroutine runs
        between two records, so rule state needs no lock)."""
        assert self.store is not None
        alerts: list[tuple[Alert, StreamRule]] = []
        now = datetime.now(UTC)
        rules = self._rule_objects()
        rejects = sum(1 for record in records if record.is_reject)
        last_arrived = max(record.arrived_at for record in records)
        with self.store.batch():
            self.store.record_feed_counts(
                feed.settings.name,
                feed.key.tenant_id,
                feed.key.site_id,
                last_arrived,
                len(records) - rejects,
                rejects,
            )
            if self.bus is None:  # with a bus, feed silence is the listener's
                for rule in rules:
                    if isinstance(rule, FeedSilence):
                        rule.seen(feed.settings.name, last_arrived)
            self.stats.received += len(records)
            self.stats.rejected_lines += rejects
            for record in records:
                if not record.is_reject:
                    alerts.extend(self._evaluate(feed, record, rules, now))
            for alert, _ in alerts:
                self.store.record_alert(alert)
        return alerts

    @staticmethod
    def _parser_input(feed: _Feed, record: SpoolRecord) -> bytes | None:
        """What the format's parser reads of a record; None when it holds no call record
        (a Graph notification that only names its resource)."""
        if feed.is_webhook and feed.key.source_format == "teams":
            return graph_call_records(record.payload)
        return record.payload + b"\n"

    @staticmethod
    def _context(feed: _Feed, record: SpoolRecord) -> ParseContext:
        # The arrival time is the parser's "now": a replay reads the record the same way.
        return ParseContext(
            timezone=feed.context.timezone,
            now=record.arrived_at,
            trunk_devices=feed.context.trunk_devices,
            options=feed.context.options,
            file_name=feed.context.file_name,
        )

    def _evaluate(
        self, feed: _Feed, record: SpoolRecord, rules: list[StreamRule], now: datetime
    ) -> list[tuple[Alert, StreamRule]]:
        assert self.store is not None
        context = self._context(feed, record)
        found: list[tuple[Alert, StreamRule]] = []
        data = self._parser_input(feed, record)
        if data is None:
            self.stats.notices += 1
            return found
        try:
            items = list(feed.parser(data, context))
        except Exception:  # a parser bug: keep serving; the line is in the spool for batch
            log.exception("%s parser failed on a line", feed.settings.format)
            self.stats.parse_rejects += 1
            return found
        for item in items:
            if not isinstance(item, CallLeg):
                self.stats.parse_rejects += 1
                continue
            self.stats.legs += 1
            if item.extension:
                self.stats.extensions.add(f"{feed.key.tenant_id}/{feed.site.id}/{item.extension}")
            event = event_from_leg(
                item, feed.key.tenant_id, feed.site, feed.settings.name, record.arrived_at
            )
            self.store.apply(event)
            for rule in rules:
                found.extend((alert, rule) for alert in rule.on_event(event, self._ctx, now))
        return found

    async def _submit_all(self, alerts: list[tuple[Alert, StreamRule]]) -> None:
        """Hand alerts to the dispatcher concurrently, so they share its group commits instead
        of each waiting for its own fsync; at most _SUBMIT_AT_ONCE in flight. Raises the first
        failure once every submit has settled (the caller then leaves the cursor alone)."""
        for first in range(0, len(alerts), _SUBMIT_AT_ONCE):
            chunk = alerts[first : first + _SUBMIT_AT_ONCE]
            results = await asyncio.gather(
                *(self._submit(alert, rule) for alert, rule in chunk), return_exceptions=True
            )
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                raise failures[0]

    async def _submit(self, alert: Alert, rule: StreamRule) -> None:
        assert self.sink is not None
        if await self.sink.submit(alert, rule.notify):
            self.stats.alerts += 1
            log.warning("alert %s: %s", alert.alert_id, alert.message)
        else:
            self.stats.alerts_duplicate += 1

    def _rule_objects(self) -> list[StreamRule]:
        rules = [rule for _, rule in self._rules.values()]
        if self.bus is not None and self.role == "worker":
            # Feed silence needs every record of a listener: the listener's job with a bus.
            return [rule for rule in rules if not isinstance(rule, FeedSilence)]
        if self.bus is not None and self.role == "listener" and not self.settings.sip:
            # The rest run in the workers; SIP sources are evaluated (and ticked) here.
            return [rule for rule in rules if isinstance(rule, FeedSilence)]
        return rules

    async def _tick_loop(self) -> None:
        since_reload = 0.0
        while True:
            await asyncio.sleep(_TICK_SECONDS)
            now = datetime.now(UTC)
            due: list[tuple[Alert, StreamRule]] = []
            for rule in self._rule_objects():
                try:
                    due.extend((alert, rule) for alert in rule.on_tick(self._ctx, now))
                except Exception:
                    log.exception("rule %s failed on a tick", rule.rule_id)
            if self.store is not None:
                for alert, _ in due:
                    self.store.record_alert(alert)
            try:
                await self._submit_all(due)
            except Exception:
                log.exception("submitting %d alerts of a tick failed", len(due))
            since_reload += _TICK_SECONDS
            if since_reload >= self.settings.reload_seconds:
                since_reload = 0.0
                self.reload_rules_if_changed()
            if self.store is not None:
                self.store.prune(now)

    def reload_rules_if_changed(self) -> bool:
        """Re-read callmeter.yaml when it changed; a broken file keeps the running rules."""
        mtime = _mtime(self.config_path)
        if self.config_path is None or mtime == self._config_mtime:
            return False
        self._config_mtime = mtime
        try:
            config = load_config(self.config_path)
            settings = cfg.load_streaming(config, str(self.config_path))
            self._rules = build_rules(list(settings.rules), self._rules)
        except (ConfigError, ValueError, OSError) as error:
            log.error("not reloading the rules: %s", error)
            return False
        log.info("rules reloaded: %s", ", ".join(self._rules))
        return True


def _safe(name: str) -> str:
    """A worker id usable in file and NATS key names."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _mtime(path: Path | None) -> float | None:
    try:
        return path.stat().st_mtime if path is not None else None
    except OSError:
        return None


def _dispatcher(notify: list[dict[str, Any]], state_dir: Path) -> AlertSink:
    from streaming.notify.dispatcher import Dispatcher

    dispatcher: AlertSink = Dispatcher.from_config(notify, state_dir)
    return dispatcher
