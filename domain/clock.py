"""Time as a port, so tests can move it and every stored time is the server's own UTC time."""

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The server's clock in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)
