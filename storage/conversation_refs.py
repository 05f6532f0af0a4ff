"""Where to reach a person proactively: conversation references kept in a DocumentStore.

A reference is the Bot Framework's JSON of a conversation reference (the edge makes it from the SDK's model and
back), stored under `references/<sha256 of id>.json`, once under the Azure AD object id and once under the Teams
user id when both are known, so a person found in the directory (aad id only) and a person seen in a chat (Teams
id) reach the same conversation. It names the conversation, not a message in it (no `activityId`). The bot's own
account of the newest reference is also kept (`references/bot.json`): with an empty app id it is the only way to
know the bot's channel id when creating a conversation.

Rules: `save()` runs on every incoming turn and the reference almost never changes, so the store remembers, per
document, a fingerprint of what it last read or wrote there (a bounded LRU): an unchanged reference costs no read
and no write; a remembered entry is trusted for `recheck_seconds`, then read again once, so a reference another
process wrote is corrected within that time; saves of one document take turns within the process.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

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
    """A flat tuple that equals another's exactly when the two JSON values hold the same data: every key and
    value, with marks where a dict or list begins and ends (order-sensitive: a reordered dict only costs one
    needless byte comparison, never a missed change)."""
    parts: list[Any] = []
    _flatten(value, parts, leave_out)
    return tuple(parts)


def _flatten(value: Any, parts: list[Any], leave_out: str | None = None) -> None:
    if isinstance(value, dict):
        parts.append(_DICT)
        for key, item in value.items():
            if key != leave_out:
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


def _read(data: bytes) -> dict[str, Any]:
    """A stored reference; the botbuilder releases wrote the conversation's tenant as "tenantID"."""
    reference = json.loads(data)
    conversation = reference.get("conversation")
    if isinstance(conversation, dict) and "tenantID" in conversation:
        conversation.setdefault("tenantId", conversation.pop("tenantID"))
    return reference


def service_url_of(reference: dict[str, Any]) -> str:
    value = reference.get("serviceUrl")
    return value if isinstance(value, str) else ""


def tenant_of(reference: dict[str, Any]) -> str | None:
    conversation = reference.get("conversation")
    tenant = conversation.get("tenantId") if isinstance(conversation, dict) else None
    return tenant if isinstance(tenant, str) and tenant else None


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

    async def save(self, person: Person, reference: dict[str, Any]) -> None:
        """Store the reference under every id the person has; unchanged documents are not read or rewritten."""
        wanted = self._wanted(person, reference)
        if all(self._known.holds(key, value) for key, (value, _) in wanted.items()):
            return
        for key, (value, data) in wanted.items():
            async with self._writing[hash(key) % WRITE_LOCKS]:
                if not self._known.holds(key, value):
                    await self._write_if_changed(key, data())
                    self._known.remember(key, value)

    def _wanted(self, person: Person, reference: dict[str, Any]) -> dict[str, tuple[Any, Callable[[], bytes]]]:
        """Document key -> (fingerprint of what belongs there, its bytes when needed)."""

        def reference_bytes() -> bytes:
            return _encode({key: value for key, value in reference.items() if key != "activityId"})

        value = fingerprint(reference, leave_out="activityId")
        wanted = {_key(identifier): (value, reference_bytes) for identifier in _identifiers(person)}
        bot = reference.get("bot")
        if isinstance(bot, dict) and bot.get("id"):
            wanted[BOT_KEY] = (fingerprint(bot), lambda: _encode(bot))
        return wanted

    async def get(self, person: Person) -> dict[str, Any] | None:
        """By Azure AD object id first, then by Teams user id."""
        for identifier in _identifiers(person):
            document = await self._documents.get(_key(identifier))
            if document is not None:
                return _read(document.data)
        return None

    async def forget(self, person: Person) -> None:
        for identifier in _identifiers(person):
            self._known.forget(_key(identifier))
            await self._documents.delete(_key(identifier))

    async def last_bot(self) -> dict[str, Any] | None:
        """The bot's account as the channel named it in the newest stored reference."""
        document = await self._documents.get(BOT_KEY)
        return json.loads(document.data) if document is not None else None

    async def _write_if_changed(self, key: str, data: bytes) -> None:
        current = await self._documents.get(key)
        if current is None or current.data != data:
            await self._documents.put(key, data)
