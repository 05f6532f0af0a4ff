"""Run the follow-up worker (services.follow_up_worker) without the web app, with the app's settings:

    python -m bot.scheduler        # stops cleanly on SIGTERM/SIGINT

Running alone it also runs the outbox worker (the follow-ups' messages go out through the outbox).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.config import Settings
from bot.event_loop import run
from services.logging_setup import configure_logging
from storage.private_files import restrict_umask

log = logging.getLogger("vaern.scheduler")


async def run_alone() -> None:
    """The worker without the web app, until SIGTERM or SIGINT."""
    from bot.runtime import build_runtime

    restrict_umask()
    settings = Settings(scheduler_in_app=True)
    configure_logging(settings.log_level)
    runtime = await build_runtime(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    log.info("follow-up worker running alone")
    try:
        await stop.wait()
    finally:
        await runtime.close()


if __name__ == "__main__":
    run(run_alone())
