"""Append-only audit log per case: each event is its own create-only document, never rewritten.

An event with an `event_id` (e.g. "v7" for the action that made version 7 of a case) is written at most once,
so writing it again after a crash is harmless. A refused attempt on a case id that names no case is kept apart
(`audit-unknown-cases/`), as there is no case log to put it in; so are the overview's reads of many cases at once
(`audit-overview/`).

When retention deletes a case its log goes with it (the events name people), and a tombstone without personal data
stays in `audit-deleted-cases/<case_id>.json` (domain.retention.Tombstone), written once.
"""

from __future__ import annotations

import contextlib
import uuid

from domain.audit import AuditEvent
from domain.retention import Tombstone
from storage.ports import DocumentStore, PreconditionFailed

UNKNOWN_CASES = "audit-unknown-cases/"
DELETED_CASES = "audit-deleted-cases/"
OVERVIEW_READS = "audit-overview/"  # the overview's lists and statistics: who read which cases' rows


class AuditLog:
    def __init__(self, documents: DocumentStore) -> None:
        self._documents = documents

    async def append(self, event: AuditEvent, event_id: str | None = None) -> None:
        stamp = event.at.strftime("%Y%m%dT%H%M%S%f")
        key = f"audit/{event.case_id}/{stamp}-{event_id or uuid.uuid4().hex[:8]}.json"
        try:
            await self._documents.put(key, event.model_dump_json().encode(), create_only=True)
        except PreconditionFailed:
            if event_id is None:
                raise
            # written before: this is a repeat after a crash

    async def append_unknown_case(self, event: AuditEvent) -> None:
        """A refused attempt on a case id that names no case."""
        stamp = event.at.strftime("%Y%m%dT%H%M%S%f")
        key = f"{UNKNOWN_CASES}{stamp}-{uuid.uuid4().hex[:8]}.json"
        await self._documents.put(key, event.model_dump_json().encode(), create_only=True)

    async def append_overview_read(self, event: AuditEvent) -> None:
        """A read of the overview's lists or statistics (not of one case: those go on the case's log)."""
        stamp = event.at.strftime("%Y%m%dT%H%M%S%f")
        key = f"{OVERVIEW_READS}{stamp}-{uuid.uuid4().hex[:8]}.json"
        await self._documents.put(key, event.model_dump_json().encode(), create_only=True)

    async def overview_read_events(self) -> list[AuditEvent]:
        return await self._read(OVERVIEW_READS)

    async def unknown_case_events(self) -> list[AuditEvent]:
        return await self._read(UNKNOWN_CASES)

    async def delete_case(self, case_id: str) -> int:
        """Remove the case's log (retention only); returns how many events it held."""
        keys = await self._documents.list_keys(f"audit/{case_id}/")
        for key in keys:
            await self._documents.delete(key)
        return len(keys)

    async def record_deletion(self, tombstone: Tombstone) -> None:
        """Keep the tombstone of a deleted case (once: a repeat after a crash keeps the first)."""
        key = f"{DELETED_CASES}{tombstone.case_id}.json"
        with contextlib.suppress(PreconditionFailed):
            await self._documents.put(key, tombstone.model_dump_json().encode(), create_only=True)

    async def deletions(self) -> list[Tombstone]:
        """The tombstones of every deleted case, oldest deletion first."""
        found: list[Tombstone] = []
        for key in await self._documents.list_keys(DELETED_CASES):
            document = await self._documents.get(key)
            if document is not None:
                found.append(Tombstone.model_validate_json(document.data))
        return sorted(found, key=lambda tombstone: tombstone.deleted_at)

    async def events(self, case_id: str) -> list[AuditEvent]:
        return await self._read(f"audit/{case_id}/")

    async def _read(self, prefix: str) -> list[AuditEvent]:
        events = []
        for key in await self._documents.list_keys(prefix):
            document = await self._documents.get(key)
            if document is not None:
                events.append(AuditEvent.model_validate_json(document.data))
        return sorted(events, key=lambda event: event.at)
