"""In-memory fakes of the storage ports (storage.ports), so the services are unit-tested in milliseconds.

They keep the ports' promises that the services rely on: etags and `create_only`/`if_match` preconditions
(PreconditionFailed), keys checked as the real stores check them, evidence visible only once committed and never
overwritten. Evidence immutability is kept as Azure keeps it: an item under an unexpired policy (by the evidence
store's `now`) or a legal hold refuses deletion (`ImmutableEvidence`), and an expiry is only ever extended.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from domain.evidence import EvidenceItem
from domain.overview import CaseRow, LeaderPage, RegisterPage, RegisterQuery, leader_page, register_page
from domain.retention import extends
from domain.statistics import CaseCounts, case_counts
from storage.ports import Document, PreconditionFailed, check_key


class InMemoryDocumentStore:
    def __init__(self) -> None:
        self.documents: dict[str, Document] = {}
        self._writes = 0

    async def get(self, key: str) -> Document | None:
        return self.documents.get(check_key(key))

    async def put(self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False) -> str:
        current = self.documents.get(check_key(key))
        if create_only and current is not None:
            raise PreconditionFailed(key)
        if if_match is not None and (current is None or current.etag != if_match):
            raise PreconditionFailed(key)
        self._writes += 1
        etag = f'"{self._writes}-{hashlib.sha256(data).hexdigest()[:12]}"'
        self.documents[key] = Document(data, etag)
        return etag

    async def delete(self, key: str) -> None:
        self.documents.pop(check_key(key), None)

    async def list_keys(self, prefix: str) -> list[str]:
        return sorted(key for key in self.documents if key.startswith(prefix))


class _Writer:
    def __init__(self, store: InMemoryEvidenceStore, case_id: str, evidence_id: str) -> None:
        self._store, self._key = store, (case_id, evidence_id)
        self._chunks: list[bytes] = []

    async def write(self, chunk: bytes) -> None:
        self._chunks.append(chunk)

    async def commit(self, item: EvidenceItem) -> None:
        if self._key in self._store.items:
            raise PreconditionFailed("/".join(self._key))
        self._store.items[self._key] = item
        self._store.contents[self._key] = b"".join(self._chunks)

    async def abort(self) -> None:
        self._chunks.clear()


class ImmutableEvidence(Exception):
    """What Azure answers (409) to deleting a blob under an unexpired immutability policy or a legal hold."""


class InMemoryEvidenceStore:
    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self.items: dict[tuple[str, str], EvidenceItem] = {}
        self.contents: dict[tuple[str, str], bytes] = {}
        self.immutable_until: dict[tuple[str, str], tuple[datetime, bool]] = {}  # expiry, locked
        self.held: set[tuple[str, str]] = set()
        self._now = now

    def open_writer(self, case_id: str, evidence_id: str) -> _Writer:
        return _Writer(self, case_id, evidence_id)

    async def get_item(self, case_id: str, evidence_id: str) -> EvidenceItem | None:
        return self.items.get((case_id, evidence_id))

    async def list_items(self, case_id: str) -> list[EvidenceItem]:
        found = [item for (case, _), item in self.items.items() if case == case_id]
        return sorted(found, key=lambda item: item.received_at)

    async def read(self, case_id: str, evidence_id: str) -> AsyncIterator[bytes]:
        yield self.contents[(case_id, evidence_id)]

    async def delete_case(self, case_id: str) -> int:
        keys = [key for key in self.items if key[0] == case_id]
        for key in keys:
            expiry = self.immutable_until.get(key)
            if key in self.held or (expiry and self._now is not None and expiry[0] > self._now()):
                raise ImmutableEvidence("/".join(key))
            del self.items[key], self.contents[key]
            self.immutable_until.pop(key, None)
        return len(keys)

    async def protect_case(self, case_id: str, until: datetime, *, locked: bool) -> int:
        extended = 0
        for key in [key for key in self.items if key[0] == case_id]:
            current = self.immutable_until.get(key)
            if extends(current[0] if current else None, until):
                self.immutable_until[key] = (until, locked)
                extended += 1
        return extended

    async def hold_case(self, case_id: str, held: bool) -> int:
        keys = {key for key in self.items if key[0] == case_id}
        changed = keys - self.held if held else keys & self.held
        self.held = self.held | keys if held else self.held - keys
        return len(changed)


class SenderSpy:
    """The outbox worker's place: counts how often the services woke it."""

    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


class InMemoryCaseTable:
    """The overview's case table (storage.ports.CaseTable) in a dict, with domain.overview's own filter and sort."""

    def __init__(self) -> None:
        self.rows_by_id: dict[str, CaseRow] = {}

    async def upsert(self, row: CaseRow) -> None:
        self.rows_by_id[row.case_id] = row

    async def upsert_many(self, rows: list[CaseRow]) -> None:
        for row in rows:
            self.rows_by_id[row.case_id] = row

    async def delete(self, tenant_id: str, case_id: str) -> int:
        row = self.rows_by_id.get(case_id)
        if row is None or row.tenant_id != tenant_id:
            return 0
        del self.rows_by_id[case_id]
        return 1

    def _tenant(self, tenant_id: str) -> list[CaseRow]:
        return [row for row in self.rows_by_id.values() if row.tenant_id == tenant_id]

    async def led_by(self, tenant_id: str, aad_object_id: str, since: datetime, page: int) -> LeaderPage:
        return leader_page(self._tenant(tenant_id), aad_object_id, since, page)

    async def register(self, tenant_id: str, query: RegisterQuery, now: datetime) -> RegisterPage:
        return register_page(self._tenant(tenant_id), query, now)

    async def rows(self, tenant_id: str, unit_ids: frozenset[str] | None = None) -> list[CaseRow]:
        return [row for row in self._tenant(tenant_id) if unit_ids is None or row.unit_id in unit_ids]

    async def counts(self, tenant_id: str, unit_ids: frozenset[str] | None = None) -> CaseCounts:
        return case_counts(await self.rows(tenant_id, unit_ids))

    async def close(self) -> None:
        return None
