"""The follow-up worker: takes due jobs from the queue, lets `FollowUpHandler` carry them out, and deletes each
only after it took effect. It runs inside the app (SCHEDULER_IN_APP=true, the default) or alone
(`python -m bot.scheduler`), so operators can scale bots and workers separately.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from domain.clock import Clock
from services.follow_ups import FollowUpHandler
from services.periodic import PeriodicWorker
from storage.job_queue import JobLease, JobQueue

Sweep = Callable[[], Awaitable[int]]

log = logging.getLogger("vaern.scheduler")


class FollowUpWorker(PeriodicWorker):
    name = "follow-up-worker"

    def __init__(
        self,
        queue: JobQueue,
        handler: FollowUpHandler,
        sweeps: list[Sweep],
        clock: Clock,
        interval_seconds: float,
        *,
        batch: int = 32,
        on_effect: PeriodicWorker | None = None,
    ) -> None:
        super().__init__(interval_seconds)
        self._queue = queue
        self._handler = handler
        self._sweeps = sweeps
        self._clock = clock
        self._batch = batch
        self._on_effect = on_effect
        self._swept = False

    async def run_once(self) -> int:
        """Plan everything once (the first round: all cases and plans), then carry out every due job; returns how
        many took effect."""
        if not self._swept:
            for sweep in self._sweeps:
                await sweep()
            self._swept = True
        done = 0
        while leases := await self._queue.receive(self._clock.now(), self._batch):
            for lease in leases:
                done += await self._carry_out(lease)
            if self._on_effect is not None:
                self._on_effect.wake()  # the messages are in the outbox: send them now
            if len(leases) < self._batch:
                break
        return done

    async def _carry_out(self, lease: JobLease) -> int:
        fields = {"job_id": lease.job.id, "kind": lease.job.kind.value, "attempt": lease.attempts}
        try:
            took_effect = await self._handler.handle(lease.job)
            await self._queue.done(lease)
        except Exception:
            log.exception("follow-up failed; it comes back after its lease", extra={"fields": fields})
            return 0
        return int(took_effect)
