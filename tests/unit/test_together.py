"""together: independent steps run at the same time; all end before the first failure is raised."""

from __future__ import annotations

import asyncio

import pytest

from bot.together import together


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
