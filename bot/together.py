"""Run independent durable steps at the same time, and fail as one step would.

Each durable write waits for a storage round trip (a thread batch, or an HTTP call to Azure); steps that do not
depend on each other (filing a new case in the people index, queueing its leader's card, planning its
follow-ups) need not wait for one another. `together` waits for every step to end - none is left running
unobserved - and then raises the first failure, like the same steps awaited one after the other would (each
step is idempotent, so a failure is healed by the same repair as before: the employee's resend, or the start-up
sweep). A report's "confirm" now waits for five storage writes in a row instead of seven: reference, case,
then index | leader's card | follow-ups (their jobs, then their marker), then the dialog state. Instrumented at
50 users (`benchmarks/load.py`), the three together took 247 ms (p50) of the step's ~500; a write 56-68 ms.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def together(*steps: Awaitable[Any]) -> None:
    outcomes = await asyncio.gather(*steps, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
