"""Teams' typing indicator while slow work runs (downloading evidence): first after DELAY_SECONDS, then every
PERIOD_SECONDS until the work ends, and never after it.

The timing is botbuilder's `ShowTypingMiddleware` (0.5 s, then every 2 s), but scoped to the work and ended
before the bot says anything: the SDK's middleware runs for every message turn, sends its typing activities
without waiting for them and stops its timer without cancelling it, so an indicator can arrive after the answer.

Before this, the evidence step sent one typing activity up front and waited for it. Teams hides the indicator
after a few seconds, so a download of half a minute showed nothing for most of it; and a quick one (most
screenshots) paid a connector call for an indicator nobody saw: at 50 users (`benchmarks/load.py`, timed
inside the step) the up-front typing took 14.6 ms of the screenshot's 81 ms of securing (p50). With the
indicator only when needed, securing took 70 and 87 ms against 83 and 84 ms before in an interleaved A/B:
the saving is real but within the run-to-run noise of this machine (±10 %). Ending the indicator costs
no wait unless one is on its way (a cancelled task that is only sleeping sends nothing).

An indicator is cosmetic: one that cannot be sent is logged and never fails the work it accompanies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dialogs.turn import Turn

DELAY_SECONDS = 0.5
PERIOD_SECONDS = 2.0

log = logging.getLogger("vaern.typing")


@asynccontextmanager
async def typing_while_busy(
    turn: Turn, *, delay: float = DELAY_SECONDS, period: float = PERIOD_SECONDS
) -> AsyncIterator[None]:
    """Show the typing indicator while the `async with` body runs, if it takes longer than `delay`."""
    sending = asyncio.Event()
    indicator = asyncio.ensure_future(_keep_typing(turn, delay, period, sending))
    try:
        yield
    finally:
        indicator.cancel()  # while it waits for its next turn it simply ends: nothing more is sent
        if sending.is_set():  # one is on its way: it ends (or is cut off) before anything else is said
            await asyncio.gather(indicator, return_exceptions=True)


async def _keep_typing(turn: Turn, delay: float, period: float, sending: asyncio.Event) -> None:
    await asyncio.sleep(delay)
    while True:
        sending.set()
        try:
            await turn.typing()
        except Exception:
            log.warning("typing indicator not sent", exc_info=True)
            return
        finally:
            sending.clear()
        await asyncio.sleep(period)
