"""The typing indicator around slow work: none for quick work, repeated for slow work, never after it ends."""

from __future__ import annotations

import asyncio

import pytest

from dialogs.typing_indicator import typing_while_busy


class Turn:
    """Records what is sent; a send takes `send_seconds` (a connector round trip) and may fail."""

    def __init__(self, send_seconds: float = 0.0, fails: bool = False) -> None:
        self.sent: list[tuple[float, str]] = []
        self._send_seconds, self._fails = send_seconds, fails

    async def typing(self) -> None:
        await asyncio.sleep(self._send_seconds)
        if self._fails:
            raise ConnectionError("connector unreachable")
        self.sent.append((asyncio.get_running_loop().time(), "typing"))


async def test_quick_work_shows_no_indicator() -> None:
    turn = Turn()
    async with typing_while_busy(turn, delay=0.2, period=0.1):  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    assert turn.sent == []


async def test_slow_work_shows_it_after_the_delay_and_again_every_period_and_never_after() -> None:
    turn = Turn(send_seconds=0.01)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with typing_while_busy(turn, delay=0.1, period=0.1):  # type: ignore[arg-type]
        await asyncio.sleep(0.45)
    ended = loop.time()
    await asyncio.sleep(0.3)
    times = [at - started for at, kind in turn.sent if kind == "typing"]
    assert 3 <= len(times) <= 5 and times[0] >= 0.1
    assert all(at <= ended - started for at in times), "nothing after the work ended"


async def test_an_indicator_that_cannot_be_sent_does_not_fail_the_work(caplog: pytest.LogCaptureFixture) -> None:
    turn = Turn(fails=True)
    async with typing_while_busy(turn, delay=0.01, period=0.01):  # type: ignore[arg-type]
        await asyncio.sleep(0.1)
    assert turn.sent == [] and "typing indicator not sent" in caplog.text


async def test_work_that_fails_ends_the_indicator_and_keeps_its_error() -> None:
    turn = Turn()
    with pytest.raises(ValueError, match="refused"):
        async with typing_while_busy(turn, delay=0.01, period=0.01):  # type: ignore[arg-type]
            await asyncio.sleep(0.05)
            raise ValueError("refused")
    count = len(turn.sent)
    await asyncio.sleep(0.1)
    assert count >= 1 and len(turn.sent) == count


async def test_an_indicator_on_its_way_when_the_work_ends_is_ended_before_the_answer() -> None:
    turn = Turn(send_seconds=0.2)  # a slow connector: the first indicator is still on its way at the end
    async with typing_while_busy(turn, delay=0.05, period=0.05):  # type: ignore[arg-type]
        await asyncio.sleep(0.1)
    answered = asyncio.get_running_loop().time()
    await asyncio.sleep(0.3)
    assert all(at <= answered for at, _ in turn.sent), "cut off, never delivered after the answer"
