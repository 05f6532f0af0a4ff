"""Both storage backends for integration tests: local (evidence files, SQLite documents) or fresh Azurite containers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.local import LocalEvidenceStore
from storage.ports import DocumentStore, EvidenceStore
from storage.sqlite_documents import SqliteDocumentStore


@dataclass
class Backend:
    documents: DocumentStore
    evidence: EvidenceStore


async def open_test_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """The backend named by the fixture parameter ("local" or "azure"), closed after the test."""
    if request.param == "local":
        documents = SqliteDocumentStore(tmp_path / "documents.sqlite3")
        try:
            yield Backend(documents, LocalEvidenceStore(tmp_path / "evidence"))
        finally:
            await documents.close()
        return
    from storage.azure_blob import open_azure_backend

    emulator = request.getfixturevalue("azurite")
    documents, evidence, close = await open_azure_backend(emulator.connection_string, f"t{uuid.uuid4().hex[:12]}")
    try:
        yield Backend(documents, evidence)
    finally:
        await close()
