"""Case repository on top of a DocumentStore: create-only inserts, etag-guarded updates, references."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from domain.case import Case
from storage.ports import (
    DocumentStore,
    InvalidKey,
    OrderedDocumentStore,
    PreconditionFailed,
    RequiredWriteFailed,
    put_if_stored,
    writes_in_call_order,
)

MAX_CONFLICT_RETRIES = 20
COUNTER_RETRY_PAUSE_SECONDS = 0.005  # doubled per conflict, random below that, at most 0.2 s
T = TypeVar("T")


@dataclass(frozen=True)
class VersionedCase:
    case: Case
    etag: str


class CaseRepository:
    """Cases as JSON documents at cases/<case_id>.json. `on_saved` hears of every version stored by `replace` (and
    `update`), and of a new case once its creator has awaited the write and calls `saved`."""

    def __init__(self, documents: DocumentStore, on_saved: Callable[[Case], Awaitable[None]] | None = None) -> None:
        self._documents = documents
        self._on_saved = on_saved

    async def saved(self, case: Case) -> None:
        """Tell `on_saved` that this version of the case is stored."""
        if self._on_saved is not None:
            await self._on_saved(case)

    @staticmethod
    def _key(case_id: str) -> str:
        return f"cases/{case_id}.json"

    def create(
        self, case: Case, *, if_stored: Awaitable[str] | None = None, replacing: str | None = None
    ) -> Awaitable[str]:
        """Store a new case: the put is made at the call (on the local store, queued); await it for the etag.
        PreconditionFailed if the case exists; with `replacing` (the etag of a kept draft under the same id), the
        case takes the draft's place in the same write instead, and PreconditionFailed if the draft changed or is
        gone. With `if_stored` (its reference's `Reservation.counted`), RequiredWriteFailed if that write was not
        stored (`storage.ports.put_if_stored`)."""
        data = case.model_dump_json().encode()
        key = self._key(case.case_id)
        if replacing is not None:
            return put_if_stored(self._documents, if_stored, key, data, if_match=replacing)
        return put_if_stored(self._documents, if_stored, key, data, create_only=True)

    @property
    def keeps_write_order(self) -> bool:
        """Whether writes made right behind a case's creation are stored with it or fail with it
        (`storage.ports.writes_in_call_order`), so they need not wait for it."""
        return writes_in_call_order(self._documents)

    async def get(self, case_id: str) -> VersionedCase | None:
        document = await self._documents.get(self._key(case_id))
        if document is None:
            return None
        return VersionedCase(Case.model_validate_json(document.data), document.etag)

    async def named(self, case_id: object) -> Case | None:
        """The case a card or button names; None for anything that is not the id of a stored case (a card's value
        is anyone's to forge)."""
        if not isinstance(case_id, str) or not case_id:
            return None
        try:
            current = await self.get(case_id)
        except InvalidKey:
            return None
        return current.case if current is not None else None

    async def replace(self, case: Case, etag: str) -> str:
        stored = await self._documents.put(self._key(case.case_id), case.model_dump_json().encode(), if_match=etag)
        await self.saved(case)
        return stored

    async def update(self, case_id: str, change: Callable[[Case], Case]) -> Case:
        """Apply a change with optimistic concurrency, re-reading and retrying on conflicts."""
        for _ in range(MAX_CONFLICT_RETRIES):
            current = await self.get(case_id)
            if current is None:
                raise KeyError(case_id)
            changed = change(current.case.model_copy(deep=True))
            try:
                await self.replace(changed, current.etag)
                return changed
            except PreconditionFailed:
                continue
        raise PreconditionFailed(case_id)

    async def delete(self, case_id: str) -> None:
        """Remove the case document (retention only: services/retention.py)."""
        await self._documents.delete(self._key(case_id))

    async def list_ids(self) -> list[str]:
        keys = await self._documents.list_keys("cases/")
        return [key.removeprefix("cases/").removesuffix(".json") for key in keys if key.endswith(".json")]


@dataclass(frozen=True)
class Reservation:
    """A case reference and the counter's write that takes it. Store the case `if_stored=counted`
    (`storage.ports.put_if_stored`): it is then stored only with its number. A `counted` that fails with
    PreconditionFailed lost its number to another process: reserve again (`ReferenceCounter.use_next` does)."""

    reference: str
    counted: Awaitable[str]


class ReferenceCounter:
    """Hands out human case references, VK-<year>-0001, 0002 …, safely across processes: one counter document
    per year, written with a compare-and-swap on its etag, so a number is taken only when the counter's write of
    it is stored. Numbers stay unique; a report that stops after taking its number leaves it unused.

    On a store that keeps the order of writes (the local one) the numbers are queued (`_QueuedNumbers`), so
    "confirm" waits for no other report's commit; elsewhere (Azure) the reports that ask at once share one
    stored increment (`_BatchedNumbers`).
    """

    def __init__(self, documents: DocumentStore, prefix: str = "VK") -> None:
        self._prefix = prefix
        self._numbers = _QueuedNumbers(documents) if writes_in_call_order(documents) else _BatchedNumbers(documents)

    async def use_next(self, year: int, use: Callable[[Reservation], Awaitable[T]]) -> T:
        """`use` the next reference (store what carries it `if_stored=reservation.counted`); if its number was
        lost to another process (its counter write failed on the etag, and so did what `use` stored with it),
        `use` the next one after a short random pause. Any other failure of `use` is raised."""
        for _ in range(MAX_CONFLICT_RETRIES):
            reservation = await self.reserve(year)
            try:
                return await use(reservation)
            except (PreconditionFailed, RequiredWriteFailed):
                if not await _lost(reservation):
                    raise
            await asyncio.sleep(random.uniform(0, COUNTER_RETRY_PAUSE_SECONDS))
        raise PreconditionFailed(f"case-reference-{year}")

    async def reserve(self, year: int) -> Reservation:
        """The next reference; see `Reservation` for when its number is stored."""
        number, counted = await self._numbers.take(f"counters/case-reference-{year}")
        return Reservation(f"{self._prefix}-{year}-{number:04d}", counted)


@dataclass(frozen=True)
class _Queued:
    """The counter's newest write of ours: the value it writes, the etag that value will have, the write."""

    value: int
    etag: str
    counted: asyncio.Future[str]


class _QueuedNumbers:
    """Numbers on a store that keeps the order of writes: each number's counter write is queued at once, right
    behind our previous one, matching the etag that one's bytes will have (`OrderedDocumentStore.etag_of`), so a
    report waits only for the commit that stores its own number (with its case, `Reservation`). The counter is
    read from the store only when none of our writes is under way.

    If another process wrote the counter in between, our queued write fails on the etag, and so do those queued
    behind it (the counter then holds bytes none of them expected): each of their reports reserves again and
    reads the counter anew. The etag is a function of the counter's value, and the counter only grows, so an
    etag that matches means the numbers up to that value are taken, whoever wrote it: ours are the next.

    Measured at 50 users (benchmarks/README.md, "Numbers queued"): storing the case in "confirm", which waited
    for about three commits (the previous increment's, the next batch's, its own), p50 53-56 -> 41-44 ms.
    """

    def __init__(self, documents: OrderedDocumentStore) -> None:
        self._documents = documents
        self._newest: dict[str, _Queued] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def take(self, key: str) -> tuple[int, Awaitable[str]]:
        async with self._locks.setdefault(key, asyncio.Lock()):  # one reader of the counter at a time
            newest = self._newest.get(key)
            if newest is not None and not newest.counted.done():
                value, etag = newest.value, newest.etag
            else:
                value, etag = await _read_counter(self._documents, key)
            data = str(value + 1).encode()
            counted = self._documents.put(key, data, if_match=etag, create_only=etag is None)
            counted.add_done_callback(_retrieve)
            self._newest[key] = _Queued(value + 1, self._documents.etag_of(data), counted)
            return value + 1, counted


def _retrieve(counted: asyncio.Future[str]) -> None:
    """A lost number is its report's to hear of (`use_next`); one whose report stopped is not worth a warning."""
    if not counted.cancelled():
        counted.exception()


class _BatchedNumbers:
    """Numbers on a store that writes when asked (Azure): the reports that ask while an increment is under way
    wait for the next one, which then takes all their numbers in one stored write (group commit): one read and
    one compare-and-swap per batch instead of per report. Across processes the etag decides, with a short random
    pause before each retry.

    Before the batching, increments took turns within the process (an asyncio lock: one read and one
    compare-and-swap per report, each through the thread pool); with no lock at all, 45 of 80 concurrent
    increments failed with PreconditionFailed after 20 lost races. `benchmarks/load.py` at 200 users, p50 of
    the "confirm" turn (the report is stored; it also writes the case and the outbox): 2.2-5.0 s with the lock,
    1.4-1.6 s with the batches (interleaved A/B, same code otherwise). 50 reports at once take at most 3 writes
    of the counter (tests/integration/test_storage_backends.py).
    """

    def __init__(self, documents: DocumentStore) -> None:
        self._documents = documents
        self._waiting: dict[str, list[asyncio.Future[tuple[int, Awaitable[str]]]]] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}

    async def take(self, key: str) -> tuple[int, Awaitable[str]]:
        number: asyncio.Future[tuple[int, Awaitable[str]]] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(number)
        if key not in self._writers:
            self._writers[key] = asyncio.create_task(self._write_batches(key))
        return await number

    async def _write_batches(self, key: str) -> None:
        """Take everyone waiting, write their numbers in one increment; repeat until nobody waits."""
        try:
            while batch := [waiter for waiter in self._waiting.pop(key, []) if not waiter.done()]:
                try:
                    first, counted = await self._increment(key, len(batch))
                except BaseException as error:
                    for waiter in batch:
                        if not waiter.done():
                            waiter.set_exception(error if isinstance(error, Exception) else PreconditionFailed(key))
                    if not isinstance(error, Exception):
                        raise
                    continue
                for offset, waiter in enumerate(batch):
                    if not waiter.done():
                        waiter.set_result((first + offset, counted))
        finally:
            del self._writers[key]
            for waiter in self._waiting.pop(key, []):  # only if this task itself was cancelled
                if not waiter.done():
                    waiter.set_exception(PreconditionFailed(key))

    async def _increment(self, key: str, count: int) -> tuple[int, Awaitable[str]]:
        """Add `count` to the counter, retried on conflicts: the first of the numbers taken and the stored write."""
        for attempt in range(MAX_CONFLICT_RETRIES):
            if attempt:
                await asyncio.sleep(random.uniform(0, min(0.2, COUNTER_RETRY_PAUSE_SECONDS * 2**attempt)))
            value, etag = await _read_counter(self._documents, key)
            new = str(value + count).encode()
            written = asyncio.ensure_future(self._documents.put(key, new, if_match=etag, create_only=etag is None))
            try:
                await written
            except PreconditionFailed:
                continue
            return value + 1, written
        raise PreconditionFailed(key)


async def _read_counter(documents: DocumentStore, key: str) -> tuple[int, str | None]:
    """The counter's stored value and etag; 0 and None before its first write (which is then create-only)."""
    document = await documents.get(key)
    return (int(document.data), document.etag) if document else (0, None)


async def _lost(reservation: Reservation) -> bool:
    """Whether the reservation's number went to another process (its counter write failed on the etag)."""
    try:
        await reservation.counted
    except PreconditionFailed:
        return True
    return False
