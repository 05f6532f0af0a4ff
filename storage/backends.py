"""Choose and open the storage backend named in the settings (local filesystem or Azure Blob), with the overview's
case table (SQLite beside the documents, or Azure Table Storage), and the follow-up job queue that goes with it
(jobs as documents locally, Azure Storage Queues with Azure). The choice
comes as plain values (`StorageChoice`, made by bot.config.Settings.storage_choice); the Azure account is reached
with a connection string or, with only an account URL, a managed identity (storage/azure_account.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from domain.clock import Clock
from storage.azure_account import AzureAccount
from storage.job_queue import JobQueue, LocalJobQueue
from storage.local import LocalEvidenceStore
from storage.ports import CaseTable, DocumentStore, ProtectedEvidenceStore
from storage.private_files import check_data_folder
from storage.sqlite_case_table import SqliteCaseTable
from storage.sqlite_documents import SqliteDocumentStore


@dataclass(frozen=True)
class StorageChoice:
    backend: Literal["local", "azure"]
    data_dir: Path
    azure_connection_string: str = ""
    azure_container_prefix: str = "vaern"
    azure_account_url: str = ""  # with no connection string: the blob endpoint, signed in with a managed identity
    azure_client_id: str = ""  # a user-assigned managed identity (empty: DefaultAzureCredential)
    job_lease_seconds: int = 120
    job_max_attempts: int = 5
    job_queue_max_delay_seconds: int = 7 * 24 * 3600

    def azure_account(self) -> AzureAccount:
        return AzureAccount(self.azure_connection_string, self.azure_account_url, self.azure_client_id)


@dataclass
class StorageBackend:
    documents: DocumentStore
    evidence: ProtectedEvidenceStore
    close: Callable[[], Awaitable[None]]
    case_table: CaseTable


async def open_backend(settings: StorageChoice) -> StorageBackend:
    check_data_folder(settings.data_dir)  # packages and plan PDFs wait there with either backend
    if settings.backend == "azure":
        from storage.azure_blob import open_azure_backend
        from storage.azure_case_table import open_azure_case_table

        account = settings.azure_account()
        documents, evidence, close = await open_azure_backend(account, settings.azure_container_prefix)
        try:
            table = await open_azure_case_table(account, settings.azure_container_prefix)
        except BaseException:
            await close()
            raise
        return StorageBackend(documents, evidence, _closing(table, close), table)
    root = settings.data_dir
    documents = SqliteDocumentStore(root / "documents.sqlite3", legacy_folder=root / "documents")
    table = SqliteCaseTable(root / "overview.sqlite3")
    return StorageBackend(documents, LocalEvidenceStore(root / "evidence"), _closing(table, documents.close), table)


def _closing(table: CaseTable, close: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    async def close_all() -> None:
        try:
            await table.close()
        finally:
            await close()

    return close_all


async def open_job_queue(settings: StorageChoice, documents: DocumentStore, clock: Clock) -> JobQueue:
    if settings.backend == "azure":
        from storage.azure_queue import open_azure_job_queue

        return await open_azure_job_queue(
            settings.azure_account(),
            settings.azure_container_prefix,
            documents,
            clock,
            lease_seconds=settings.job_lease_seconds,
            max_attempts=settings.job_max_attempts,
            max_delay_seconds=settings.job_queue_max_delay_seconds,
        )
    return LocalJobQueue(documents, lease_seconds=settings.job_lease_seconds, max_attempts=settings.job_max_attempts)
