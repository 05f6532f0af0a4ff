"""Case repository on top of a DocumentStore: create-only inserts, etag-guarded updates, references."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from domain.case import Case
from storage.ports import DocumentStore, InvalidKey, PreconditionFailed

MAX_CONFLICT_RETRIES = 20
COUNTER_RETRY_PAUSE_SECONDS = 0.005  # doubled per conflict, random below that, at most 0.2 s


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

    async def create(self, case: Case, *, replacing: str | None = None) -> str:
        """Store a new case; returns its etag. PreconditionFailed if the case exists; with `replacing` (the etag of
        a kept draft under the same id), the case takes the draft's place in the same write instead, and
        PreconditionFailed if the draft changed or is gone."""
        data = case.model_dump_json().encode()
        key = self._key(case.case_id)
        if replacing is not None:
            return await self._documents.put(key, data, if_match=replacing)
        return await self._documents.put(key, data, create_only=True)

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


class ReferenceCounter:
    """Hands out human case references, VK-<year>-0001, 0002 …, safely across processes: one counter document
    per year, written with a compare-and-swap on its etag, and a number is handed out only once the counter's
    write of it is stored. Numbers stay unique; a report that stops after taking its number leaves it unused.
    The reports that ask at once share one stored increment (`_BatchedNumbers`)."""

    def __init__(self, documents: DocumentStore, prefix: str = "VK") -> None:
        self._prefix = prefix
        self._numbers = _BatchedNumbers(documents)

    async def next_reference(self, year: int) -> str:
        """The next reference of the year, its number stored in the counter."""
        number = await self._numbers.take(f"counters/case-reference-{year}")
        return f"{self._prefix}-{year}-{number:04d}"


class _BatchedNumbers:
    """The reports that ask while an increment is under way wait for the next one, which then takes all their
    numbers in one stored write (group commit): one read and one compare-and-swap per batch instead of per report.
    Across processes the etag decides, with a short random pause before each retry."""

    def __init__(self, documents: DocumentStore) -> None:
        self._documents = documents
        self._waiting: dict[str, list[asyncio.Future[int]]] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}

    async def take(self, key: str) -> int:
        number: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(number)
        if key not in self._writers:
            self._writers[key] = asyncio.create_task(self._write_batches(key))
        return await number

    async def _write_batches(self, key: str) -> None:
        """Take everyone waiting, write their numbers in one increment; repeat until nobody waits."""
        try:
            while batch := [waiter for waiter in self._waiting.pop(key, []) if not waiter.done()]:
                try:
                    first = await self._increment(key, len(batch))
                except BaseException as error:
                    for waiter in batch:
                        if not waiter.done():
                            waiter.set_exception(error if isinstance(error, Exception) else PreconditionFailed(key))
                    if not isinstance(error, Exception):
                        raise
                    continue
                for offset, waiter in enumerate(batch):
                    if not waiter.done():
                        waiter.set_result(first + offset)
        finally:
            del self._writers[key]
            for waiter in self._waiting.pop(key, []):  # only if this task itself was cancelled
                if not waiter.done():
                    waiter.set_exception(PreconditionFailed(key))

    async def _increment(self, key: str, count: int) -> int:
        """Add `count` to the counter, retried on conflicts: the first of the numbers taken, once stored."""
        for attempt in range(MAX_CONFLICT_RETRIES):
            if attempt:
                await asyncio.sleep(random.uniform(0, min(0.2, COUNTER_RETRY_PAUSE_SECONDS * 2**attempt)))
            value, etag = await _read_counter(self._documents, key)
            try:
                await self._documents.put(key, str(value + count).encode(), if_match=etag, create_only=etag is None)
            except PreconditionFailed:
                continue
            return value + 1
        raise PreconditionFailed(key)


async def _read_counter(documents: DocumentStore, key: str) -> tuple[int, str | None]:
    """The counter's stored value and etag; 0 and None before its first write (which is then create-only)."""
    document = await documents.get(key)
    return (int(document.data), document.etag) if document else (0, None)
