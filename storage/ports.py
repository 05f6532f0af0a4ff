"""The storage ports. Each backend (local filesystem, Azure) implements these small interfaces.

`DocumentStore` holds small JSON documents with optimistic concurrency (etags).
`EvidenceStore` holds evidence bytes, append-only: an item becomes visible only when all its bytes
and its metadata are committed, and it can never be overwritten; a case's evidence goes only as a whole, when its
retention period ends (`delete_case`).
`EvidenceProtection` makes a case's evidence immutable until a date and holds it (Azure's version-level immutability
policy and legal hold on each blob); an expiry is only ever extended (domain.retention.extends).
`CaseTable` is the overview's queryable index of cases: one row per case (domain.overview.CaseRow), replaced
whole on every write of its case, queried by tenant (SQLite locally, Azure Table Storage in production).
`put_if_stored` writes a document only if an earlier write is stored (a case only with its reference's number).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, TypeGuard

from domain.evidence import EvidenceItem
from domain.overview import CaseRow, LeaderPage, RegisterPage, RegisterQuery
from domain.statistics import CaseCounts

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._%-]*(/[A-Za-z0-9][A-Za-z0-9._%-]*)*$")


class PreconditionFailed(Exception):
    """The document changed since it was read (etag mismatch), or already exists on a create."""


class RequiredWriteFailed(Exception):
    """A write made `if_stored` an earlier one (`put_if_stored`) was not stored, because that one was not."""


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


class OrderedDocumentStore(DocumentStore, Protocol):
    """A DocumentStore that keeps the order of writes (`writes_in_call_order`): `put` queues the write at the call
    and returns its future, takes `if_stored` itself (`put_if_stored`), and names each write's etag by its bytes
    (`etag_of`), so a compare-and-swap can be queued right behind the write it follows."""

    writes_in_call_order: Literal[True]

    def put(
        self,
        key: str,
        data: bytes,
        *,
        if_match: str | None = None,
        create_only: bool = False,
        if_stored: Awaitable[str] | None = None,
    ) -> asyncio.Future[str]: ...

    @staticmethod
    def etag_of(data: bytes) -> str:
        """The etag `data` has once stored."""
        ...


def writes_in_call_order(store: DocumentStore) -> TypeGuard[OrderedDocumentStore]:
    """True when `store` makes its writes durable in the order `put` was called, and a write made right behind
    others, in the same run of the caller's code (no `await` between that could suspend), is never durable when
    one of them failed (the local SQLite store says so with `writes_in_call_order = True`; how it keeps that:
    storage/write_batches.py, "Order"). A write that must not outlive earlier ones (a job marker after its jobs)
    may then be made before they have ended. A store that does not say so (Azure: each write an HTTP request
    of its own; a test's wrapper) is waited for."""
    return getattr(store, "writes_in_call_order", False) is True


def put_if_stored(
    store: DocumentStore,
    required: Awaitable[str] | None,
    key: str,
    data: bytes,
    *,
    if_match: str | None = None,
    create_only: bool = False,
) -> Awaitable[str]:
    """`store.put`, stored only if the earlier write `required` (the future of a put of the same store, as the
    local store's `put` returns it or `asyncio.ensure_future` makes it; None: no condition) is stored, and only
    with it or after it; else RequiredWriteFailed. A store that keeps the order of writes
    (`writes_in_call_order`) takes the condition itself: the put is queued at the call, right behind `required`,
    with no wait (storage/sqlite_documents.py, `put(..., if_stored=...)`). Any other store waits for `required`
    first, and the put is made when the result is awaited."""
    if required is None:
        return store.put(key, data, if_match=if_match, create_only=create_only)
    if writes_in_call_order(store):
        return store.put(key, data, if_match=if_match, create_only=create_only, if_stored=required)
    return _put_once_stored(required, store, key, data, if_match=if_match, create_only=create_only)


async def _put_once_stored(
    required: Awaitable[str], store: DocumentStore, key: str, data: bytes, *, if_match: str | None, create_only: bool
) -> str:
    await wait_until_stored(required, key)
    return await store.put(key, data, if_match=if_match, create_only=create_only)


async def wait_until_stored(required: Awaitable[str], what: str) -> None:
    """Wait for the earlier write `required` before writing `what` where the store cannot take the condition
    itself; RequiredWriteFailed (from its error) if it was not stored."""
    try:
        await required
    except Exception as error:
        raise RequiredWriteFailed(what) from error


def create_all(
    store: DocumentStore, documents: Mapping[str, bytes], *, if_stored: Awaitable[str] | None = None
) -> Awaitable[list[str]]:
    """Create each document that does not exist yet (`put(..., create_only=True)`), all at once and at the call:
    the local backend queues them into one batch, Azure sends them in parallel. Await the result for the keys
    created. An existing key is left as it is; any other failure is raised once every put has ended. With
    `if_stored`, only if that earlier write is stored (`put_if_stored`)."""
    writes = {
        key: asyncio.ensure_future(put_if_stored(store, if_stored, key, data, create_only=True))
        for key, data in documents.items()
    }
    return _created(writes)


async def _created(writes: Mapping[str, asyncio.Future[str]]) -> list[str]:
    created: list[str] = []
    failures: list[Exception] = []
    try:
        for key, write in writes.items():  # once the first has ended, the rest of its batch has too
            try:
                await write
            except PreconditionFailed:
                continue
            except Exception as error:
                failures.append(error)
                continue
            created.append(key)
    except BaseException:  # cancelled: as `gather` would, stop whatever has not ended
        for write in writes.values():
            write.cancel()
        raise
    if failures:
        raise failures[0]
    return created
