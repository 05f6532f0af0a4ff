"""Case repository on top of a DocumentStore: create-only inserts, etag-guarded updates, references."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass

from domain.case import Case
from storage.ports import DocumentStore, PreconditionFailed

MAX_CONFLICT_RETRIES = 20
COUNTER_RETRY_PAUSE_SECONDS = 0.005  # doubled per conflict, random below that, at most 0.2 s


@dataclass(frozen=True)
class VersionedCase:
    case: Case
    etag: str


class CaseRepository:
    """Cases as JSON documents at cases/<case_id>.json."""

    def __init__(self, documents: DocumentStore) -> None:
        self._documents = documents

    @staticmethod
    def _key(case_id: str) -> str:
        return f"cases/{case_id}.json"

    async def create(self, case: Case) -> str:
        return await self._documents.put(self._key(case.case_id), case.model_dump_json().encode(), create_only=True)

    async def get(self, case_id: str) -> VersionedCase | None:
        document = await self._documents.get(self._key(case_id))
        if document is None:
            return None
        return VersionedCase(Case.model_validate_json(document.data), document.etag)

    async def replace(self, case: Case, etag: str) -> str:
        return await self._documents.put(self._key(case.case_id), case.model_dump_json().encode(), if_match=etag)

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

    async def list_ids(self) -> list[str]:
        keys = await self._documents.list_keys("cases/")
        return [key.removeprefix("cases/").removesuffix(".json") for key in keys if key.endswith(".json")]


class ReferenceCounter:
    """Hands out human case references, VK-<year>-0001, 0002 …, safely across processes.

    One counter document is every report's hot spot: within the process, increments take turns (an asyncio
    lock), so many employees sending at once never use up each other's retries (under load, 50 concurrent
    reports failed with PreconditionFailed after 20 lost races); across processes the etag decides, with a
    short random pause before each retry.
    """

    def __init__(self, documents: DocumentStore, prefix: str = "VK") -> None:
        self._documents = documents
        self._prefix = prefix
        self._turn = asyncio.Lock()

    async def next_reference(self, year: int) -> str:
        async with self._turn:
            number = await self._increment(f"counters/case-reference-{year}")
        return f"{self._prefix}-{year}-{number:04d}"

    async def _increment(self, key: str) -> int:
        for attempt in range(MAX_CONFLICT_RETRIES):
            if attempt:
                await asyncio.sleep(random.uniform(0, min(0.2, COUNTER_RETRY_PAUSE_SECONDS * 2**attempt)))
            document = await self._documents.get(key)
            number = int(document.data) + 1 if document else 1
            try:
                if document is None:
                    await self._documents.put(key, str(number).encode(), create_only=True)
                else:
                    await self._documents.put(key, str(number).encode(), if_match=document.etag)
                return number
            except PreconditionFailed:
                continue
        raise PreconditionFailed(key)
