"""Local filesystem backend (the embedded default): one instance, no Azure account needed.

Every write goes to a temporary file, is flushed to disk, and is then renamed (documents) or
hard-linked (evidence, which must never be overwritten) into place, and the folder is fsynced (what makes
the rename itself durable), so a crash leaves either the old or the new state and a write that returned
survives a power loss. Compare-and-swap across processes is serialised per key: an fcntl lock on one of
`LOCK_STRIPES` lock files under `.locks/`, chosen by the key's SHA-256 (unrelated keys share one with
probability 1/256, which only means a short wait).

Only the compare-and-swap holds the lock: the new bytes are written to their temporary file and fsynced
before it is taken, and the folder is fsynced after it is released; under the lock the current file is
read for its etag and the temporary file renamed into place. Both fsyncs are kept (file: the renamed file
has its bytes; folder: the rename is on disk). Plain reads take no lock (a rename is atomic).

File work runs in a thread pool of its own (`STORAGE_THREADS`), so storage does not queue behind, or block,
other users of asyncio's default pool (6 threads on 2 cores). Document reads are the exception: a document
is a few KB read from the page cache (open, read, close: ~12 us), while the hop to a thread and back costs
~80 us of CPU (future, queue, wake-ups, the GIL handed over twice) and a turn of the event loop, so `get`
reads in the event loop (measured: 81.9 -> 11.6 us of CPU per `get` of a 3 KB document, all threads).

Folder fsyncs are shared (`storage/folder_sync.py`): writes into one folder at the same time (every
conversation's dialog state is in `state/`) wait for one fsync of the folder that began after their rename
instead of each running its own. Measured (3 KB documents into one folder, 2,000 writes, CPU of all threads):
16 at a time 383-581 -> 327-337 us per write with about half the folder fsyncs (2,000 -> 938-1,007); one at a
time unchanged within the noise (359 / 382 us).

Evidence is buffered up to CHUNK bytes per thread call and listed in one thread call (before: one thread hop
per downloaded piece and one per metadata file); see `LocalEvidenceWriter`. CHUNK is 1 MB, so a 1 MB
screenshot is written at its commit, in one call.

Document writes go to the threads in batches (`storage/write_batches.py`, at most WRITE_THREADS at once):
the writes queued while a batch runs (every turn's dialog state, a new case's ten follow-up jobs from
`storage.ports.create_all`) are written together next, each fsynced and renamed under its key's lock, then one fsync per
folder for the batch. Thread hand-overs, not the fsyncs, are what a busy bot pays for: in diagnostic
`benchmarks/load.py` runs at 50 users, leaving out every fsync (one thread call per write, as then) was no
faster, while writing in the event loop without fsyncs was 30 % faster. Measured (`benchmarks/load.py`,
50 users, the variants run in turn, five and two rounds; bot CPU ms per turn, the steadier figure on this
shared machine): one thread call per write 2.44-3.84 (median 3.17); batches with one writing thread
2.06-2.59, two 2.22-2.40, four 2.29-3.46. Two it is: about the CPU of one, with two batches' fsyncs in
flight. The whole benchmark right after: 475 / 632 turns/s at 50 / 200 users (3.80x / 4.98x the stock
echo; see benchmarks/README.md).

Measured: before, every document write in the process waited for one `.lock` while the previous write
fsynced its file and its folder, and the waiting writes held threads of the default pool (6 on 2 cores)
that reads and the evidence download also needed. CPU per write is the same (~420-450 us, nearly all of it
the kernel's fsyncs and rename); what changes is the waiting. `benchmarks/load.py`, interleaved A/B on a
shared machine (turns/s at 50 / 200 users, one round each): 213 / 196 before this step, 240 / 219 after;
in a second, noisier round 119 / 212 and 103 / 171, so within the noise at these rates (the disk here fsyncs
in ~0.2 ms). The per-key lock matters where the fsync is slow or the counter is hot.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from domain.evidence import EvidenceItem
from storage.folder_sync import FolderSync
from storage.ports import Document, PreconditionFailed, check_key
from storage.write_batches import WriteBatches

CHUNK = 1024 * 1024  # a typical screenshot in one thread call at its commit (256 KB: four calls more)
LOCK_STRIPES = 256
STORAGE_THREADS = 16
WRITE_THREADS = 2  # threads writing document batches at once (of STORAGE_THREADS)
T = TypeVar("T")

_executor = ThreadPoolExecutor(max_workers=STORAGE_THREADS, thread_name_prefix="vaern-storage")
_folder_sync = FolderSync()  # one per process: writers into the same folder share its fsyncs


async def _in_thread(function: Callable[..., T], *args: object) -> T:
    """Run blocking file work in the storage thread pool."""
    return await asyncio.get_running_loop().run_in_executor(_executor, function, *args)


def lock_stripe(key: str) -> int:
    """Which of the LOCK_STRIPES lock files guards a key (the same in every process)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % LOCK_STRIPES


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _write_temporary(folder: str, name: str, data: bytes) -> str:
    """`data` in a new hidden file beside `name`, on disk (fsynced); returns its path. Plain descriptors: this
    runs for every document and evidence-metadata write, in a storage thread that takes the GIL for each
    Python step."""
    temporary = f"{folder}/.tmp-{os.urandom(16).hex()}-{name}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return temporary


def _read_file(path: str) -> bytes | None:
    try:
        with open(path, "rb", buffering=0) as handle:
            return handle.readall()
    except FileNotFoundError:
        return None


class _StripeLocks:
    """The LOCK_STRIPES lock files, each opened once per process and held with a thread lock and an fcntl lock:
    the thread lock orders this process's threads (fcntl locks on one open file do not exclude each other), the
    fcntl lock other processes. A forked child starts afresh (its own files and thread locks), so it never
    shares its parent's locks."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._start()

    def _start(self) -> None:
        self._pid = os.getpid()
        self._thread_locks = [threading.Lock() for _ in range(LOCK_STRIPES)]
        self._descriptors: dict[int, int] = {}

    def _descriptor(self, stripe: int) -> int:
        descriptor = self._descriptors.get(stripe)
        if descriptor is None:
            path = self._folder / f"{stripe:03d}"
            descriptor = self._descriptors[stripe] = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        return descriptor

    @contextmanager
    def held(self, key: str) -> Iterator[None]:
        if self._pid != os.getpid():
            self._start()
        stripe = lock_stripe(key)
        with self._thread_locks[stripe]:
            descriptor = self._descriptor(stripe)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)


@dataclass(frozen=True)
class _Write:
    key: str
    path: str
    data: bytes
    if_match: str | None
    create_only: bool

    @property
    def folder(self) -> str:
        return self.path.rsplit("/", 1)[0]


class LocalDocumentStore:
    """JSON documents as files under a root folder; etag = hash of the bytes."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._root_name = str(root)
        locks = root / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        self._locks = _StripeLocks(locks)
        self._writes = WriteBatches(_executor, self._write_batch, max_threads=WRITE_THREADS)

    def _path(self, key: str) -> str:
        return f"{self._root_name}/{check_key(key)}"

    async def get(self, key: str) -> Document | None:
        return self._get(self._path(key))  # in the event loop: see the module docstring

    @staticmethod
    def _get(path: str) -> Document | None:
        data = _read_file(path)
        return None if data is None else Document(data=data, etag=_etag(data))

    async def put(self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False) -> str:
        return await self._writes.submit(_Write(key, self._path(key), data, if_match, create_only))

    def _write_batch(self, writes: list[_Write]) -> list[str | BaseException]:
        """In a storage thread: each document's bytes fsynced and renamed into place if its condition holds,
        then one fsync per folder for all of them (a failed folder fsync fails every write into it)."""
        results: list[str | BaseException] = []
        for write in writes:
            try:
                self._swap_in(write, self._write_beside(write.path, write.data))
                results.append(_etag(write.data))
            except Exception as error:
                results.append(error)
        written = [index for index, result in enumerate(results) if isinstance(result, str)]
        for folder in sorted({writes[index].folder for index in written}):
            try:
                _folder_sync.sync(folder)
            except OSError as error:
                for index in written:
                    if writes[index].folder == folder:
                        results[index] = error
        return results

    @staticmethod
    def _write_beside(path: str, data: bytes) -> str:
        """The bytes in a temporary file in the document's folder, on disk; returns its path."""
        folder, name = path.rsplit("/", 1)
        try:
            return _write_temporary(folder, name, data)
        except FileNotFoundError:  # the folder's first document
            os.makedirs(folder, exist_ok=True)
            return _write_temporary(folder, name, data)

    def _swap_in(self, write: _Write, temporary: str) -> None:
        """Rename the temporary file into place if the condition holds (under the key's lock); else remove it."""
        try:
            with self._locks.held(write.key):
                if write.create_only or write.if_match is not None:
                    current = self._get(write.path)
                    if write.create_only and current is not None:
                        raise PreconditionFailed(write.key)
                    if write.if_match is not None and (current is None or current.etag != write.if_match):
                        raise PreconditionFailed(write.key)
                os.replace(temporary, write.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    async def delete(self, key: str) -> None:
        await _in_thread(Path(self._path(key)).unlink, True)

    async def list_keys(self, prefix: str) -> list[str]:
        folder = Path(self._path(prefix.rstrip("/")))
        return await _in_thread(self._list, folder)

    def _list(self, folder: Path) -> list[str]:
        if not folder.is_dir():
            return []
        return sorted(
            str(path.relative_to(self._root))
            for path in folder.rglob("*")
            if path.is_file() and not path.name.startswith(".")
        )


class LocalEvidenceWriter:
    """Streams into a hidden temporary file; commit hard-links it into place (fails if it exists).

    Chunks are gathered in memory up to CHUNK bytes and written from the thread pool in one call (a download
    arrives in pieces of a few KB to 256 KB; one thread hop per piece was most of a screenshot turn's hops).
    """

    def __init__(self, folder: Path, evidence_id: str) -> None:
        self._folder = folder
        self._evidence_id = check_key(evidence_id)
        self._temporary = folder / f".tmp-{uuid.uuid4().hex}"
        self._handle: BinaryIO | None = None
        self._buffer = bytearray()

    async def write(self, chunk: bytes) -> None:
        self._buffer += chunk
        if len(self._buffer) >= CHUNK:
            pending, self._buffer = self._buffer, bytearray()
            await _in_thread(self._append, pending)

    def _append(self, data: bytes | bytearray) -> None:
        if self._handle is None:
            self._folder.mkdir(parents=True, exist_ok=True)
            self._handle = open(self._temporary, "wb")  # noqa: SIM115 - closed by commit or abort
        self._handle.write(data)

    async def commit(self, item: EvidenceItem) -> None:
        await _in_thread(self._commit, item)

    def _commit(self, item: EvidenceItem) -> None:
        if self._buffer:
            pending, self._buffer = self._buffer, bytearray()
            self._append(pending)
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
        temporary_metadata = _write_temporary(str(self._folder), metadata.name, item.model_dump_json().encode())
        try:
            os.link(temporary_metadata, metadata)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary_metadata)
        _folder_sync.sync(str(self._folder))

    async def abort(self) -> None:
        self._buffer = bytearray()
        if self._handle is not None:
            await _in_thread(self._handle.close)
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
            raw = await _in_thread(path.read_bytes)
        except FileNotFoundError:
            return None
        return EvidenceItem.model_validate_json(raw)

    async def list_items(self, case_id: str) -> list[EvidenceItem]:
        raw = await _in_thread(self._read_metadata, self._folder(case_id))  # one thread hop, not one per item
        items = [EvidenceItem.model_validate_json(data) for data in raw]
        return sorted(items, key=lambda item: item.received_at)

    @staticmethod
    def _read_metadata(folder: Path) -> list[bytes]:
        """The committed metadata files. pathlib's glob also matches hidden names, so the `.tmp-…json` a crash
        can leave behind in a commit (empty, or a duplicate of the linked file) is skipped explicitly."""
        if not folder.is_dir():
            return []
        return [path.read_bytes() for path in sorted(folder.glob("*.json")) if not path.name.startswith(".")]

    async def read(self, case_id: str, evidence_id: str) -> AsyncIterator[bytes]:
        path = self._folder(case_id) / check_key(evidence_id)
        handle = await _in_thread(open, path, "rb")
        try:
            while chunk := await _in_thread(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()
