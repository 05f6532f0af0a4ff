"""Local filesystem backend (the embedded default): one instance, no Azure account needed.

Every write goes to a temporary file, is flushed to disk, and is then renamed (documents) or
hard-linked (evidence, which must never be overwritten) into place, so a crash leaves either the
old or the new state. A lock file per store serialises compare-and-swap across processes.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from domain.evidence import EvidenceItem
from storage.ports import Document, PreconditionFailed, check_key

CHUNK = 256 * 1024


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _write_durably(path: Path, data: bytes) -> Path:
    temporary = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return temporary


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class LocalDocumentStore:
    """JSON documents as files under a root folder; etag = hash of the bytes."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._root.mkdir(parents=True, exist_ok=True)
        self._lock_path = root / ".lock"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self._lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _path(self, key: str) -> Path:
        return self._root / check_key(key)

    async def get(self, key: str) -> Document | None:
        return await asyncio.to_thread(self._get, self._path(key))

    @staticmethod
    def _get(path: Path) -> Document | None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        return Document(data=data, etag=_etag(data))

    async def put(self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False) -> str:
        return await asyncio.to_thread(self._put, self._path(key), data, if_match, create_only)

    def _put(self, path: Path, data: bytes, if_match: str | None, create_only: bool) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            current = self._get(path)
            if create_only and current is not None:
                raise PreconditionFailed(path.name)
            if if_match is not None and (current is None or current.etag != if_match):
                raise PreconditionFailed(path.name)
            temporary = _write_durably(path, data)
            os.replace(temporary, path)
            _fsync_dir(path.parent)
        return _etag(data)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(path.unlink, True)

    async def list_keys(self, prefix: str) -> list[str]:
        folder = self._path(prefix.rstrip("/"))
        return await asyncio.to_thread(self._list, folder)

    def _list(self, folder: Path) -> list[str]:
        if not folder.is_dir():
            return []
        return sorted(
            str(path.relative_to(self._root))
            for path in folder.rglob("*")
            if path.is_file() and not path.name.startswith(".")
        )


class LocalEvidenceWriter:
    """Streams into a hidden temporary file; commit hard-links it into place (fails if it exists)."""

    def __init__(self, folder: Path, evidence_id: str) -> None:
        self._folder = folder
        self._evidence_id = check_key(evidence_id)
        self._temporary = folder / f".tmp-{uuid.uuid4().hex}"
        self._handle: BinaryIO | None = None

    async def write(self, chunk: bytes) -> None:
        if self._handle is None:
            self._folder.mkdir(parents=True, exist_ok=True)
            self._handle = await asyncio.to_thread(open, self._temporary, "wb")
        await asyncio.to_thread(self._handle.write, chunk)

    async def commit(self, item: EvidenceItem) -> None:
        await asyncio.to_thread(self._commit, item)

    def _commit(self, item: EvidenceItem) -> None:
        if self._handle is None:
            self._folder.mkdir(parents=True, exist_ok=True)
            self._temporary.touch()
        else:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
        content = self._folder / self._evidence_id
        metadata = self._folder / f"{self._evidence_id}.json"
        try:
            os.link(self._temporary, content)
        except FileExistsError as error:
            raise PreconditionFailed(self._evidence_id) from error
        finally:
            self._temporary.unlink(missing_ok=True)
        temporary_metadata = _write_durably(metadata, item.model_dump_json().encode())
        try:
            os.link(temporary_metadata, metadata)
        finally:
            temporary_metadata.unlink(missing_ok=True)
        _fsync_dir(self._folder)

    async def abort(self) -> None:
        if self._handle is not None:
            await asyncio.to_thread(self._handle.close)
        self._temporary.unlink(missing_ok=True)


class LocalEvidenceStore:
    """Evidence under <root>/<case_id>/<evidence_id> with a JSON metadata file beside it.

    An item is visible only when its metadata file exists, which is written after the bytes.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._root.mkdir(parents=True, exist_ok=True)

    def _folder(self, case_id: str) -> Path:
        return self._root / check_key(case_id)

    def open_writer(self, case_id: str, evidence_id: str) -> LocalEvidenceWriter:
        return LocalEvidenceWriter(self._folder(case_id), evidence_id)

    async def get_item(self, case_id: str, evidence_id: str) -> EvidenceItem | None:
        path = self._folder(case_id) / f"{check_key(evidence_id)}.json"
        try:
            raw = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None
        return EvidenceItem.model_validate_json(raw)

    async def list_items(self, case_id: str) -> list[EvidenceItem]:
        folder = self._folder(case_id)
        paths = await asyncio.to_thread(lambda: sorted(folder.glob("*.json")) if folder.is_dir() else [])
        items = [EvidenceItem.model_validate(json.loads(await asyncio.to_thread(p.read_bytes))) for p in paths]
        return sorted(items, key=lambda item: item.received_at)

    async def read(self, case_id: str, evidence_id: str) -> AsyncIterator[bytes]:
        path = self._folder(case_id) / check_key(evidence_id)
        handle = await asyncio.to_thread(open, path, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()
