"""Leaders that employees named themselves when the directory did not know them (kept for next time)."""

from __future__ import annotations

import hashlib

from domain.case import Person
from storage.ports import DocumentStore


class LeaderAssignments:
    def __init__(self, documents: DocumentStore) -> None:
        self._documents = documents

    @staticmethod
    def _key(person: Person) -> str:
        identity = person.aad_object_id or person.user_id
        return f"assignments/{hashlib.sha256(identity.encode()).hexdigest()}.json"

    async def leader_of(self, person: Person) -> str | None:
        """The Azure AD object id of the leader this person named, if any."""
        document = await self._documents.get(self._key(person))
        return document.data.decode() if document else None

    async def record(self, person: Person, leader_aad_object_id: str) -> None:
        await self._documents.put(self._key(person), leader_aad_object_id.encode())
