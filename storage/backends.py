"""Choose and open the storage backend named in the settings (local filesystem or Azure Blob)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.config import Settings
from storage.local import LocalDocumentStore, LocalEvidenceStore
from storage.ports import DocumentStore, EvidenceStore


@dataclass
class StorageBackend:
    documents: DocumentStore
    evidence: EvidenceStore
    close: Callable[[], Awaitable[None]]


async def _nothing_to_close() -> None:
    return None


async def open_backend(settings: Settings) -> StorageBackend:
    if settings.storage_backend == "azure":
        from storage.azure_blob import open_azure_backend

        documents, evidence, close = await open_azure_backend(
            settings.azure_storage_connection_string, settings.azure_container_prefix
        )
        return StorageBackend(documents, evidence, close)
    root = settings.data_dir
    return StorageBackend(
        LocalDocumentStore(root / "documents"), LocalEvidenceStore(root / "evidence"), _nothing_to_close
    )
