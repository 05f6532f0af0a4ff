"""The storage ports. Each backend (local filesystem, Azure Blob) implements these two small interfaces.

`DocumentStore` holds small JSON documents with optimistic concurrency (etags).
`EvidenceStore` holds evidence bytes, append-only: an item becomes visible only when all its bytes
and its metadata are committed, and it can never be overwritten.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from domain.evidence import EvidenceItem

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

    async def put(self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False) -> str:
        """Write atomically; return the new etag. Raises PreconditionFailed on a stale etag or an existing key."""
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


async def create_all(store: DocumentStore, documents: Mapping[str, bytes]) -> list[str]:
    """Create each document that does not exist yet (`put(..., create_only=True)`, all at once: the local
    backend writes them in a few batches, Azure in parallel); returns the keys created. An existing key is left as
    it is; any other failure is raised once every put has ended."""

    async def create(key: str, data: bytes) -> bool:
        try:
            await store.put(key, data, create_only=True)
        except PreconditionFailed:
            return False
        return True

    keys = list(documents)
    outcomes = await asyncio.gather(*(create(key, documents[key]) for key in keys), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return [key for key, created in zip(keys, outcomes, strict=True) if created is True]
