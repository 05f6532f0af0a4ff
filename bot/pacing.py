"""Keep proactive sends within Teams' limits: about 7 messages per second to one conversation and 50 per
second per app in one tenant (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit).

Token buckets: each send reserves one token from its conversation's bucket and one from its tenant's (a
bucket may go below zero, which makes the next sender wait longer) and then waits until both were due.
The limits hold per process; with several instances set the rates per instance (PACING_PER_CONVERSATION
and PACING_PER_TENANT, messages per second). Whatever still gets a 429 is retried by
the outbox after the Retry-After it names.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """`rate` tokens per second, holding at most `burst` (1: sends are spaced 1/rate apart)."""

    def __init__(self, rate: float, burst: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._rate, self._burst, self._monotonic = rate, burst, monotonic
        self._tokens, self._updated = burst, monotonic()

    def wait_time(self) -> float:
        """Seconds until a token is available (0 if one is there now; more when tokens are reserved ahead)."""
        now = self._monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self._rate

    def take(self) -> None:
        self._tokens -= 1


class SendPacer:
    def __init__(self, per_conversation: float = 7.0, per_tenant: float = 50.0, max_buckets: int = 10_000) -> None:
        self._per_conversation, self._per_tenant = per_conversation, per_tenant
        self._buckets: dict[str, TokenBucket] = {}
        self._max_buckets = max_buckets

    @property
    def per_conversation(self) -> float:
        """Messages a second to one conversation."""
        return self._per_conversation

    def _bucket(self, key: str, rate: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_buckets:
                self._buckets.clear()  # idle buckets are full anyway; forgetting them loses nothing
            bucket = self._buckets[key] = TokenBucket(rate, 1.0)  # evenly spaced: no burst above the rate
        return bucket

    async def wait(self, tenant_id: str | None, conversation_key: str) -> None:
        """Return when a message to this conversation may go out (reserve first, then sleep: no lock needed)."""
        buckets = [
            self._bucket(f"conversation:{conversation_key}", self._per_conversation),
            self._bucket(f"tenant:{tenant_id or '-'}", self._per_tenant),
        ]
        delay = max(bucket.wait_time() for bucket in buckets)
        for bucket in buckets:
            bucket.take()
        if delay > 0:
            await asyncio.sleep(delay)
