"""Which cases concern a person, so "Mine sager" never scans every case.

`index/people/<sha256 of the Azure AD object id, else the Teams user id>.json` holds a JSON list of case ids,
in the order they were added. A case is added for its subject and its reporter when it is created (a sent
report or a kept draft); a colleague named in an on-behalf report whom the directory could not identify
(`named:` user id) has no identity to file it under and is skipped. Updates are read-modify-write guarded by
the etag and retried on conflict; adding the same case twice changes nothing, so a retry after a crash is safe.
Retention takes a deleted case out again (`remove`), with the etag as well (a list left empty stays empty rather
than deleted: a delete cannot be guarded by the etag, and a case added meanwhile must not be lost).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random

from domain.case import Case, Person
from storage.cases import MAX_CONFLICT_RETRIES
from storage.ports import DocumentStore, PreconditionFailed

PREFIX = "index/people/"
RETRY_PAUSE_SECONDS = 0.005  # doubled per conflict, random below that, at most 0.2 s


def _key(identifier: str) -> str:
    return f"{PREFIX}{hashlib.sha256(identifier.encode()).hexdigest()}.json"


def _is_named_only(person: Person) -> bool:
    return person.user_id.startswith("named:")


def _write_key(person: Person) -> str | None:
    """Where a person's cases are filed: under the Azure AD object id when known, else the Teams user id."""
    if _is_named_only(person):
        return None
    identifier = person.aad_object_id or person.user_id
    return _key(identifier) if identifier else None


def _read_keys(person: Person) -> list[str]:
    """Where to look: the Azure AD object id and the Teams user id (a case may have been filed under either)."""
    identifiers = [person.aad_object_id, None if _is_named_only(person) else person.user_id]
    return list(dict.fromkeys(_key(identifier) for identifier in identifiers if identifier))


def _decode(data: bytes) -> list[str]:
    value = json.loads(data)
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


class CaseIndex:
    def __init__(self, documents: DocumentStore) -> None:
        self._documents = documents

    async def add(self, case: Case) -> None:
        """File the case under its subject and its reporter (once when they are the same person)."""
        keys = [key for key in (_write_key(case.subject), _write_key(case.reporter)) if key]
        for key in dict.fromkeys(keys):
            await self._append(key, case.case_id)

    async def case_ids_for(self, person: Person) -> list[str]:
        """The ids of the cases filed under this person, oldest first; an empty list when there are none."""
        found: list[str] = []
        for key in _read_keys(person):
            document = await self._documents.get(key)
            if document is not None:
                found += _decode(document.data)
        return list(dict.fromkeys(found))

    async def remove(self, case: Case) -> int:
        """Take the case out of its subject's and reporter's lists (wherever it was filed); returns from how many."""
        keys = [*_read_keys(case.subject), *_read_keys(case.reporter)]
        removed = 0
        for key in dict.fromkeys(keys):
            removed += await self._remove(key, case.case_id)
        return removed

    async def _remove(self, key: str, case_id: str) -> int:
        for attempt in range(MAX_CONFLICT_RETRIES):
            if attempt:
                await asyncio.sleep(random.uniform(0, min(0.2, RETRY_PAUSE_SECONDS * 2**attempt)))
            document = await self._documents.get(key)
            case_ids = _decode(document.data) if document else []
            if document is None or case_id not in case_ids:
                return 0
            rest = [other for other in case_ids if other != case_id]
            try:
                await self._documents.put(key, json.dumps(rest).encode(), if_match=document.etag)
                return 1
            except PreconditionFailed:
                continue
        raise PreconditionFailed(key)

    async def _append(self, key: str, case_id: str) -> None:
        for attempt in range(MAX_CONFLICT_RETRIES):
            if attempt:
                await asyncio.sleep(random.uniform(0, min(0.2, RETRY_PAUSE_SECONDS * 2**attempt)))
            document = await self._documents.get(key)
            case_ids = _decode(document.data) if document else []
            if case_id in case_ids:
                return
            data = json.dumps([*case_ids, case_id]).encode()
            try:
                if document is None:
                    await self._documents.put(key, data, create_only=True)
                else:
                    await self._documents.put(key, data, if_match=document.etag)
                return
            except PreconditionFailed:
                continue
        raise PreconditionFailed(key)
