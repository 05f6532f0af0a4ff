"""WriteBatches: writes queued while a batch runs go together into the next one, in order; each write gets its
own result or error; a failing batch fails only its own writes; no write is left waiting; several event loops."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from storage.write_batches import WriteBatches


class Recorder:
    """A batch runner that records each batch, takes `seconds`, and answers request * 10 (or raises for < 0)."""

    def __init__(self, seconds: float = 0.02) -> None:
        self.seconds = seconds
        self.batches: list[list[int]] = []
        self.concurrent = 0
        self.most_concurrent = 0
        self._lock = threading.Lock()

    def __call__(self, requests: list[int]) -> list[int | BaseException]:
        with self._lock:
            self.batches.append(list(requests))
            self.concurrent += 1
            self.most_concurrent = max(self.most_concurrent, self.concurrent)
        time.sleep(self.seconds)
        with self._lock:
            self.concurrent -= 1
        return [ValueError(f"bad {request}") if request < 0 else request * 10 for request in requests]


@pytest.fixture
def executor() -> ThreadPoolExecutor:
    with ThreadPoolExecutor(8) as pool:
        yield pool


async def test_writes_arriving_during_a_batch_share_the_next_one_in_order(executor: ThreadPoolExecutor) -> None:
    recorder = Recorder(0.0)
    first_running, let_it_finish = threading.Event(), threading.Event()

    def gated(requests: list[int]) -> list[int | BaseException]:
        if requests == [0]:
            first_running.set()
            let_it_finish.wait(5)
        return recorder(requests)

    batches = WriteBatches(executor, gated, max_threads=1)
    first = asyncio.ensure_future(batches.submit(0))
    assert await asyncio.to_thread(first_running.wait, 5)
    later = [asyncio.ensure_future(batches.submit(number)) for number in range(1, 21)]
    await asyncio.sleep(0)  # all twenty are queued
    let_it_finish.set()

    assert await asyncio.gather(first, *later) == [number * 10 for number in range(21)]
    assert recorder.batches == [[0], list(range(1, 21))]
    assert batches.batches == 2


async def test_each_write_gets_its_own_error(executor: ThreadPoolExecutor) -> None:
    batches = WriteBatches(executor, Recorder(0.0), max_threads=2)

    results = await asyncio.gather(*(batches.submit(number) for number in (1, -2, 3)), return_exceptions=True)

    assert results[0] == 10 and results[2] == 30
    assert isinstance(results[1], ValueError) and str(results[1]) == "bad -2"


async def test_a_batch_runner_that_breaks_fails_its_writes_and_the_next_writes_still_run(
    executor: ThreadPoolExecutor,
) -> None:
    calls = []

    def breaks_once(requests: list[int]) -> list[int]:
        calls.append(requests)
        if len(calls) == 1:
            raise OSError("disk gone")
        return list(requests)

    batches = WriteBatches(executor, breaks_once, max_threads=1)

    with pytest.raises(OSError, match="disk gone"):
        await batches.submit(1)
    assert await batches.submit(2) == 2


async def test_a_failed_batch_fails_only_its_own_writes_and_those_queued_behind_it_run(
    executor: ThreadPoolExecutor,
) -> None:
    first_running, let_it_fail = threading.Event(), threading.Event()
    ran: list[list[int]] = []

    def first_batch_fails(requests: list[int]) -> list[int]:
        ran.append(requests)
        if requests == [0]:
            first_running.set()
            let_it_fail.wait(5)
            raise OSError("disk full")
        return list(requests)

    batches = WriteBatches(executor, first_batch_fails, max_threads=1)
    first = asyncio.ensure_future(batches.submit(0))
    assert await asyncio.to_thread(first_running.wait, 5)
    behind = [asyncio.ensure_future(batches.submit(number)) for number in (1, 2, 3)]
    await asyncio.sleep(0)
    let_it_fail.set()

    results = await asyncio.gather(first, *behind, return_exceptions=True)
    assert isinstance(results[0], OSError)
    assert results[1:] == [1, 2, 3]
    assert ran == [[0], [1, 2, 3]], "the writes queued behind the failed batch ran as the next batch"


async def test_a_wrong_number_of_results_is_an_error_not_a_hang(executor: ThreadPoolExecutor) -> None:
    batches = WriteBatches(executor, lambda requests: [], max_threads=1)

    with pytest.raises(RuntimeError, match="gave 0 results"):
        await asyncio.wait_for(batches.submit(1), timeout=5)


async def test_no_more_threads_than_allowed_and_none_left_working(executor: ThreadPoolExecutor) -> None:
    recorder = Recorder(0.01)
    batches = WriteBatches(executor, recorder, max_threads=2)

    for _ in range(5):
        await asyncio.gather(*(batches.submit(number) for number in range(30)))

    assert recorder.most_concurrent <= 2
    for _ in range(500):  # a thread lets go just after handing back its last results
        if batches._working == 0:
            break
        await asyncio.sleep(0.01)
    assert batches._working == 0 and batches._waiting == []


async def test_a_cancelled_waiter_does_not_disturb_the_others(executor: ThreadPoolExecutor) -> None:
    batches = WriteBatches(executor, Recorder(0.02), max_threads=1)

    waiting = [asyncio.ensure_future(batches.submit(number)) for number in range(5)]
    await asyncio.sleep(0)
    waiting[2].cancel()

    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert [results[i] for i in (0, 1, 3, 4)] == [0, 10, 30, 40]
    assert isinstance(results[2], asyncio.CancelledError)


def test_writes_from_two_event_loops_each_get_their_results(executor: ThreadPoolExecutor) -> None:
    batches = WriteBatches(executor, Recorder(0.005), max_threads=1)
    results: dict[str, list[int]] = {}

    def run(name: str, offset: int) -> None:
        async def submit_all() -> list[int]:
            return list(await asyncio.gather(*(batches.submit(offset + number) for number in range(20))))

        results[name] = asyncio.run(submit_all())

    threads = [threading.Thread(target=run, args=(name, offset)) for name, offset in (("a", 0), ("b", 100))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert results == {"a": [n * 10 for n in range(20)], "b": [(100 + n) * 10 for n in range(20)]}
