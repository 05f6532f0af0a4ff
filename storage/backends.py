"""Choose and open the storage backend named in the settings (local filesystem or Azure Blob), and the
follow-up job queue that goes with it (jobs as documents locally, Azure Storage Queues with Azure). The choice
comes as plain values (`StorageChoice`, made by bot.config.Settings.storage_choice)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from domain.clock import Clock
from storage.job_queue import JobQueue, LocalJobQueue
from storage.local import LocalEvidenceStore
from storage.ports import DocumentStore, EvidenceStore
from storage.private_files import check_data_folder
from storage.sqlite_documents import SqliteDocumentStore


@dataclass(frozen=True)
class StorageChoice:
    backend: Literal["local", "azure"]
    data_dir: Path
    azure_connection_string: str = ""
    azure_container_prefix: str = "vaern"
    job_lease_seconds: int = 120
    job_max_attempts: int = 5
    job_queue_max_delay_seconds: int = 7 * 24 * 3600


@dataclass
class StorageBackend:
    documents: DocumentStore
    evidence: EvidenceStore
    close: Callable[[], Awaitable[None]]


async def _nothing_to_close() -> None:
    return None


async def open_backend(settings: StorageChoice) -> StorageBackend:
    check_data_folder(settings.data_dir)  # packages and plan PDFs wait there with either backend
    if settings.backend == "azure":
        from storage.azure_blob import open_azure_backend

        documents, evidence, close = await open_azure_backend(
            settings.azure_connection_string, settings.azure_container_prefix
        )
        return StorageBackend(documents, evidence, close)
    root = settings.data_dir
    documents = SqliteDocumentStore(root / "documents.sqlite3", legacy_folder=root / "documents")
    return StorageBackend(documents, LocalEvidenceStore(root / "evidence"), documents.close)


async def open_job_queue(settings: StorageChoice, documents: DocumentStore, clock: Clock) -> JobQueue:
    if settings.backend == "azure":
        from storage.azure_queue import open_azure_job_queue

        return await open_azure_job_queue(
            settings.azure_connection_string,
            settings.azure_container_prefix,
            documents,
            clock,
            lease_seconds=settings.job_lease_seconds,
            max_attempts=settings.job_max_attempts,
            max_delay_seconds=settings.job_queue_max_delay_seconds,
        )
    return LocalJobQueue(documents, lease_seconds=settings.job_lease_seconds, max_attempts=settings.job_max_attempts)
