"""Each conversation's saved state between turns: the running dialog (storage of dialogs/engine.py) and its
saved properties, as one plain JSON document per conversation.

Rules: the document is `state/<sha256 of "<channel>/conversations/<conversation id>">.json`; a turn reads it
once and writes it only when something changed, with If-Match on the etag it read (a document created meanwhile
or changed by another turn of the same conversation makes the write fail with `PreconditionFailed`, never a
silent overwrite); documents written by the botbuilder-based releases (jsonpickle of `DialogState`) are read as
they are, so a conversation in the middle of a report continues after the upgrade.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from storage.ports import DocumentStore

VERSION = 2
STATE_FOLDER = "state/"  # every conversation's document is in here
_BOTBUILDER_DIALOG_STATE = "DialogState"  # the property name the botbuilder releases stored the stack under


@dataclass
class ConversationState:
    """The loaded state of one conversation; change `stack` and `properties` in place, then `save` it."""

    key: str
    stack: list[dict[str, Any]] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    etag: str | None = None
    stored: str | None = None  # the JSON as read (None: no document yet)

    def encoded(self) -> str:
        return json.dumps(
            {"version": VERSION, "dialog_stack": self.stack, "properties": self.properties},
            ensure_ascii=False,
            separators=(",", ":"),
        )


def conversation_key(channel_id: str, conversation_id: str) -> str:
    return f"{channel_id}/conversations/{conversation_id}"


def document_key(key: str) -> str:
    return f"{STATE_FOLDER}{hashlib.sha256(key.encode()).hexdigest()}.json"


class ConversationStateStore:
    def __init__(self, documents: DocumentStore) -> None:
        self._documents = documents

    async def load(self, key: str) -> ConversationState:
        document = await self._documents.get(document_key(key))
        if document is None:
            return ConversationState(key)
        text = document.data.decode()
        stack, properties = _read(json.loads(text))
        return ConversationState(key, stack, properties, etag=document.etag, stored=text)

    async def save(self, state: ConversationState) -> None:
        """Write the state if it changed (If-Match on the etag read; create-only when there was no document)."""
        encoded = state.encoded()
        if encoded == state.stored:
            return
        if not state.stack and not state.properties and state.stored is None:
            return  # nothing to keep, and nothing stored to clear
        key = document_key(state.key)
        if state.etag is None:
            state.etag = await self._documents.put(key, encoded.encode(), create_only=True)
        else:
            state.etag = await self._documents.put(key, encoded.encode(), if_match=state.etag)
        state.stored = encoded

    async def delete(self, key: str) -> None:
        await self._documents.delete(document_key(key))


def _read(data: object) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The stack and properties of a stored document, this release's or a botbuilder release's."""
    if not isinstance(data, dict):
        return [], {}
    if data.get("version") == VERSION:
        stack = [entry for entry in data.get("dialog_stack") or [] if _is_entry(entry)]
        properties = data.get("properties")
        return stack[-1:], properties if isinstance(properties, dict) else {}
    dialog_state = data.get(_BOTBUILDER_DIALOG_STATE)
    entries = dialog_state.get("_dialog_stack") if isinstance(dialog_state, dict) else None
    # botbuilder kept the running dialog first on its stack
    stack = [{"id": entry["id"], "state": entry["state"]} for entry in entries or [] if _is_entry(entry)][:1]
    properties = {
        name: value
        for name, value in data.items()
        if name not in (_BOTBUILDER_DIALOG_STATE, "e_tag") and not name.startswith("py/")
    }
    return stack, properties


def _is_entry(entry: object) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("state"), dict)
