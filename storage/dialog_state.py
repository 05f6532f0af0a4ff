"""botbuilder `Storage` for conversation and user state, kept in a DocumentStore (survives restarts).

State objects (dialog stacks) are serialised with jsonpickle, the serialiser botbuilder itself
depends on. Writes honour the `e_tag` botbuilder puts on state: a stale write raises, a `*` or a
missing etag overwrites.
"""

from __future__ import annotations

import hashlib
from typing import Any

import jsonpickle
from botbuilder.core import Storage, StoreItem

from storage.ports import DocumentStore


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
            document = await self._documents.get(self._key(key))
            if document is None:
                continue
            item = jsonpickle.decode(document.data.decode())
            _set_etag(item, document.etag)
            items[key] = item
        return items

    async def write(self, changes: dict[str, Any]) -> None:
        for key, item in changes.items():
            etag = _get_etag(item)
            _set_etag(item, None)
            data = jsonpickle.encode(item).encode()
            try:
                new_etag = await self._documents.put(
                    self._key(key), data, if_match=etag if etag not in (None, "*") else None
                )
            except BaseException:
                _set_etag(item, etag)  # a refused write must not strip the caller's etag
                raise
            _set_etag(item, new_etag)

    async def delete(self, keys: list[str]) -> None:
        for key in keys:
            await self._documents.delete(self._key(key))


def _get_etag(item: Any) -> str | None:
    if isinstance(item, dict):
        return item.get("e_tag")
    return getattr(item, "e_tag", None)


def _set_etag(item: Any, etag: str | None) -> None:
    if isinstance(item, dict):
        if etag is None:
            item.pop("e_tag", None)
        else:
            item["e_tag"] = etag
    elif isinstance(item, StoreItem) or hasattr(item, "e_tag"):
        item.e_tag = etag
