"""Case references as a report takes them, for the tests of `storage.cases.ReferenceCounter`."""

from __future__ import annotations

from storage.cases import ReferenceCounter, Reservation


async def next_reference(counter: ReferenceCounter, year: int = 2026) -> str:
    """A reference whose number is stored, as a report takes it (`use_next`: another number if it was lost)."""

    async def stored(reservation: Reservation) -> str:
        await reservation.counted
        return reservation.reference

    return await counter.use_next(year, stored)
