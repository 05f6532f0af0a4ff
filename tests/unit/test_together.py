"""together: independent steps run at the same time; all end before the first failure is raised."""

from __future__ import annotations

import asyncio

import pytest

from services.together import together


async def test_steps_run_at_the_same_time() -> None:
    all_started = asyncio.Barrier(3)  # passes only when the three steps are running at once
    passed: list[str] = []

    async def step(name: str) -> None:
        await asyncio.wait_for(all_started.wait(), timeout=5)
        passed.append(name)

    await together(step("index"), step("notify"), step("plan"))

    assert sorted(passed) == ["index", "notify", "plan"]


async def test_every_step_ends_before_the_first_failure_is_raised() -> None:
    finished: list[str] = []

    async def fails() -> None:
        raise OSError("disk full")

    async def slow() -> None:
        await asyncio.sleep(0.05)
        finished.append("slow")

    with pytest.raises(OSError, match="disk full"):
        await together(fails(), slow())
    assert finished == ["slow"]


async def test_the_first_step_runs_in_the_callers_task_and_finished_others_cost_no_extra_turn() -> None:
    caller = asyncio.current_task()
    ran_in: list[asyncio.Task[object] | None] = []
    turns = 0  # turns of the event loop, counted by a task that yields on every one
    turns_when_first_ended = -1

    async def first() -> None:
        nonlocal turns_when_first_ended
        ran_in.append(asyncio.current_task())
        await asyncio.sleep(0.05)
        turns_when_first_ended = turns

    async def quick() -> None:
        return None

    async def count_turns() -> None:
        nonlocal turns
        while True:
            await asyncio.sleep(0)
            turns += 1

    counter = asyncio.ensure_future(count_turns())
    await together(first(), quick(), quick())
    turns_when_together_returned = turns
    counter.cancel()

    assert ran_in == [caller]
    assert turns_when_together_returned == turns_when_first_ended, "no extra turn of the loop after the first step"


async def test_cancelling_the_caller_cancels_every_step() -> None:
    started = asyncio.Event()
    cancelled: list[str] = []

    async def step(name: str) -> None:
        try:
            started.set()
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise

    caller = asyncio.ensure_future(together(step("first"), step("second"), step("third")))
    await started.wait()
    await asyncio.sleep(0)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller

    assert sorted(cancelled) == ["first", "second", "third"]
