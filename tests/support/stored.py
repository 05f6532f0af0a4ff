"""Read what a bot under test stored, through the product's own storage ports (either backend)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.config import Settings
from domain.audit import AuditEvent
from domain.case import Case
from domain.evidence import EvidenceItem
from storage.audit import AuditLog
from storage.backends import StorageBackend, open_backend
from storage.cases import CaseRepository
from tests.support.bot_process import BotStorage

T = TypeVar("T")


def _settings(storage: BotStorage) -> Settings:
    return Settings(
        storage_backend=storage.backend,
        data_dir=storage.data_dir,
        azure_storage_connection_string=storage.connection_string or "",
        azure_container_prefix=storage.container_prefix or "vaern",
    )


def with_backend(storage: BotStorage, work: Callable[[StorageBackend], Awaitable[T]]) -> T:
    async def run() -> T:
        backend = await open_backend(_settings(storage).storage_choice())
        try:
            return await work(backend)
        finally:
            await backend.close()

    return asyncio.run(run())


def all_cases(storage: BotStorage) -> list[Case]:
    async def read(backend: StorageBackend) -> list[Case]:
        repository = CaseRepository(backend.documents)
        found = [await repository.get(case_id) for case_id in await repository.list_ids()]
        return [versioned.case for versioned in found if versioned is not None]

    return with_backend(storage, read)


def case_with_reference(storage: BotStorage, reference: str) -> Case:
    matches = [case for case in all_cases(storage) if case.reference == reference]
    assert len(matches) == 1, f"expected one case {reference}, found {len(matches)}"
    return matches[0]


def cases_reported_by(storage: BotStorage, user_id: str) -> list[Case]:
    return [case for case in all_cases(storage) if case.reporter.user_id == user_id]


def evidence_bytes(storage: BotStorage, item: EvidenceItem) -> bytes:
    async def read(backend: StorageBackend) -> bytes:
        return b"".join([chunk async for chunk in backend.evidence.read(item.case_id, item.evidence_id)])

    return with_backend(storage, read)


def evidence_items(storage: BotStorage, case_id: str) -> list[EvidenceItem]:
    return with_backend(storage, lambda backend: backend.evidence.list_items(case_id))


def audit_events(storage: BotStorage, case_id: str) -> list[AuditEvent]:
    return with_backend(storage, lambda backend: AuditLog(backend.documents).events(case_id))


def documents_under(storage: BotStorage, prefix: str) -> dict[str, bytes]:
    """Every stored document under `prefix` ("" for all), by key."""

    async def read(backend: StorageBackend) -> dict[str, bytes]:
        found = {key: await backend.documents.get(key) for key in await backend.documents.list_keys(prefix)}
        return {key: document.data for key, document in found.items() if document is not None}

    return with_backend(storage, read)
