"""Choose and open the storage backend named in the settings (local filesystem or Azure Blob), and the
follow-up job queue that goes with it (jobs as documents locally, Azure Storage Queues with Azure)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.config import Settings
from domain.clock import Clock
from storage.job_queue import JobQueue, LocalJobQueue
from storage.local import LocalEvidenceStore
from storage.ports import DocumentStore, EvidenceStore
from storage.private_files import check_data_folder
from storage.sqlite_documents import SqliteDocumentStore


@dataclass
class StorageBackend:
    documents: DocumentStore
    evidence: EvidenceStore
    close: Callable[[], Awaitable[None]]


async def _nothing_to_close() -> None:
    return None


async def open_backend(settings: Settings) -> StorageBackend:
    check_data_folder(settings.data_dir)  # packages and plan PDFs wait there with either backend
    if settings.storage_backend == "azure":
        from storage.azure_blob import open_azure_backend

        documents, evidence, close = await open_azure_backend(
            settings.azure_storage_connection_string, settings.azure_container_prefix
        )
        return StorageBackend(documents, evidence, close)
    root = settings.data_dir
    documents = SqliteDocumentStore(root / "documents.sqlite3", legacy_folder=root / "documents")
    return StorageBackend(documents, LocalEvidenceStore(root / "evidence"), documents.close)


async def open_job_queue(settings: Settings, documents: DocumentStore, clock: Clock) -> JobQueue:
    if settings.storage_backend == "azure":
        from storage.azure_queue import open_azure_job_queue

        return await open_azure_job_queue(
            settings.azure_storage_connection_string,
            settings.azure_container_prefix,
            documents,
            clock,
            lease_seconds=settings.job_lease_seconds,
            max_attempts=settings.job_max_attempts,
            max_delay_seconds=settings.job_queue_max_delay_seconds,
        )
    return LocalJobQueue(documents, lease_seconds=settings.job_lease_seconds, max_attempts=settings.job_max_attempts)
