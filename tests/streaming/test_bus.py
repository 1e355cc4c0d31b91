"""The NATS JetStream scale-out on the machine's NATS: a listener publishes, two rule workers
share the partitions, a killed worker's records are redelivered to the survivor."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from callmeter.config import load_config
from streaming.alerts import Alert
from streaming.bus import owner_of, partition_of
from streaming.service import Role, Sidecar
from streaming.settings import load_streaming
from tests.conftest import require_service
from tests.streaming.feeds import mitel_line, send, write_config
from tests.streaming.test_service import LISTENERS, PREMIUM, RecordingSink, until

pytestmark = pytest.mark.nats
NATS_URL = "nats://127.0.0.1:4222"
BURST = {"id": "burst", "type": "burst", "calls": 3, "seconds": 60}
EXTENSIONS = [str(200 + n) for n in range(12)]


class BlockedSink(RecordingSink):
    """Takes alerts but never confirms them: its worker never gets to ack."""

    async def submit(self, alert: Alert, targets: list[str] | None = None) -> bool:  # noqa: ARG002
        self.alerts.append(alert)
        await asyncio.Event().wait()
        return True


@pytest.fixture
def bus_name() -> Iterator[str]:
    """A stream, consumers and lease bucket of the test's own, deleted afterwards."""
    require_service("NATS", "127.0.0.1", 4222)
    name = f"cmtest_{uuid.uuid4().hex[:10]}"
    yield name

    async def cleanup() -> None:
        import nats

        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        for action in (js.delete_stream(name), js.delete_key_value(f"{name}_leases")):
            with contextlib.suppress(Exception):  # never created
                await action
        await nc.close()

    asyncio.run(cleanup())


def sidecar(
    tmp_path: Path, bus_name: str, role: Role, sink: Any, worker_id: str | None = None
) -> Sidecar:
    streaming = {
        "listeners": LISTENERS[:1],
        "rules": [PREMIUM, BURST],
        "state_dir": str(tmp_path / "state"),
        "spool_dir": str(tmp_path / "spool"),
        "bus": NATS_URL,
        "bus_name": bus_name,
        "partitions": 8,
        "bus_lease_seconds": 1,
        "bus_ack_wait": 2,
    }
    path = write_config(tmp_path / "callmeter.yaml", streaming)
    config = load_config(path)
    return Sidecar(
        config,
        load_streaming(config),
        config_path=path,
        sink_factory=lambda _notify, _dir: sink,
        role=role,
        worker_id=worker_id,
    )


def three_premium_calls_each() -> bytes:
    """Three premium calls by each extension, started in the same minute: a burst each."""
    return b"".join(
        mitel_line(extension=extension, duration=f"00:02:{10 + n}")
        for n in range(3)
        for extension in EXTENSIONS
    )


async def settled(*workers: Sidecar) -> None:
    """Every worker owns exactly its share of the partitions (and so no partition is shared)."""
    ids = [w.worker_id for w in workers]

    def check() -> bool:
        return all(
            w.partition_worker is not None
            and set(w.partition_worker.owned)
            == {p for p in range(8) if owner_of(p, ids) == w.worker_id}
            for w in workers
        )

    await until(check, timeout=15)


def test_partitions_are_shared_evenly_and_keys_hash_stably() -> None:
    owners = Counter(owner_of(p, ["b", "a", "c"]) for p in range(8))
    assert owners == {"a": 3, "b": 3, "c": 2}
    assert owner_of(5, ["a", "b"]) == owner_of(5, ["b", "a"]) == "b"
    assert owner_of(3, []) is None
    assert partition_of("acme", "london\x1f201", 8) == partition_of("acme", "london\x1f201", 8)
    spread = Counter(partition_of("acme", f"london\x1f{200 + n}", 8) for n in range(800))
    assert len(spread) == 8 and min(spread.values()) > 60


def test_two_workers_share_the_partitions_each_extension_on_one_and_a_burst_fires_once(
    tmp_path: Path, bus_name: str
) -> None:
    sinks = {"a": RecordingSink(), "b": RecordingSink()}
    listener = sidecar(tmp_path, bus_name, "listener", RecordingSink())
    workers = {w: sidecar(tmp_path, bus_name, "worker", sinks[w], w) for w in sinks}

    async def scenario() -> None:
        for worker in workers.values():
            await worker.start()
        await listener.start()
        try:
            await settled(*workers.values())
            await asyncio.to_thread(send, listener.ports["mitel"], three_premium_calls_each())
            await until(lambda: sum(w.stats.legs for w in workers.values()) == 36, timeout=15)
            await until(lambda: sum(len(s.alerts) for s in sinks.values()) == 48, timeout=5)
        finally:
            await listener.stop()
            for worker in workers.values():
                await worker.stop()

    asyncio.run(scenario())
    a, b = (workers[w].stats.extensions for w in ("a", "b"))
    assert a and b and not a & b  # both worked, no extension on both
    assert len(a | b) == len(EXTENSIONS)
    bursts = Counter(
        alert.extension for sink in sinks.values() for alert in sink.alerts if alert.rule == "burst"
    )
    assert bursts == dict.fromkeys(EXTENSIONS, 1)
    assert listener.stats.published == 36 and listener.stats.legs == 0


def test_records_of_a_killed_worker_are_redelivered_to_the_survivor(
    tmp_path: Path, bus_name: str
) -> None:
    blocked, survivor_sink = BlockedSink(), RecordingSink()
    listener = sidecar(tmp_path, bus_name, "listener", RecordingSink())
    doomed = sidecar(tmp_path, bus_name, "worker", blocked, "doomed")
    survivor = sidecar(tmp_path, bus_name, "worker", survivor_sink, "survivor")

    async def scenario() -> None:
        await doomed.start()
        await survivor.start()
        await listener.start()
        try:
            await settled(doomed, survivor)
            await asyncio.to_thread(send, listener.ports["mitel"], three_premium_calls_each())
            await until(lambda: len(blocked.alerts) > 0 and doomed.stats.legs > 0, timeout=15)
            taken = doomed.stats.extensions
            await doomed.abort()  # nothing it fetched was acked
            await until(lambda: survivor.stats.legs == 36, timeout=20)
            assert taken <= survivor.stats.extensions
        finally:
            await listener.stop()
            await survivor.stop()

    asyncio.run(scenario())
    premium = {alert.extension for alert in survivor_sink.alerts if alert.rule == "premium"}
    assert premium == set(EXTENSIONS)
    bursts = Counter(a.extension for a in survivor_sink.alerts if a.rule == "burst")
    assert bursts == dict.fromkeys(EXTENSIONS, 1)


def test_a_worker_taking_over_a_partition_rebuilds_its_windows_so_a_burst_still_fires(
    tmp_path: Path, bus_name: str
) -> None:
    sinks = {"doomed": RecordingSink(), "survivor": RecordingSink()}
    listener = sidecar(tmp_path, bus_name, "listener", RecordingSink())
    workers = {w: sidecar(tmp_path, bus_name, "worker", sinks[w], w) for w in sinks}
    two_calls = b"".join(
        mitel_line(extension=e, duration=f"00:02:{10 + n}") for n in range(2) for e in EXTENSIONS
    )
    third = b"".join(mitel_line(extension=e, duration="00:02:12") for e in EXTENSIONS)

    async def scenario() -> None:
        for worker in workers.values():
            await worker.start()
        await listener.start()
        try:
            await settled(*workers.values())
            await asyncio.to_thread(send, listener.ports["mitel"], two_calls)
            acked = lambda: sum(  # noqa: E731
                sum(w.partition_worker.processed.values())
                for w in workers.values()
                if w.partition_worker
            )
            await until(lambda: acked() == 24, timeout=15)
            moved = workers["doomed"].stats.extensions
            await workers["doomed"].abort()
            await settled(workers["survivor"])  # it owns every partition now
            await asyncio.to_thread(send, listener.ports["mitel"], third)
            await until(lambda: sum(1 for a in sinks["survivor"].alerts if a.rule == "burst") == 12)
            assert moved and workers["survivor"].stats.warmed_up >= 2 * len(moved)
        finally:
            await listener.stop()
            await workers["survivor"].stop()

    asyncio.run(scenario())
    assert [a for a in sinks["doomed"].alerts if a.rule == "burst"] == []
