"""Pacing of proactive sends: token buckets per conversation and per tenant, with reservations ahead."""

from __future__ import annotations

import asyncio

import pytest

from bot.pacing import SendPacer, TokenBucket


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_spaces_tokens_one_over_rate_apart() -> None:
    clock = FakeMonotonic()
    bucket = TokenBucket(rate=7.0, burst=1.0, monotonic=clock)
    assert bucket.wait_time() == 0.0
    bucket.take()
    assert bucket.wait_time() == pytest.approx(1 / 7)
    bucket.take()  # reserved ahead: the next one waits two intervals
    assert bucket.wait_time() == pytest.approx(2 / 7)
    clock.now += 2 / 7
    assert bucket.wait_time() == pytest.approx(0.0, abs=1e-9)


async def test_pacer_keeps_one_conversation_within_its_rate_and_lets_others_through() -> None:
    pacer = SendPacer(per_conversation=20.0, per_tenant=1000.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    sent_at: dict[str, list[float]] = {"anne": [], "bo": []}

    async def send(who: str) -> None:
        await pacer.wait("tenant-1", who)
        sent_at[who].append(loop.time() - started)

    await asyncio.gather(*(send("anne") for _ in range(5)), send("bo"))
    gaps = [b - a for a, b in zip(sent_at["anne"], sent_at["anne"][1:], strict=False)]
    assert all(gap >= 1 / 20 - 0.01 for gap in gaps), gaps
    assert sent_at["bo"][0] < 0.03, "another conversation does not wait behind anne"


async def test_the_tenant_limit_applies_across_conversations() -> None:
    pacer = SendPacer(per_conversation=1000.0, per_tenant=20.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(*(pacer.wait("tenant-1", f"person-{n}") for n in range(5)))
    assert loop.time() - started >= 4 / 20 - 0.01
