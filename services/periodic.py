"""A background loop that does one round of work every `interval_seconds`, or at once when woken.

Shared by the outbox worker (proactive messages) and the follow-up worker (due jobs): `start()` with the
app, `wake()` after new work was stored, `stop()` lets the current round finish (up to a timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging


class PeriodicWorker:
    name = "vaern-worker"

    def __init__(self, interval_seconds: float) -> None:
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._log = logging.getLogger(f"vaern.{self.name}")

    async def run_once(self) -> int:
        """One round of work; returns how much was done."""
        raise NotImplementedError

    def wake(self) -> None:
        """Do a round now rather than at the next interval (e.g. right after new work was stored)."""
        self._wakeup.set()

    def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._stopping = False
        self._wakeup = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=self.name)

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the current round (up to `timeout` s) and stop."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wakeup.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                self._log.exception("%s: round failed", self.name)
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._interval)
            self._wakeup.clear()
