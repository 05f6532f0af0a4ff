"""Where to reach a person proactively: botbuilder `ConversationReference`s kept in a DocumentStore.

A reference is stored as the SDK's own JSON (`ConversationReference.serialize()`) under
`references/<sha256 of id>.json`, once under the Azure AD object id and once under the Teams user id
when both are known, so a person found in the directory (aad id only) and a person seen in a chat
(Teams id) reach the same conversation. The stored reference has no `activity_id`: it names the
conversation, not a message in it.

The bot's own account (`reference.bot`) of the newest reference is also kept under `references/bot.json`;
with an empty app id it is the only way to know the bot's channel id when creating a conversation.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from botbuilder.schema import ChannelAccount, ConversationReference

from domain.case import Person
from storage.ports import DocumentStore

BOT_KEY = "references/bot.json"


def _key(identifier: str) -> str:
    return f"references/{hashlib.sha256(identifier.encode()).hexdigest()}.json"


def _identifiers(person: Person) -> list[str]:
    return [identifier for identifier in (person.aad_object_id, person.user_id) if identifier]


def _encode(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False).encode()


class ConversationReferenceStore:
    def __init__(self, documents: DocumentStore) -> None:
        self._documents = documents

    async def save(self, person: Person, reference: ConversationReference) -> None:
        """Store the reference under every id the person has; unchanged documents are not rewritten."""
        serialized = reference.serialize()
        serialized.pop("activityId", None)
        data = _encode(serialized)
        for identifier in _identifiers(person):
            await self._write_if_changed(_key(identifier), data)
        if reference.bot is not None and reference.bot.id:
            await self._write_if_changed(BOT_KEY, _encode(reference.bot.serialize()))

    async def get(self, person: Person) -> ConversationReference | None:
        """By Azure AD object id first, then by Teams user id."""
        for identifier in _identifiers(person):
            document = await self._documents.get(_key(identifier))
            if document is not None:
                return ConversationReference.deserialize(json.loads(document.data))
        return None

    async def forget(self, person: Person) -> None:
        for identifier in _identifiers(person):
            await self._documents.delete(_key(identifier))

    async def last_bot(self) -> ChannelAccount | None:
        """The bot's account as the channel named it in the newest stored reference."""
        document = await self._documents.get(BOT_KEY)
        return ChannelAccount.deserialize(json.loads(document.data)) if document is not None else None

    async def _write_if_changed(self, key: str, data: bytes) -> None:
        current = await self._documents.get(key)
        if current is None or current.data != data:
            await self._documents.put(key, data)
