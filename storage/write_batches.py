"""Blocking writes handed to storage threads in batches, so that a busy bot wakes a thread per batch, not per write.

`WriteBatches.submit(request)` queues one request at once and returns the future of its result (so writes asked
for together, e.g. a new case's follow-up jobs, go into one batch without a task each). A storage thread takes
every request queued at that moment and runs them together (`run_batch`: the local documents commit them in one
SQLite transaction); meanwhile new requests queue for the next batch, which the same thread takes next without
going back to sleep. At most `max_threads` threads work at once. The results reach the event loops in one callback
per loop and batch.

Failure: a batch that fails as a whole (`run_batch` raises, e.g. its COMMIT) fails its own writes with that error
and nothing else; the writes queued meanwhile go into the next batch as usual. Nothing is retried here: a caller
that needs a write not to outlive another awaits that one first.

Why: on a busy bot the cost of a durable write is not the disk but the hand-over: waking a pool thread for
each write, the thread and the event loop taking the GIL from each other around every system call, and one
event-loop wake-up per result (benchmarks/README.md has the measurements).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

R = TypeVar("R")
T = TypeVar("T")


@dataclass
class _Waiting(Generic[R]):
    request: R
    future: asyncio.Future[Any]


def _resolve(outcomes: list[tuple[asyncio.Future[Any], Any]]) -> None:
    """In the waiting loop: hand each write its result (a result that is an exception is raised there)."""
    for future, outcome in outcomes:
        if future.done():  # the waiting turn was cancelled
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class WriteBatches(Generic[R, T]):
    """See the module docstring. `run_batch` gets the requests in the order they came and returns one result
    (or the exception to raise) per request, in the same order; it runs in a thread of `executor`."""

    def __init__(
        self,
        executor: Executor,
        run_batch: Callable[[list[R]], Sequence[T | BaseException]],
        *,
        max_threads: int,
    ) -> None:
        self._executor = executor
        self._run_batch = run_batch
        self._max_threads = max_threads
        self._lock = threading.Lock()
        self._waiting: list[_Waiting[R]] = []
        self._working = 0
        self.batches = 0  # batches run, for tests and measurements

    def submit(self, request: R) -> asyncio.Future[T]:
        """Queue `request` now (call it in the event loop); await the future for its result."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._waiting.append(_Waiting(request, future))
            start = self._working < self._max_threads
            if start:
                self._working += 1
        if start:
            self._executor.submit(self._work)
        return future

    def _work(self) -> None:
        """In a storage thread: run batches until nothing waits."""
        finished = False
        try:
            while True:
                with self._lock:
                    batch, self._waiting = self._waiting, []
                    if not batch:
                        self._working -= 1  # with the lock held: a write queued after this starts a thread
                        finished = True
                        return
                self._run(batch)
        finally:
            if not finished:  # something escaped: give the place up, and hand waiting writes to a new thread
                with self._lock:
                    self._working -= 1
                    restart = bool(self._waiting) and self._working < self._max_threads
                    if restart:
                        self._working += 1
                if restart:
                    self._executor.submit(self._work)

    def _run(self, batch: list[_Waiting[R]]) -> None:
        try:
            results: Sequence[Any] = self._run_batch([waiting.request for waiting in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} writes gave {len(results)} results")
        except BaseException as error:  # the batch failed as a whole: its own writes fail (see Failure)
            results = [error] * len(batch)
        self.batches += 1
        self._tell(batch, results)

    def _tell(self, batch: list[_Waiting[R]], results: Sequence[Any]) -> None:
        """Hand the results to the loops the writes wait in: one callback per loop."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
        for waiting, result in zip(batch, results, strict=True):
            by_loop.setdefault(waiting.future.get_loop(), []).append((waiting.future, result))
        for loop, outcomes in by_loop.items():
            with suppress(RuntimeError):  # that loop is closed: nobody waits there any more
                loop.call_soon_threadsafe(_resolve, outcomes)
