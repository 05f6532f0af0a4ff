"""Sweep what a bot under test left in storage (either backend), e.g. after it was killed: every case document
parses, every visible evidence item has all its bytes with the recorded size and SHA-256, and every piece of
evidence a case refers to is visible. Reads through the product's own storage ports, as `stored.py` does;
only the list of evidence folders comes from the backend directly (the ports have no such listing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from domain.case import Case
from domain.evidence import EvidenceItem
from storage.backends import StorageBackend
from storage.cases import CaseRepository
from storage.outbox import Notification, Outbox
from tests.support.bot_process import BotStorage
from tests.support.stored import with_backend

CASES_PREFIX = "cases/"
METADATA_SUFFIX = ".json"

EvidenceKey = tuple[str, str]  # (case id, evidence id)


@dataclass
class Sweep:
    """One look at the whole store. `problems` empty means nothing was lost, torn or unreadable."""

    cases: dict[str, Case] = field(default_factory=dict)
    evidence: dict[EvidenceKey, EvidenceItem] = field(default_factory=dict)
    hashed: int = 0  # visible items whose bytes were read and hashed in this sweep
    leftovers: int = 0  # bytes without metadata: an upload cut between its two commits; invisible, harmless
    problems: list[str] = field(default_factory=list)

    def evidence_by(self, user_id: str) -> list[EvidenceItem]:
        return [item for item in self.evidence.values() if item.uploaded_by == user_id]


class IntegrityChecker:
    """Sweeps one bot's storage. Evidence is immutable once visible, so items hashed in an earlier sweep are
    not read again unless `full=True` (the last sweep of a test should be full)."""

    def __init__(self, storage: BotStorage) -> None:
        self.storage = storage
        self._hashed: dict[EvidenceKey, tuple[str, int]] = {}

    def sweep(self, *, full: bool = False) -> Sweep:
        return with_backend(self.storage, lambda backend: self._sweep(backend, full))

    async def _sweep(self, backend: StorageBackend, full: bool) -> Sweep:
        found = Sweep()
        for key in await backend.documents.list_keys(CASES_PREFIX):
            document = await backend.documents.get(key)
            if document is None:
                found.problems.append(f"{key}: listed but not readable")
                continue
            try:
                case = Case.model_validate_json(document.data)
            except ValidationError as error:
                found.problems.append(f"{key}: does not parse ({error.error_count()} errors)")
                continue
            found.cases[case.case_id] = case
        folders, found.leftovers = await self._evidence_folders()
        for case_id in folders:
            await self._check_folder(backend, case_id, found, full)
        for case in found.cases.values():
            for item in case.evidence:
                visible = found.evidence.get((case.case_id, item.evidence_id))
                if visible is None or (visible.sha256, visible.size) != (item.sha256, item.size):
                    found.problems.append(f"case {case.case_id} lists evidence {item.evidence_id} that is not stored")
        return found

    async def _check_folder(self, backend: StorageBackend, case_id: str, found: Sweep, full: bool) -> None:
        try:
            items = await backend.evidence.list_items(case_id)
        except Exception as error:  # a torn metadata file makes the whole case's evidence unreadable
            found.problems.append(f"evidence of {case_id} cannot be listed: {type(error).__name__}: {error}")
            return
        for item in items:
            key = (case_id, item.evidence_id)
            if key in found.evidence:
                found.problems.append(f"evidence {item.evidence_id} of {case_id} is listed twice")
            found.evidence[key] = item
            if item.case_id != case_id:
                found.problems.append(f"evidence {item.evidence_id} is filed under {case_id}, says {item.case_id}")
            if full or key not in self._hashed:
                self._hashed[key] = await _digest(backend, item)
                found.hashed += 1
            if self._hashed[key] != (item.sha256, item.size):
                digest, size = self._hashed[key]
                found.problems.append(
                    f"evidence {item.evidence_id} of {case_id}: {size} bytes with SHA-256 {digest[:12]}, "
                    f"recorded {item.size} bytes with {item.sha256[:12]}"
                )

    async def _evidence_folders(self) -> tuple[list[str], int]:
        """Case ids that hold evidence files (drafts without a case document too), and bytes without metadata."""
        names = await self._evidence_names()
        content = {name for name in names if not name.endswith(METADATA_SUFFIX)}
        metadata = {name.removesuffix(METADATA_SUFFIX) for name in names if name.endswith(METADATA_SUFFIX)}
        folders = sorted({name.split("/", 1)[0] for name in names})
        return folders, len(content - metadata)

    async def _evidence_names(self) -> list[str]:
        """`<case id>/<file name>` of every committed evidence file (bytes and metadata), temporary files not."""
        if self.storage.backend == "azure":
            from azure.storage.blob.aio import ContainerClient

            container = ContainerClient.from_connection_string(
                self.storage.connection_string or "", f"{self.storage.container_prefix}-evidence"
            )
            async with container:
                return [name async for name in container.list_blob_names() if name.count("/") == 1]
        root = Path(self.storage.data_dir) / "evidence"
        if not root.is_dir():
            return []
        return [
            f"{path.parent.name}/{path.name}"
            for path in root.glob("*/*")
            if path.is_file() and not path.name.startswith(".")
        ]


def read_case(storage: BotStorage, case_id: str) -> Case:
    """The case as stored now (KeyError if there is no such case)."""

    async def read(backend: StorageBackend) -> Case:
        found = await CaseRepository(backend.documents).get(case_id)
        if found is None:
            raise KeyError(case_id)
        return found.case

    return with_backend(storage, read)


def pending_notifications(storage: BotStorage, case_id: str) -> list[Notification]:
    """Notifications about the case still waiting in the outbox (perhaps leased by a worker that was killed)."""

    async def read(backend: StorageBackend) -> list[Notification]:
        return [found for found in await Outbox(backend.documents).pending() if found.case_id == case_id]

    return with_backend(storage, read)


async def _digest(backend: StorageBackend, item: EvidenceItem) -> tuple[str, int]:
    """SHA-256 and size of the stored bytes; ("missing", 0) when the bytes are gone."""
    digest, size = hashlib.sha256(), 0
    try:
        async for chunk in backend.evidence.read(item.case_id, item.evidence_id):
            digest.update(chunk)
            size += len(chunk)
    except FileNotFoundError:
        return "missing", 0
    return digest.hexdigest(), size
