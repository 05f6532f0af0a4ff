"""Local filesystem backend for evidence (the embedded default; the documents are in SQLite,
`storage/sqlite_documents.py`).

Evidence bytes stream into a hidden temporary file, are fsynced and hard-linked into place (so an existing
item can never be replaced); the metadata file is written the same way after them, and the folder is fsynced
(what makes the links themselves durable). An item is visible only when its metadata file exists, so a crash
leaves either no item or a whole one. Folders are made 0700 and files 0600 (storage/private_files.py).

File work runs in a thread pool of its own (`STORAGE_THREADS`), so storage does not queue behind, or block, other
users of asyncio's default pool. Each commit fsyncs its case's folder itself: evidence goes one item at a time
into a folder of its own case, so the group-committed folder fsyncs the file-per-document store needed (many
writers into `state/`) had nobody left to share with and were removed. The metadata is read in the event loop, as
the documents are: a case's few small files from the page cache cost less than the hop to a thread and back, which
under load is two turns of a busy event loop.

Evidence is buffered up to CHUNK bytes per thread call, and a full
buffer is written behind the download, not waited for; see `LocalEvidenceWriter`. So a turn that secures a
screenshot waits for one thread call, its commit, whatever the screenshot's size.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, TypeVar

from domain.evidence import EvidenceItem
from storage.ports import PreconditionFailed, check_key
from storage.private_files import create_private, make_private_folder, open_private, touch_private

CHUNK = 1024 * 1024  # bytes per thread call (256 KB: four times the calls for a screenshot)
STORAGE_THREADS = 16
T = TypeVar("T")

_executor = ThreadPoolExecutor(max_workers=STORAGE_THREADS, thread_name_prefix="vaern-storage")


async def _in_thread(function: Callable[..., T], *args: object) -> T:
    """Run blocking file work in the storage thread pool."""
    return await asyncio.get_running_loop().run_in_executor(_executor, function, *args)


def _fsync_folder(folder: str) -> None:
    """One fsync of a folder (what makes a link or rename inside it durable)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_temporary(folder: str, name: str, data: bytes) -> str:
    """`data` in a new hidden file beside `name`, on disk (fsynced); returns its path."""
    temporary = f"{folder}/.tmp-{os.urandom(16).hex()}-{name}"
    descriptor = create_private(temporary)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return temporary


class LocalEvidenceWriter:
    """Streams into a hidden temporary file; commit hard-links it into place (fails if it exists).

    Chunks are gathered in memory up to CHUNK bytes and written from the thread pool in one call (a download
    arrives in pieces of a few KB to 256 KB; one thread hop per piece was most of a screenshot turn's hops). A
    buffer that passes CHUNK is written behind the download: the next pieces arrive while it is written, and the
    commit waits for it in its own thread call. At most one such write is under way (the next full buffer waits
    for it), so a download holds at most about 2 x CHUNK in memory, and a failed write fails the next `write` or
    the commit, so nothing becomes visible without all its bytes.

    Why: a screenshot a little over CHUNK (the benchmark's is 1 MB + 382 bytes) took two thread calls in a row,
    each a hop to a thread and a turn of the event loop back (~10 ms each at 50 users); see benchmarks/README.md.
    """

    def __init__(self, folder: Path, evidence_id: str) -> None:
        self._folder = folder
        self._evidence_id = check_key(evidence_id)
        self._temporary = folder / f".tmp-{uuid.uuid4().hex}"
        self._handle: BinaryIO | None = None
        self._buffer = bytearray()
        self._writing: Future[None] | None = None  # the full buffer being written behind the download

    async def write(self, chunk: bytes) -> None:
        self._buffer += chunk
        if len(self._buffer) > CHUNK:  # a file of CHUNK bytes or less is written by its commit, in one call
            await self._written()
            pending, self._buffer = self._buffer, bytearray()
            self._writing = _executor.submit(self._append, pending)

    async def _written(self) -> None:
        """Wait for the write behind the download (without a turn of the event loop if it has ended); its
        failure is raised here. It stays recorded until it has ended, so an abort after a cancelled wait still
        waits for it before removing the file."""
        writing = self._writing
        if writing is None:
            return
        if not writing.done():
            await asyncio.wrap_future(writing)
        self._writing = None
        writing.result()

    def _append(self, data: bytes | bytearray) -> None:
        if self._handle is None:
            make_private_folder(self._folder)
            self._handle = open_private(self._temporary)  # closed by commit or abort
        self._handle.write(data)

    async def commit(self, item: EvidenceItem) -> None:
        writing, self._writing = self._writing, None
        await _in_thread(self._commit, item, writing)

    def _commit(self, item: EvidenceItem, writing: Future[None] | None) -> None:
        if writing is not None:  # submitted before this call, so taken by a thread before it: never a deadlock
            writing.result()
        if self._buffer:
            pending, self._buffer = self._buffer, bytearray()
            self._append(pending)
        if self._handle is None:
            make_private_folder(self._folder)
            touch_private(self._temporary)
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
        temporary_metadata = _write_temporary(str(self._folder), metadata.name, item.model_dump_json().encode())
        try:
            os.link(temporary_metadata, metadata)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary_metadata)
        _fsync_folder(str(self._folder))

    async def abort(self) -> None:
        self._buffer = bytearray()
        with contextlib.suppress(Exception):  # what failed is being reported already
            await self._written()
        if self._handle is not None:
            with contextlib.suppress(OSError):  # flushing what a full disk refused fails again; the file still closes
                await _in_thread(self._handle.close)
        self._temporary.unlink(missing_ok=True)


class LocalEvidenceStore:
    """Evidence under <root>/<case_id>/<evidence_id> with a JSON metadata file beside it.

    An item is visible only when its metadata file exists, which is written after the bytes.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        make_private_folder(self._root)

    def _folder(self, case_id: str) -> Path:
        return self._root / check_key(case_id)

    def open_writer(self, case_id: str, evidence_id: str) -> LocalEvidenceWriter:
        return LocalEvidenceWriter(self._folder(case_id), evidence_id)

    async def get_item(self, case_id: str, evidence_id: str) -> EvidenceItem | None:
        path = self._folder(case_id) / f"{check_key(evidence_id)}.json"
        try:
            raw = path.read_bytes()  # in the event loop: see the module docstring
        except FileNotFoundError:
            return None
        return EvidenceItem.model_validate_json(raw)

    async def list_items(self, case_id: str) -> list[EvidenceItem]:
        raw = self._read_metadata(self._folder(case_id))  # in the event loop: see the module docstring
        items = [EvidenceItem.model_validate_json(data) for data in raw]
        return sorted(items, key=lambda item: item.received_at)

    @staticmethod
    def _read_metadata(folder: Path) -> list[bytes]:
        """The committed metadata files. Hidden names are skipped: the `.tmp-…json` a crash can leave behind in a
        commit (empty, or a duplicate of the linked file)."""
        try:
            with os.scandir(folder) as entries:
                names = sorted(e.name for e in entries if e.name.endswith(".json") and not e.name.startswith("."))
        except FileNotFoundError:
            return []
        found = []
        for name in names:
            with open(folder / name, "rb", buffering=0) as handle:
                found.append(handle.readall())
        return found

    async def delete_case(self, case_id: str) -> int:
        return await _in_thread(self._delete_folder, self._folder(case_id))

    async def protect_case(self, case_id: str, until: datetime, *, locked: bool) -> int:
        """Nothing: a file on a disk cannot be made immutable against whoever runs the machine, and a guard only Værn
        kept would promise what it cannot hold. The settings refuse EVIDENCE_IMMUTABILITY with the local backend."""
        check_key(case_id)
        return 0

    async def hold_case(self, case_id: str, held: bool) -> int:
        """Nothing (see `protect_case`): Værn's own legal hold already stops retention from deleting the case."""
        check_key(case_id)
        return 0

    def _delete_folder(self, folder: Path) -> int:
        """Every file of the case's folder (hidden leftovers of a stopped write too), then the folder itself."""
        try:
            with os.scandir(folder) as entries:
                names = [entry.name for entry in entries]
        except FileNotFoundError:
            return 0
        for name in names:
            (folder / name).unlink(missing_ok=True)
        with contextlib.suppress(FileNotFoundError):
            folder.rmdir()
        _fsync_folder(str(self._root))
        return sum(1 for name in names if name.endswith(".json") and not name.startswith("."))

    async def read(self, case_id: str, evidence_id: str) -> AsyncIterator[bytes]:
        path = self._folder(case_id) / check_key(evidence_id)
        handle = await _in_thread(open, path, "rb")
        try:
            while chunk := await _in_thread(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()
