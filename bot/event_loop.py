"""The event loop Værn runs on: uvloop where it is installed, else asyncio's own.

uvloop (MagicStack, on libuv) is a drop-in asyncio event loop: the same API, with the loop itself, its sockets and
its callbacks in compiled code. aiohttp supports it (its gunicorn worker `aiohttp.GunicornUVLoopWebWorker`), and
nothing in Værn or the Agents SDK depends on asyncio's own loop. It is installed on Linux and macOS
(requirements.txt); where it is not (Windows), the bot runs on asyncio's loop as before.

Why: under load the bot is bound by one event loop's CPU, and every wait of a turn (a storage commit, a reply to
the connector, the evidence download) costs a turn of that loop. Measured with `benchmarks/load.py --targets vaern
--users 50 --seconds 20 --steps`, four interleaved pairs on asyncio's loop and on uvloop: 785-883 -> 874-941
turns/s, p99 157-183 -> 144-166 ms in every pair, the screenshot step's p50 119-132 -> 94-103 ms
(benchmarks/README.md, "uvloop").
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

try:
    import uvloop
except ImportError:  # not installed on this platform: asyncio's own loop
    uvloop = None


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new event loop: uvloop's when installed."""
    return uvloop.new_event_loop() if uvloop is not None else asyncio.new_event_loop()


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on `new_event_loop()`."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main)


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """ "uvloop" or "asyncio", for the log line that says which one a process runs on."""
    return "uvloop" if uvloop is not None and isinstance(loop, uvloop.Loop) else "asyncio"


def gunicorn_worker_class() -> str:
    """aiohttp's gunicorn worker on the same loop as `python app.py`."""
    return "aiohttp.GunicornUVLoopWebWorker" if uvloop is not None else "aiohttp.GunicornWebWorker"
