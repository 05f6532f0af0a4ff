"""The event loop Værn runs on (bot/event_loop.py): uvloop where installed, asyncio's own loop otherwise."""

from __future__ import annotations

import asyncio
import threading

import pytest
import uvloop

from bot import event_loop


async def _a_turn_of_work() -> tuple[str, int]:
    """What a turn asks of the loop: a thread's result and a callback from another thread."""
    loop = asyncio.get_running_loop()
    from_thread = await loop.run_in_executor(None, lambda: 21 * 2)
    called: asyncio.Future[int] = loop.create_future()
    threading.Thread(target=lambda: loop.call_soon_threadsafe(called.set_result, from_thread)).start()
    return event_loop.loop_name(loop), await called


def test_the_bot_runs_on_uvloop_where_it_is_installed() -> None:
    assert event_loop.run(_a_turn_of_work()) == ("uvloop", 42)
    assert event_loop.gunicorn_worker_class() == "aiohttp.GunicornUVLoopWebWorker"


def test_without_uvloop_the_bot_runs_on_asyncios_own_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_loop, "uvloop", None)

    assert event_loop.run(_a_turn_of_work()) == ("asyncio", 42)
    assert event_loop.gunicorn_worker_class() == "aiohttp.GunicornWebWorker"
    loop = event_loop.new_event_loop()
    try:
        assert not isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
