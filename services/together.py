"""Run independent durable steps at the same time, and fail as one step would.

Steps that do not depend on each other (filing a new case in the people index, queueing its leader's card,
planning its follow-ups) need not wait for one another's storage round trips. `together` waits for every step to
end - none is left running unobserved - and then raises the first failure, like the same steps awaited one after
the other would (each step is idempotent, so a failure is healed by the same repair: the employee's resend, or
the start-up sweep).

The first step runs in the caller's own task, the others in tasks of their own; once the first has ended, the
others' outcomes are taken as they are if they have ended too. Every extra task start costs a turn of a busy
event loop, so pass the longest step first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def together(first: Awaitable[Any], *others: Awaitable[Any]) -> None:
    tasks = [asyncio.ensure_future(step) for step in others]
    try:
        first_failure = await _failure_of(first)
        if not all(task.done() for task in tasks):
            await asyncio.wait(tasks)
    except BaseException:  # cancelled while waiting: none of the steps is left running unobserved
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    failures = [failure for failure in [first_failure, *map(_failure_of_task, tasks)] if failure is not None]
    if failures:
        raise failures[0]


async def _failure_of(step: Awaitable[Any]) -> Exception | None:
    try:
        await step
    except Exception as error:
        return error
    return None


def _failure_of_task(task: asyncio.Future[Any]) -> BaseException | None:
    return asyncio.CancelledError() if task.cancelled() else task.exception()
