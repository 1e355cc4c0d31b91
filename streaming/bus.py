"""The NATS JetStream scale-out: listeners publish spooled records, rule workers consume them.

Without a bus (`streaming.bus` / CALLMETER_BUS unset) none of this runs: one process, no broker.
With one, an install (`streaming.bus_name`, default `callmeter`) has:

- one stream `<bus_name>` holding the subjects `<bus_name>.records.<tenant>.<partition>`;
  the partition is a hash of (site, extension) of the record's first leg, or of the listener
  for a record without one (rejects, lines the parser refuses), modulo `streaming.partitions`.
  Every message carries `Nats-Msg-Id` = its spool position, so a listener that republishes after
  a crash is deduplicated by the stream's duplicate window.
- one durable pull consumer per partition (`<bus_name>-p<n>`, explicit acks); a worker acks a
  record once its alerts are in its delivery log. A record not acked within `bus_ack_wait`
  seconds (its worker died) is delivered again to whoever consumes the partition next.
- a key-value bucket `<bus_name>_leases` (entries expire after `bus_lease_seconds`) where each
  worker keeps a heartbeat `w.<id>` and the partitions it owns `p.<n>`. With the live worker ids
  sorted, worker i of W owns the partitions p with p mod W == i, so shares are even and every
  worker computes the same map; it changes when workers come or go. A worker gives a partition up (finishing and
  acking its batch first) when another worker becomes its owner, and takes one only once its
  lease key is free: a partition is consumed by exactly one worker at a time, which is what keeps
  per-extension rules (burst, threshold, anomaly, concurrency per extension) correct.
  A worker that dies stops renewing; its leases expire and the survivors take its partitions.

Rules whose scope spans partitions (per-trunk or per-site concurrency and thresholds) see only
their partition's share of the traffic in this mode; feed silence runs in the listener."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from extractors.spool import SpoolRecord

log = logging.getLogger(__name__)

H_LISTENER = "Callmeter-Listener"
H_ARRIVED = "Callmeter-Arrived"  # Unix microseconds
H_REASON = "Callmeter-Reason"  # percent-encoded; only on rejects
_DUPLICATE_WINDOW = 300.0  # seconds: a listener's republish after a crash is dropped
_FETCH_SECONDS = 0.5  # a pull waits this long for records (and a release at most this)
_RELEASE_SECONDS = 30.0
_MORE_SECONDS = 0.01  # after the first record of a batch, how long to wait for more
_ACK_SECONDS = 10.0  # JetStream's acks for a published group


def partition_of(tenant_id: str, key: str, partitions: int) -> int:
    """The partition of a record: a stable hash (the same in every process) of tenant and key."""
    return zlib.crc32(f"{tenant_id}\x1f{key}".encode()) % partitions


def owner_of(partition: int, workers: list[str]) -> str | None:
    """The worker that should own a partition: with the live worker ids sorted, worker i owns
    the partitions p with p mod W == i (even shares; every worker computes the same answer)."""
    if not workers:
        return None
    ordered = sorted(workers)
    return ordered[partition % len(ordered)]


@dataclass(frozen=True)
class BusSettings:
    """Where the bus is and how it is named and timed."""

    url: str
    name: str = "callmeter"
    partitions: int = 8
    lease_seconds: float = 3.0
    ack_wait: float = 10.0

    @property
    def stream(self) -> str:
        return self.name

    def subject(self, tenant_id: str, partition: int) -> str:
        return f"{self.name}.records.{tenant_id}.{partition}"

    def partition_filter(self, partition: int) -> str:
        return f"{self.name}.records.*.{partition}"

    def consumer(self, partition: int) -> str:
        return f"{self.name}-p{partition}"

    @property
    def bucket(self) -> str:
        return f"{self.name}_leases"


def encode(listener: str, record: SpoolRecord) -> tuple[bytes, dict[str, str]]:
    """A spooled record as a message body and headers."""
    headers = {
        H_LISTENER: listener,
        H_ARRIVED: str(int(record.arrived_at.timestamp() * 1_000_000)),
    }
    if record.reason is not None:
        headers[H_REASON] = quote(record.reason, safe="")
    return record.payload, headers


def decode(data: bytes, headers: dict[str, str] | None) -> tuple[str, SpoolRecord]:
    """(listener, record) from a message; raises ValueError for a message not made by encode."""
    headers = headers or {}
    try:
        listener = headers[H_LISTENER]
        arrived = datetime.fromtimestamp(int(headers[H_ARRIVED]) / 1_000_000, UTC)
    except (KeyError, ValueError):
        raise ValueError("not a callmeter record message (headers missing)") from None
    reason = headers.get(H_REASON)
    return listener, SpoolRecord(data, arrived, unquote(reason) if reason is not None else None)


class Bus:
    """One connection to NATS with the install's stream, consumers and lease bucket."""

    def __init__(self, settings: BusSettings) -> None:
        self.settings = settings
        self.nc: Any = None
        self.js: Any = None

    async def connect(self) -> None:
        """Connect and make sure the stream and the lease bucket exist."""
        import nats
        from nats.js.api import StorageType, StreamConfig

        self.nc = await nats.connect(
            self.settings.url, name="callmeter-stream", max_reconnect_attempts=-1
        )
        self.js = self.nc.jetstream()
        config = StreamConfig(
            name=self.settings.stream,
            subjects=[f"{self.settings.name}.records.>"],
            storage=StorageType.FILE,
            duplicate_window=_DUPLICATE_WINDOW,
        )
        try:
            await self.js.add_stream(config)
        except Exception as error:  # exists with another config: keep it, say so
            log.info("stream %s: %s", self.settings.stream, error)

    async def publish_many(
        self, items: list[tuple[str, int, str, bytes, dict[str, str]]]
    ) -> list[BaseException | None]:
        """Publish (tenant, partition, msg_id, data, headers) items pipelined, then wait for
        JetStream's acks (each record is then stored by the broker). One result per item:
        None when stored, else the error."""
        futures = []
        for tenant_id, partition, msg_id, data, headers in items:
            futures.append(
                await self.js.publish_async(
                    self.settings.subject(tenant_id, partition),
                    data,
                    stream=self.settings.stream,
                    headers={**headers, "Nats-Msg-Id": msg_id},
                )
            )
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*futures, return_exceptions=True), _ACK_SECONDS
            )
        except TimeoutError as error:
            for future in futures:
                future.cancel()
            return [error] * len(items)
        return [r if isinstance(r, BaseException) else None for r in results]

    async def live_workers(self) -> list[str]:
        """Worker ids with a heartbeat in the lease bucket (one request; entries of workers
        that stopped renewing have expired)."""
        info = await self.js.stream_info(
            f"KV_{self.settings.bucket}", subjects_filter=f"$KV.{self.settings.bucket}.w.>"
        )
        prefix = f"$KV.{self.settings.bucket}.w."
        return [subject.removeprefix(prefix) for subject in (info.state.subjects or {})]

    async def leases(self) -> Any:
        from nats.js.api import KeyValueConfig

        try:
            return await self.js.key_value(self.settings.bucket)
        except Exception:
            return await self.js.create_key_value(
                KeyValueConfig(bucket=self.settings.bucket, ttl=self.settings.lease_seconds)
            )

    async def subscribe(self, partition: int) -> Any:
        """The partition's durable pull consumer (created on first use)."""
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        config = ConsumerConfig(
            durable_name=self.settings.consumer(partition),
            filter_subject=self.settings.partition_filter(partition),
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.settings.ack_wait,
            max_ack_pending=20_000,
        )
        return await self.js.pull_subscribe(
            self.settings.partition_filter(partition),
            durable=self.settings.consumer(partition),
            stream=self.settings.stream,
            config=config,
        )

    async def close(self) -> None:
        if self.nc is not None and not self.nc.is_closed:
            await self.nc.close()

    async def abort(self) -> None:
        """Drop the connection without draining (what a killed process looks like; tests)."""
        if self.nc is not None and not self.nc.is_closed:
            await self.nc.close()


async def _cancel(tasks: list[asyncio.Task[Any]], timeout: float = 5.0) -> None:
    """Cancel tasks and wait for them, cancelling again while they linger (Python 3.11's
    wait_for, used inside the NATS client, can swallow a cancellation)."""
    deadline = asyncio.get_running_loop().time() + timeout
    pending = {task for task in tasks if not task.done()}
    while pending and asyncio.get_running_loop().time() < deadline:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.2)
    if pending:
        log.warning("%d bus tasks did not stop", len(pending))


Handler = Callable[[list[tuple[str, SpoolRecord]]], Awaitable[None]]
Warm = Callable[[list[tuple[str, SpoolRecord]]], None]


class PartitionWorker:
    """Owns partitions through leases and feeds their records, in order, to `handle`."""

    def __init__(
        self,
        bus: Bus,
        worker_id: str,
        handle: Handler,
        batch: int = 500,
        warm: Warm | None = None,
        warm_seconds: float = 0.0,
    ) -> None:
        self.bus = bus
        self.worker_id = worker_id
        self.handle = handle
        self.batch = batch
        self.warm = warm
        self.warm_seconds = warm_seconds
        self.warmed: dict[int, int] = {}  # partition -> records replayed at takeover
        self.owned: dict[int, tuple[int, asyncio.Task[None]]] = {}  # partition -> (rev, task)
        self.processed: dict[int, int] = {}  # partition -> records handled (for tests, logs)
        self._kv: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._leaving: set[int] = set()

    async def start(self) -> None:
        self._kv = await self.bus.leases()
        await self._cycle()
        self._task = asyncio.create_task(self._leases_loop(), name=f"leases-{self.worker_id}")

    async def stop(self) -> None:
        """Finish the batches in hand, ack them, and give every partition back."""
        self._stopping.set()
        if self._task is not None:
            await _cancel([self._task])
        await asyncio.gather(*(self._release(p) for p in list(self.owned)))
        try:
            await self._kv.delete(f"w.{self.worker_id}")
        except Exception as error:
            log.debug("worker key: %s", error)

    async def abort(self) -> None:
        """Stop without acking or releasing anything (a crash; tests)."""
        self._stopping.set()
        tasks = [task for _, task in self.owned.values()]
        if self._task is not None:
            tasks.append(self._task)
        await _cancel(tasks)
        self.owned.clear()

    async def _leases_loop(self) -> None:
        while not self._stopping.is_set():
            await asyncio.sleep(self.bus.settings.lease_seconds / 3)
            try:
                await self._cycle()
            except Exception as error:  # the broker is away: keep trying, leases may lapse
                log.warning("worker %s: lease cycle failed: %s", self.worker_id, error)

    async def _cycle(self) -> None:
        kv = self._kv
        await kv.put(f"w.{self.worker_id}", b"alive")
        workers = sorted(set(await self.bus.live_workers()) | {self.worker_id})
        wanted = {
            p for p in range(self.bus.settings.partitions) if owner_of(p, workers) == self.worker_id
        }
        # Renew first: a slow release must never let the other leases lapse.
        for partition in sorted(set(self.owned) & wanted):
            revision, task = self.owned[partition]
            try:
                revision = await kv.update(f"p.{partition}", self.worker_id.encode(), last=revision)
                self.owned[partition] = (revision, task)
            except Exception as error:
                log.warning("worker %s lost partition %d: %s", self.worker_id, partition, error)
                self.owned.pop(partition)
                self._leaving.add(partition)  # stop fetching; unacked records are redelivered
        await asyncio.gather(*(self._release(p) for p in sorted(set(self.owned) - wanted)))
        if self._stopping.is_set():
            return
        for partition in sorted(wanted - set(self.owned)):
            try:
                revision = await kv.create(f"p.{partition}", self.worker_id.encode())
            except Exception:
                continue  # still held by its previous owner; try again next cycle
            self._leaving.discard(partition)
            task = asyncio.create_task(self._consume(partition), name=f"p{partition}")
            self.owned[partition] = (revision, task)
            log.info("worker %s took partition %d", self.worker_id, partition)

    async def _release(self, partition: int) -> None:
        revision, task = self.owned.pop(partition)
        self._leaving.add(partition)  # _consume finishes and acks the batch in hand, then ends
        done, _ = await asyncio.wait([task], timeout=_RELEASE_SECONDS)
        if not done:
            log.warning("partition %d: the batch in hand did not finish; cancelled", partition)
            await _cancel([task])
        try:
            await self._kv.delete(f"p.{partition}", last=revision)
        except Exception as error:
            log.debug("releasing partition %d: %s", partition, error)
        log.info("worker %s released partition %d", self.worker_id, partition)

    async def _consume(self, partition: int) -> None:
        import nats.errors

        subscription = await self.bus.subscribe(partition)
        try:
            await self._warm_up(partition)
            while partition not in self._leaving:
                try:  # wait for one record; a batch fetch would wait to fill the batch
                    messages = await subscription.fetch(1, timeout=_FETCH_SECONDS)
                except (TimeoutError, nats.errors.TimeoutError):
                    continue
                # Then take what is already there, without waiting for more.
                with contextlib.suppress(TimeoutError, nats.errors.TimeoutError):
                    messages += await subscription.fetch(self.batch - 1, timeout=_MORE_SECONDS)
                await self._handle(partition, messages)
        finally:
            try:
                await subscription.unsubscribe()
            except Exception as error:
                log.debug("unsubscribe p%d: %s", partition, error)

    async def _warm_up(self, partition: int) -> None:
        """Rebuild rule state for a partition just taken: the records its previous owner already
        acked, back to `warm_seconds`, go to `warm` (rules only, no alerts: those were sent)."""
        if self.warm is None or self.warm_seconds <= 0:
            return
        import nats.errors
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        settings = self.bus.settings
        info = await self.bus.js.consumer_info(settings.stream, settings.consumer(partition))
        floor = info.ack_floor.stream_seq if info.ack_floor else 0
        if not floor:
            return
        since = datetime.now(UTC) - timedelta(seconds=self.warm_seconds)
        reader = await self.bus.js.pull_subscribe(
            settings.partition_filter(partition),
            stream=settings.stream,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_TIME,
                opt_start_time=since,
                ack_policy=AckPolicy.NONE,
                inactive_threshold=30.0,
            ),
        )
        records: list[tuple[str, SpoolRecord]] = []
        try:
            done = False
            while not done:
                try:
                    messages = await reader.fetch(self.batch, timeout=1.0)
                except (TimeoutError, nats.errors.TimeoutError):
                    break
                for message in messages:
                    if message.metadata.sequence.stream > floor:
                        done = True
                        break
                    with contextlib.suppress(ValueError):
                        records.append(decode(message.data, message.headers))
                    done = message.metadata.sequence.stream == floor
        finally:
            with contextlib.suppress(Exception):
                await reader.unsubscribe()
        if records:
            self.warm(records)
        self.warmed[partition] = len(records)
        log.info("worker %s: partition %d warmed up from %d records", self.worker_id,
                 partition, len(records))  # fmt: skip

    async def _handle(self, partition: int, messages: list[Any]) -> None:
        records = []
        for message in messages:
            try:
                records.append(decode(message.data, message.headers))
            except ValueError as error:
                log.error("partition %d: dropping a foreign message: %s", partition, error)
        await self.handle(records)
        for message in messages:
            await message.ack()
        self.processed[partition] = self.processed.get(partition, 0) + len(records)
