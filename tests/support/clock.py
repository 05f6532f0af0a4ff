"""A clock tests can set and move (the domain's Clock port), so time-driven behaviour runs without sleeping."""

from __future__ import annotations

from datetime import datetime, timedelta


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        """Move forward by `seconds` (and/or timedelta keywords: hours=, days=); returns the new time."""
        self._now += timedelta(seconds=seconds, **delta)
        return self._now

    def move_to(self, when: datetime) -> None:
        """Go to `when`, never backwards."""
        self._now = max(self._now, when)
