"""The dispatcher: a durable, idempotent queue of alert deliveries (docs/notifications.md).

```python
d = Dispatcher.from_config(config.streaming["notify"], state_dir)
await d.start()                 # resumes pending deliveries from the delivery log
await d.submit(alert)           # on disk before it returns; False for an alert_id seen before
await d.stop()                  # drains in-flight attempts; the rest stays pending in the log
```

The delivery log (SQLite, WAL) is the queue. Every write goes through one log thread that groups
whatever is waiting into one transaction, so a burst of alerts costs one commit, not one each.
Each target has its own in-memory work queue and `concurrency` workers; a failed attempt is
scheduled again after an exponential backoff with full jitter, up to `max_attempts`.

Delivery is at least once: an alert acknowledged by a target just before a crash, whose outcome
was not yet committed, is sent again after the restart with the same body and Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from streaming.alerts import Alert
from streaming.notify.base import Job, Outcome, Sender, describe
from streaming.notify.config import (
    AppriseTarget,
    BlockTarget,
    NotifyConfigError,
    ResolvedTarget,
    Target,
    WebhookTarget,
    parse_targets,
    resolve,
)
from streaming.notify.delivery_log import (
    DELIVERED,
    FAILED,
    PENDING,
    DeliveryLog,
    DeliveryRecord,
    Operation,
    add_alert,
    deliveries_of,
    pending_deliveries,
    record_attempt,
)

_log = logging.getLogger(__name__)
_MAX_BATCH = 2000  # operations per transaction


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Full-jitter exponential backoff: uniform between 0 and min(cap, base * 2**(attempt-1)).

    Args:
        attempt: The attempt that just failed (1 for the first).
        base: Seconds; the ceiling after the first failure.
        cap: Seconds; the ceiling never grows past this.
        rng: The random source (seeded in tests).
    """
    ceiling = min(cap, base * 2 ** min(attempt - 1, 62))
    return rng.uniform(0.0, ceiling)


def encode_alert(alert: Alert) -> str:
    """The webhook body: the alert's payload as compact JSON with sorted keys."""
    return json.dumps(alert.as_payload(), sort_keys=True, separators=(",", ":"), default=str)


class _LogWriter:
    """Runs delivery-log operations in one thread, grouping queued ones into one transaction."""

    def __init__(self, log: DeliveryLog) -> None:
        self._log = log
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="callmeter-notify-log")
        self._queue: asyncio.Queue[tuple[Operation, asyncio.Future[Any]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.commits = 0  # transactions so far (for the benchmark's fsync count)

    async def open(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._pool, self._log.open)
        self._task = asyncio.create_task(self._run(), name="callmeter-notify-log")

    async def call(self, operation: Operation) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((operation, future))
        return await future

    def post(self, operation: Operation) -> None:
        """Queue an operation without waiting for its commit; a failure is logged."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_log_failure)
        self._queue.put_nowait((operation, future))

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < _MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            operations = [operation for operation, _ in batch]
            try:
                results = await loop.run_in_executor(self._pool, self._log.run_batch, operations)
            except Exception as error:  # the whole transaction failed (disk full, ...)
                _log.error("delivery log write failed: %s", describe(error))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            self.commits += 1
            for (_, future), (ok, value) in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(value) if ok else future.set_exception(value)

    async def close(self) -> None:
        if self._task is None:
            return
        await self.call(lambda _conn: None)  # FIFO: everything queued before is committed
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        await asyncio.get_running_loop().run_in_executor(self._pool, self._log.close)
        self._pool.shutdown(wait=True)


def _log_failure(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        _log.error("delivery log write failed: %s", describe(future.exception()))  # type: ignore[arg-type]


@dataclass
class _Runner:
    """One target: its sender, its work queue and its workers."""

    target: Target
    sender: Sender
    queue: asyncio.Queue[Job] = field(default_factory=asyncio.Queue)
    workers: list[asyncio.Task[None]] = field(default_factory=list)


class Dispatcher:
    """Delivers alerts to the configured targets, durably and at most once per alert_id."""

    def __init__(
        self,
        targets: Sequence[ResolvedTarget],
        state_dir: Path,
        *,
        rng: random.Random | None = None,
    ) -> None:
        """Prefer `Dispatcher.from_config`; this takes targets already validated and resolved.

        Args:
            targets: The notify targets with their secrets.
            state_dir: Folder for the delivery log (created if missing).
            rng: Random source for backoff jitter.
        """
        self._targets = {resolved.id: resolved for resolved in targets}
        self.state_dir = Path(state_dir)
        self._rng = rng or random.Random()
        self._writer = _LogWriter(DeliveryLog(self.state_dir))
        self._runners: dict[str, _Runner] = {}
        self._timers: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._outstanding: dict[str, int] = {}  # alert_id -> deliveries not yet settled
        self._settled: asyncio.Condition | None = None
        self._idle: asyncio.Event | None = None
        self._queued = 0  # jobs queued or being attempted
        self._started = False
        self._stopping = False

    @classmethod
    def from_config(
        cls, notify_section: list[dict[str, Any]] | None, state_dir: Path
    ) -> Dispatcher:
        """Build a dispatcher from the `streaming.notify` list of callmeter.yaml.

        Args:
            notify_section: The list of targets (webhook, apprise, block).
            state_dir: The sidecar's state folder; the delivery log lives there.

        Raises:
            NotifyConfigError: A target is invalid or a secret variable is unset; the message
                names the key.
        """
        targets = resolve(parse_targets(notify_section))
        for index, resolved in enumerate(targets):
            if resolved.url is not None and isinstance(resolved.target, AppriseTarget):
                from streaming.notify.apprise_target import check_url

                if not check_url(resolved.url):
                    key = "url" if resolved.target.url else "url_env"
                    raise NotifyConfigError(
                        f"streaming.notify[{index}] (id {resolved.id}).{key}: apprise does not "
                        "recognise this URL (see apprise's list of services)"
                    )
        return cls(targets, state_dir)

    @property
    def target_ids(self) -> list[str]:
        """The configured target ids, in configuration order."""
        return list(self._targets)

    async def start(self) -> None:
        """Open the delivery log, start the workers and resume pending deliveries."""
        if self._started:
            raise RuntimeError("the dispatcher is already started")
        if self._stopping:
            raise RuntimeError("a stopped dispatcher cannot start again; build a new one")
        self._settled = asyncio.Condition()
        self._idle = asyncio.Event()
        self._idle.set()
        await self._writer.open()
        self._started = True
        for target_id, resolved in self._targets.items():
            runner = _Runner(target=resolved.target, sender=_make_sender(resolved))
            runner.workers = [
                asyncio.create_task(self._work(runner), name=f"callmeter-notify-{target_id}-{n}")
                for n in range(resolved.target.concurrency)
            ]
            self._runners[target_id] = runner
        pending = await self._writer.call(pending_deliveries)
        orphans: dict[str, int] = {}
        now = time.time()
        for row in pending:
            if row.target_id not in self._runners:
                orphans[row.target_id] = orphans.get(row.target_id, 0) + 1
                continue
            self._outstanding[row.alert_id] = self._outstanding.get(row.alert_id, 0) + 1
            job = Job(row.alert_id, row.target_id, row.payload, row.attempts)
            self._schedule(job, max(0.0, row.next_attempt_at - now))
        if pending:
            _log.info("resuming %d pending deliveries from %s", len(pending), self.state_dir)
        for target_id, count in orphans.items():
            _log.warning(
                "%d pending deliveries are for target %r, which is no longer configured; "
                "they stay pending in the delivery log",
                count,
                target_id,
            )

    async def submit(self, alert: Alert, targets: list[str] | None = None) -> bool:
        """Queue an alert for delivery; it is in the delivery log when this returns.

        Args:
            alert: The alert; its alert_id is the idempotency key.
            targets: Target ids to deliver to; None means every configured target.

        Returns:
            True when queued, False when this alert_id was submitted before (even before a
            restart): it is never sent twice.

        Raises:
            ValueError: An unknown target id, or an alert without an alert_id.
            RuntimeError: The dispatcher is not started or is stopping.
        """
        if not self._started or self._stopping:
            raise RuntimeError("submit() needs a started dispatcher (await start() first)")
        if not alert.alert_id:
            raise ValueError("the alert has no alert_id")
        chosen = self.target_ids if targets is None else list(dict.fromkeys(targets))
        unknown = [target for target in chosen if target not in self._targets]
        if unknown:
            known = ", ".join(self._targets) or "none configured"
            raise ValueError(f"unknown notify target(s) {', '.join(unknown)} (known: {known})")
        payload = encode_alert(alert)
        is_new = await self._writer.call(add_alert(alert.alert_id, payload, chosen, time.time()))
        if is_new and chosen and not self._stopping:  # if stopping, the log keeps it pending
            self._outstanding[alert.alert_id] = len(chosen)
            for target_id in chosen:
                self._enqueue(Job(alert.alert_id, target_id, payload))
        return bool(is_new)

    async def deliveries(self, alert_id: str) -> list[DeliveryRecord]:
        """The delivery log's rows for one alert (one per target)."""
        return list(await self._writer.call(deliveries_of(alert_id)))

    async def wait_settled(self, alert_id: str, timeout: float = 10.0) -> list[DeliveryRecord]:
        """Wait until every delivery of an alert is delivered or failed, and return the rows.

        Raises:
            TimeoutError: Some delivery is still pending after `timeout` seconds.
        """
        assert self._settled is not None, "start() first"
        async with self._settled:
            await asyncio.wait_for(
                self._settled.wait_for(lambda: alert_id not in self._outstanding), timeout
            )
        return await self.deliveries(alert_id)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop: let queued and in-flight attempts finish for up to `grace` seconds.

        Retries scheduled for later are not waited for; they are pending in the delivery log and
        the next start() resumes them. So are attempts cut off by the grace period.
        """
        if not self._started or self._stopping:
            return
        self._stopping = True
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        assert self._idle is not None
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            _log.warning("stopping with %d deliveries in flight; they stay pending", self._queued)
        workers = [task for runner in self._runners.values() for task in runner.workers]
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for runner in self._runners.values():
            await runner.sender.aclose()
        await self._writer.close()
        self._runners.clear()
        self._started = False

    # -- internals -------------------------------------------------------------------------

    def _enqueue(self, job: Job) -> None:
        assert self._idle is not None
        self._queued += 1
        self._idle.clear()
        self._runners[job.target_id].queue.put_nowait(job)

    def _schedule(self, job: Job, delay: float) -> None:
        if self._stopping:
            return  # it is pending in the log; the next start() picks it up
        if delay <= 0:
            self._enqueue(job)
            return
        key = (job.alert_id, job.target_id)
        self._timers[key] = asyncio.get_running_loop().call_later(delay, self._fire, key, job)

    def _fire(self, key: tuple[str, str], job: Job) -> None:
        self._timers.pop(key, None)
        if not self._stopping:
            self._enqueue(job)

    async def _work(self, runner: _Runner) -> None:
        while True:
            job = await runner.queue.get()
            try:
                await self._attempt(runner, job)
            except Exception:
                # Only the log write can fail here; the delivery is still pending on disk.
                _log.exception(
                    "delivery of %s to %s could not be recorded", job.alert_id, job.target_id
                )
            finally:
                self._queued -= 1
                if self._queued == 0 and self._idle is not None:
                    self._idle.set()

    async def _attempt(self, runner: _Runner, job: Job) -> None:
        target = runner.target
        attempt = job.attempts + 1
        started = time.perf_counter()
        try:
            outcome = await runner.sender.send(job, attempt)
        except Exception as error:  # a sender bug must not kill the worker
            outcome = Outcome(ok=False, error=describe(error))
        latency_ms = round((time.perf_counter() - started) * 1000, 3)
        now = time.time()
        delay = 0.0
        if outcome.ok:
            status, next_at = DELIVERED, None
        elif outcome.permanent or attempt >= target.max_attempts:
            status, next_at = FAILED, None
        else:
            delay = backoff_delay(attempt, target.backoff_base, target.backoff_cap, self._rng)
            if outcome.retry_after is not None:
                delay = min(target.backoff_cap, max(delay, outcome.retry_after))
            status, next_at = PENDING, now + delay
        # Not awaited: the worker moves on while the log thread commits this with the next batch.
        # The log thread is FIFO, so a later read or retry always sees it; if the process dies
        # before the commit, the delivery is still pending and is retried (at least once).
        self._writer.post(
            record_attempt(
                job.alert_id,
                job.target_id,
                attempts=attempt,
                status=status,
                response_code=outcome.code,
                latency_ms=latency_ms,
                error=outcome.error,
                next_attempt_at=next_at,
                now=now,
            )
        )
        if status == PENDING:
            _log.info(
                "alert %s to %s: attempt %d failed (%s); retry in %.2f s",
                job.alert_id, job.target_id, attempt, outcome.error, delay,
            )  # fmt: skip
            self._schedule(replace(job, attempts=attempt), delay)
            return
        if status == FAILED:
            _log.warning(
                "alert %s to %s: giving up after %d attempt(s): %s",
                job.alert_id, job.target_id, attempt, outcome.error,
            )  # fmt: skip
        await self._settle(job.alert_id)

    async def _settle(self, alert_id: str) -> None:
        left = self._outstanding.get(alert_id, 1) - 1
        if left > 0:
            self._outstanding[alert_id] = left
        else:
            self._outstanding.pop(alert_id, None)
        assert self._settled is not None
        async with self._settled:
            self._settled.notify_all()


def _make_sender(resolved: ResolvedTarget) -> Sender:
    target = resolved.target
    if isinstance(target, WebhookTarget):
        from streaming.notify.webhook import WebhookSender

        assert resolved.secret is not None
        return WebhookSender(target.url, resolved.secret, target.timeout, target.concurrency)
    if isinstance(target, AppriseTarget):
        from streaming.notify.apprise_target import AppriseSender

        assert resolved.url is not None
        return AppriseSender(resolved.url, target.timeout, target.concurrency, target.id)
    if isinstance(target, BlockTarget):
        from streaming.notify.actions import CommandBlockSender, HttpBlockSender

        if target.command is not None:
            return CommandBlockSender(target.command, target.timeout)
        assert target.url is not None
        return HttpBlockSender(
            target.url, target.method, resolved.secret, target.timeout, target.concurrency
        )
    raise TypeError(f"no sender for {type(target).__name__}")
