"""The storage ports. Each backend (local filesystem, Azure) implements these small interfaces.

`DocumentStore` holds small JSON documents with optimistic concurrency (etags).
`EvidenceStore` holds evidence bytes, append-only: an item becomes visible only when all its bytes
and its metadata are committed, and it can never be overwritten; a case's evidence goes only as a whole, when its
retention period ends (`delete_case`).
`EvidenceProtection` makes a case's evidence immutable until a date and holds it (Azure's version-level immutability
policy and legal hold on each blob); an expiry is only ever extended (domain.retention.extends).
`CaseTable` is the overview's queryable index of cases: one row per case (domain.overview.CaseRow), replaced
whole on every write of its case, queried by tenant (SQLite locally, Azure Table Storage in production).
A write that must not outlive another (a follow-up after its case) is made once that one has been awaited.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.evidence import EvidenceItem
from domain.overview import CaseRow, LeaderPage, RegisterPage, RegisterQuery
from domain.statistics import CaseCounts

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._%-]*(/[A-Za-z0-9][A-Za-z0-9._%-]*)*$")


class PreconditionFailed(Exception):
    """The document changed since it was read (etag mismatch), or already exists on a create."""


class InvalidKey(ValueError):
    """A key that could escape its folder or container (e.g. '../')."""


def check_key(key: str) -> str:
    """Refuse keys that are not plain relative paths of safe segments."""
    if not _SAFE_KEY.fullmatch(key) or ".." in key.split("/"):  # fullmatch: "$" would allow a trailing newline
        raise InvalidKey(key)
    return key


@dataclass(frozen=True)
class Document:
    data: bytes
    etag: str


class DocumentStore(Protocol):
    async def get(self, key: str) -> Document | None: ...

    def put(self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False) -> Awaitable[str]:
        """Write atomically; await the new etag. Raises PreconditionFailed on a stale etag or an existing key.
        An `async def`, or (the local store) a future for a write queued at the call."""
        ...

    async def delete(self, key: str) -> None: ...

    async def list_keys(self, prefix: str) -> list[str]: ...


class EvidenceWriter(Protocol):
    async def write(self, chunk: bytes) -> None: ...

    async def commit(self, item: EvidenceItem) -> None:
        """Make bytes and metadata visible together. Raises PreconditionFailed if the id exists."""
        ...

    async def abort(self) -> None:
        """Discard what was written; nothing becomes visible."""
        ...


class EvidenceStore(Protocol):
    def open_writer(self, case_id: str, evidence_id: str) -> EvidenceWriter: ...

    async def get_item(self, case_id: str, evidence_id: str) -> EvidenceItem | None: ...

    async def list_items(self, case_id: str) -> list[EvidenceItem]: ...

    def read(self, case_id: str, evidence_id: str) -> AsyncIterator[bytes]: ...

    async def delete_case(self, case_id: str) -> int:
        """Remove every item of the case, its bytes and its metadata, and anything a stopped write left under it;
        returns how many items there were. Only retention deletes evidence (services/retention.py)."""
        ...


class EvidenceProtection(Protocol):
    async def protect_case(self, case_id: str, until: datetime, *, locked: bool) -> int:
        """Make every blob of the case (bytes and metadata) immutable until `until` where its own expiry is earlier
        or absent, never shortening one; `locked`: a policy nobody can shorten or remove. Returns how many blobs were
        extended."""
        ...

    async def hold_case(self, case_id: str, held: bool) -> int:
        """Set (True) or clear (False) a legal hold on every blob of the case; returns how many blobs changed."""
        ...


class ProtectedEvidenceStore(EvidenceStore, EvidenceProtection, Protocol):
    """An evidence store that can also make its evidence immutable (both backends)."""


class CaseTable(Protocol):
    async def upsert(self, row: CaseRow) -> None:
        """Store the row of a case, replacing the one it had."""
        ...

    async def upsert_many(self, rows: list[CaseRow]) -> None:
        """Store many rows at once, each replacing the one its case had (seeding, a rebuild)."""
        ...

    async def led_by(self, tenant_id: str, aad_object_id: str, since: datetime, page: int) -> LeaderPage:
        """One page of the tenant's cases whose leader or deputy this is, open or closed since `since`, newest
        first (domain.overview.leader_shows, leader_order)."""
        ...

    async def delete(self, tenant_id: str, case_id: str) -> int:
        """Remove the case's row (retention); returns how many rows went (0 or 1)."""
        ...

    async def register(self, tenant_id: str, query: RegisterQuery, now: datetime) -> RegisterPage:
        """One page of the tenant's cases, filtered and sorted as `query` says (domain.overview.matches)."""
        ...

    async def rows(self, tenant_id: str, unit_ids: frozenset[str] | None = None) -> list[CaseRow]:
        """The tenant's cases (of these units only, when given)."""
        ...

    async def counts(self, tenant_id: str, unit_ids: frozenset[str] | None = None) -> CaseCounts:
        """What the statistics count of the tenant's cases (of these units only, when given)."""
        ...

    async def close(self) -> None: ...
