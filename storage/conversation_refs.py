"""Where to reach a person proactively: botbuilder `ConversationReference`s kept in a DocumentStore.

A reference is stored as the SDK's own JSON (`ConversationReference.serialize()`) under
`references/<sha256 of id>.json`, once under the Azure AD object id and once under the Teams user id
when both are known, so a person found in the directory (aad id only) and a person seen in a chat
(Teams id) reach the same conversation. The stored reference has no `activity_id`: it names the
conversation, not a message in it.

The bot's own account (`reference.bot`) of the newest reference is also kept under `references/bot.json`;
with an empty app id it is the only way to know the bot's channel id when creating a conversation.

`save()` runs on every incoming turn (`VaernBot._remember_conversation`), and the reference almost never
changes. So the store remembers, per document, what it last read or wrote there (`_KnownDocuments`: a bounded
LRU of `cache_size` documents): a save whose reference has the same fingerprint - every field of the SDK
model, compared by value, `activity_id` left out - as the remembered one does nothing at all (no
`serialize()`, no read, no write). Otherwise (a new person, a changed serviceUrl / conversation id / name /
locale ..., or a restart: the memory starts empty) the document is read once, compared byte for byte, and
written only if it differs. A remembered entry is trusted for `recheck_seconds` (5 minutes), then read again
once, so a reference another process wrote meanwhile is noticed and corrected within that time. On the slow
path, saves of one document take turns within the process (striped asyncio locks), so the memory always
names what the store holds after our own writes. `get()`, `forget()` and `last_bot()` read and delete in the
store as before (`forget()` also drops the memory).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from botbuilder.schema import ChannelAccount, ConversationReference
from msrest.serialization import Model

from domain.case import Person
from storage.ports import DocumentStore

BOT_KEY = "references/bot.json"
DEFAULT_CACHE_SIZE = 10_000
DEFAULT_RECHECK_SECONDS = 300.0
WRITE_LOCKS = 64  # the slow path takes turns per document (striped), so two saves never interleave on one


def _key(identifier: str) -> str:
    return f"references/{hashlib.sha256(identifier.encode()).hexdigest()}.json"


def _identifiers(person: Person) -> list[str]:
    return [identifier for identifier in (person.aad_object_id, person.user_id) if identifier]


def _encode(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False).encode()


_DICT, _LIST, _END = object(), object(), object()  # structure marks, so that the flat sequence is unambiguous


def fingerprint(value: Any, *, leave_out: str | None = None) -> tuple[Any, ...]:
    """A flat tuple that equals another's exactly when the two SDK models hold the same data.

    Every attribute of an msrest model (additional properties included), recursively, with marks where a
    model, dict or list begins and ends; one tuple, so it costs few allocations, and it holds no reference to
    the activity's mutable parts. Order-sensitive: two equal dicts in a different order only cost one needless
    byte comparison, never a missed change.
    """
    parts: list[Any] = []
    _flatten(value, parts, leave_out)
    return tuple(parts)


def _flatten(value: Any, parts: list[Any], leave_out: str | None = None) -> None:
    if isinstance(value, Model):
        parts.append(type(value))
        for name, item in vars(value).items():
            if name != leave_out:
                parts.append(name)
                _flatten(item, parts)
        parts.append(_END)
    elif isinstance(value, dict):
        parts.append(_DICT)
        for key, item in value.items():
            parts.append(key)
            _flatten(item, parts)
        parts.append(_END)
    elif isinstance(value, list | tuple):
        parts.append(_LIST)
        for item in value:
            _flatten(item, parts)
        parts.append(_END)
    else:
        parts.append(value)


class _KnownDocuments:
    """What each recently used document holds, as a fingerprint, with when it was last read or written."""

    def __init__(self, size: int, recheck_seconds: float, clock: Callable[[], float]) -> None:
        self._size = size
        self._recheck_seconds = recheck_seconds
        self._clock = clock
        self._entries: OrderedDict[str, tuple[Any, float]] = OrderedDict()

    def holds(self, key: str, value: Any) -> bool:
        entry = self._entries.get(key)
        if entry is None or self._clock() - entry[1] > self._recheck_seconds:
            return False
        self._entries.move_to_end(key)
        return entry[0] == value

    def remember(self, key: str, value: Any) -> None:
        self._entries[key] = (value, self._clock())
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


class ConversationReferenceStore:
    def __init__(
        self,
        documents: DocumentStore,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        recheck_seconds: float = DEFAULT_RECHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._documents = documents
        self._known = _KnownDocuments(cache_size, recheck_seconds, clock)
        self._writing = [asyncio.Lock() for _ in range(WRITE_LOCKS)]

    async def save(self, person: Person, reference: ConversationReference) -> None:
        """Store the reference under every id the person has; unchanged documents are not read or rewritten."""
        wanted = self._wanted(person, reference)
        if all(self._known.holds(key, value) for key, (value, _) in wanted.items()):
            return
        for key, (value, data) in wanted.items():
            async with self._writing[hash(key) % WRITE_LOCKS]:
                if not self._known.holds(key, value):
                    await self._write_if_changed(key, data())
                    self._known.remember(key, value)

    def _wanted(self, person: Person, reference: ConversationReference) -> dict[str, tuple[Any, Callable[[], bytes]]]:
        """Document key -> (fingerprint of what belongs there, its bytes when needed)."""

        def reference_bytes() -> bytes:
            serialized = reference.serialize()
            serialized.pop("activityId", None)
            return _encode(serialized)

        value = fingerprint(reference, leave_out="activity_id")
        wanted = {_key(identifier): (value, reference_bytes) for identifier in _identifiers(person)}
        bot = reference.bot
        if bot is not None and bot.id:
            wanted[BOT_KEY] = (fingerprint(bot), lambda: _encode(bot.serialize()))
        return wanted

    async def get(self, person: Person) -> ConversationReference | None:
        """By Azure AD object id first, then by Teams user id."""
        for identifier in _identifiers(person):
            document = await self._documents.get(_key(identifier))
            if document is not None:
                return ConversationReference.deserialize(json.loads(document.data))
        return None

    async def forget(self, person: Person) -> None:
        for identifier in _identifiers(person):
            self._known.forget(_key(identifier))
            await self._documents.delete(_key(identifier))

    async def last_bot(self) -> ChannelAccount | None:
        """The bot's account as the channel named it in the newest stored reference."""
        document = await self._documents.get(BOT_KEY)
        return ChannelAccount.deserialize(json.loads(document.data)) if document is not None else None

    async def _write_if_changed(self, key: str, data: bytes) -> None:
        current = await self._documents.get(key)
        if current is None or current.data != data:
            await self._documents.put(key, data)
