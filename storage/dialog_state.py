"""botbuilder `Storage` for conversation and user state, kept in a DocumentStore (survives restarts).

State objects (dialog stacks) are serialised with jsonpickle, the serialiser botbuilder itself
depends on (through `storage/state_codec.py`, which writes and reads the same bytes faster for plain
dialog state). Writes honour the `e_tag` botbuilder puts on state: a stale write raises, a `*` or a
missing etag overwrites.

`EncodedConversationState` is botbuilder's `ConversationState` with one difference: it encodes the state
once per turn. Stock botbuilder 4.17.1 (`CachedBotState.compute_hash`) flattens the whole state with
jsonpickle for a hash after the read, again to see whether it changed before the save, again in the
storage's encode, and once more after the write: four flattens and one decode per turn. Here the "hash"
is the stored JSON itself: the text the document was read as (no encoding at all on load), compared on save
with the one encoding of the state, which is also the text written, so a turn costs one decode and one
encode, and a turn that changed nothing writes nothing (as before). The document format is unchanged
(jsonpickle of the state without its `e_tag`), so states written by the stock class load as they are;
a document whose text is not what our encoder writes (another jsonpickle version) only costs one rewrite.
The etag guard is unchanged: the state carries the etag it was read with, a write sends it as If-Match and
a stale one raises `PreconditionFailed`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from botbuilder.core import ConversationState, Storage, StoreItem, TurnContext
from botbuilder.core.bot_state import CachedBotState

from storage import state_codec
from storage.ports import DocumentStore

ETAG = "e_tag"


def encode_state(item: Any) -> str:
    """The stored JSON of a state item: jsonpickle, without the item's etag (which is the document's)."""
    if isinstance(item, dict) and ETAG in item:
        item = {key: value for key, value in item.items() if key != ETAG}
    elif not isinstance(item, dict) and getattr(item, ETAG, None) is not None:
        etag = item.e_tag
        item.e_tag = None
        try:
            return state_codec.encode(item)
        finally:
            item.e_tag = etag
    return state_codec.encode(item)


class DocumentDialogStateStorage(Storage):
    def __init__(self, documents: DocumentStore) -> None:
        super().__init__()
        self._documents = documents

    @staticmethod
    def _key(key: str) -> str:
        return f"state/{hashlib.sha256(key.encode()).hexdigest()}.json"

    async def read(self, keys: list[str]) -> dict[str, Any]:
        items: dict[str, Any] = {}
        for key in keys:
            item, _ = await self.read_encoded(key)
            if item is not None:
                items[key] = item
        return items

    async def read_encoded(self, key: str) -> tuple[Any, str | None]:
        """The item (carrying the document's etag) and the stored text it was decoded from; (None, None) if absent."""
        document = await self._documents.get(self._key(key))
        if document is None:
            return None, None
        text = document.data.decode()
        item = state_codec.decode(text)
        _set_etag(item, document.etag)
        return item, text

    async def write(self, changes: dict[str, Any]) -> None:
        for key, item in changes.items():
            await self.write_encoded(key, item, encode_state(item))

    async def write_encoded(self, key: str, item: Any, encoded: str) -> None:
        """Store `encoded` (= `encode_state(item)`) under the item's etag; the item gets the new etag."""
        etag = _get_etag(item)
        new_etag = await self._documents.put(
            self._key(key), encoded.encode(), if_match=etag if etag not in (None, "*") else None
        )
        _set_etag(item, new_etag)

    async def delete(self, keys: list[str]) -> None:
        for key in keys:
            await self._documents.delete(self._key(key))


class _EncodedCachedState(CachedBotState):
    """The turn's state with, as its hash, the stored JSON it was read as (None: nothing stored yet)."""

    def __init__(self, state: dict[str, Any] | None, encoded: str | None) -> None:  # no super(): it would hash
        self.state = state if state is not None else {}
        self.hash = encoded

    @property
    def is_changed(self) -> bool:
        return self.hash != encode_state(self.state)

    def compute_hash(self, obj: object) -> str:
        return encode_state(obj)


class EncodedConversationState(ConversationState):
    """`ConversationState` that encodes the state once per turn (see the module docstring)."""

    def __init__(self, storage: DocumentDialogStateStorage) -> None:
        super().__init__(storage)
        self._documents_storage = storage

    async def load(self, turn_context: TurnContext, force: bool = False) -> None:
        cached_state = self.get_cached_state(turn_context)
        if force or not cached_state or not cached_state.state:
            state, encoded = await self._documents_storage.read_encoded(self.get_storage_key(turn_context))
            turn_context.turn_state[self._context_service_key] = _EncodedCachedState(state, encoded)

    async def save_changes(self, turn_context: TurnContext, force: bool = False) -> None:
        cached_state = self.get_cached_state(turn_context)
        if cached_state is None:
            return
        encoded = encode_state(cached_state.state)
        if not force and encoded == cached_state.hash:
            return
        key = self.get_storage_key(turn_context)
        await self._documents_storage.write_encoded(key, cached_state.state, encoded)
        cached_state.hash = encoded


def _get_etag(item: Any) -> str | None:
    if isinstance(item, dict):
        return item.get(ETAG)
    return getattr(item, ETAG, None)


def _set_etag(item: Any, etag: str | None) -> None:
    if isinstance(item, dict):
        if etag is None:
            item.pop(ETAG, None)
        else:
            item[ETAG] = etag
    elif isinstance(item, StoreItem) or hasattr(item, ETAG):
        item.e_tag = etag
