"""The local backend's documents in one SQLite database (`documents.sqlite3` beside the evidence folder).

SQLite is Python's own embedded database: a write-ahead log (WAL) with `synchronous=FULL` makes every commit
durable (the log is fsynced before `COMMIT` returns), a crash leaves either the old or the new state, and its
file locks serialise writers across processes (gunicorn workers sharing a data folder). Etags are the SHA-256
of the bytes.

Writes go to one storage thread in batches (`storage/write_batches.py`): every write queued while a batch commits
goes into the next transaction, each with its own condition checked inside it, so a busy bot pays one log fsync per
batch instead of one per write. `put` queues the write when it is called and returns its future, so writes asked
for together (a case's follow-up jobs) share a batch without a task each. A batch whose transaction fails fails
its own writes only. Reads run in the event loop: a lookup by primary key in the page cache costs less than the
hop to a thread, and WAL readers never wait for the writer. Listing has a second thread, so it never waits behind
the batches.

The database is created 0600 in a 0700 folder before SQLite opens it, and SQLite makes its -wal and -shm with
the database's mode (storage/private_files.py).

Documents written by earlier versions as one JSON file each under `documents/` are imported once, at the first
open (`imports` records that), and the folder is left as it was.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from storage.ports import Document, PreconditionFailed, check_key
from storage.private_files import make_private_folder, touch_private
from storage.write_batches import WriteBatches

BUSY_TIMEOUT_MS = 30_000  # another process's write transaction: wait, do not fail
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS documents (key TEXT PRIMARY KEY, data BLOB NOT NULL, etag TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS imports (folder TEXT PRIMARY KEY)",
)
_UPSERT = (
    "INSERT INTO documents (key, data, etag) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET data = excluded.data, etag = excluded.etag"
)
_CREATE = "INSERT INTO documents (key, data, etag) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING"
_REPLACE = "UPDATE documents SET data = ?, etag = ? WHERE key = ? AND etag = ?"


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


@dataclass(eq=False)
class _Write:
    key: str
    data: bytes | None  # None: delete
    etag: str = ""  # of `data`
    if_match: str | None = None
    create_only: bool = False


class _Connections(threading.local):
    """One connection per thread and process (a forked child opens its own)."""

    pid: int = -1
    connection: sqlite3.Connection | None = None


class SqliteDocumentStore:
    """The `DocumentStore` port on one SQLite file (see the module docstring)."""

    def __init__(self, path: Path, *, legacy_folder: Path | None = None) -> None:
        self._path = path
        make_private_folder(path.parent)
        touch_private(path)  # 0600 before SQLite opens it: SQLite gives its -wal and -shm the database's mode
        self._connections = _Connections()
        self._opened: list[tuple[int, sqlite3.Connection]] = []  # (process, connection)
        self._opened_lock = threading.Lock()
        # Two threads: the write batches (one at a time: SQLite has one writer) keep theirs while writes keep
        # coming, so listing has a thread of its own rather than waiting for a quiet moment.
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vaern-documents")
        self._writes = WriteBatches(self._executor, self._write_batch, max_threads=1)
        with self._transaction() as connection:
            for statement in _SCHEMA:
                connection.execute(statement)
        if legacy_folder is not None:
            self._import_files(legacy_folder)

    # ---- connections ----

    def _connection(self) -> sqlite3.Connection:
        local = self._connections
        if local.connection is None or local.pid != os.getpid():
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            local.connection, local.pid = connection, os.getpid()
            with self._opened_lock:
                self._opened.append((os.getpid(), connection))
        return local.connection

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection())

    # ---- the port ----

    async def get(self, key: str) -> Document | None:
        row = self._connection().execute("SELECT data, etag FROM documents WHERE key = ?", (check_key(key),)).fetchone()
        return None if row is None else Document(data=bytes(row[0]), etag=row[1])

    def put(
        self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False
    ) -> asyncio.Future[str]:
        """Queued at once (see `DocumentStore.put`): the future of the new etag."""
        data = bytes(data)
        written = self._writes.submit(_Write(check_key(key), data, _etag(data), if_match, create_only))
        return cast("asyncio.Future[str]", written)  # a write's result is its etag (only a delete's is None)

    async def delete(self, key: str) -> None:
        await self._writes.submit(_Write(check_key(key), None))

    async def list_keys(self, prefix: str) -> list[str]:
        folder = prefix.strip("/")
        if not folder:
            query, arguments = "SELECT key FROM documents ORDER BY key", ()
        else:
            check_key(folder)
            query = "SELECT key FROM documents WHERE key > ? AND key < ? ORDER BY key"
            arguments = (f"{folder}/", f"{folder}0")  # "0" follows "/": every key under the folder, nothing else
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._keys, query, arguments)

    def _keys(self, query: str, arguments: tuple[str, ...]) -> list[str]:
        return [row[0] for row in self._connection().execute(query, arguments)]

    # ---- in the storage thread ----

    def _write_batch(self, writes: list[_Write]) -> list[str | BaseException | None]:
        """One transaction: each write's condition checked and applied in order. If the transaction fails, the
        error is raised: none of the batch is stored, and `WriteBatches` fails every write of it."""
        with self._transaction() as connection:
            return [self._apply(connection, write) for write in writes]

    @staticmethod
    def _apply(connection: sqlite3.Connection, write: _Write) -> str | BaseException | None:
        """One statement per write, with its condition in the statement."""
        if write.data is None:
            connection.execute("DELETE FROM documents WHERE key = ?", (write.key,))
            return None
        etag = write.etag
        if write.create_only and write.if_match is not None:
            return PreconditionFailed(write.key)  # must be absent and match an etag: never both
        if write.create_only:
            changed = connection.execute(_CREATE, (write.key, write.data, etag)).rowcount
        elif write.if_match is not None:
            changed = connection.execute(_REPLACE, (write.data, etag, write.key, write.if_match)).rowcount
        else:
            changed = connection.execute(_UPSERT, (write.key, write.data, etag)).rowcount
        return etag if changed == 1 else PreconditionFailed(write.key)

    def _import_files(self, folder: Path) -> None:
        """The JSON files of the file-per-document layout, once (keys as their paths under the folder). The import
        is recorded by the folder's name, not its path: a data folder moved elsewhere later must not bring back
        what was deleted since (a delivered notification, a finished job)."""
        name = folder.name
        connection = self._connection()
        if connection.execute("SELECT 1 FROM imports WHERE folder = ?", (name,)).fetchone() is not None:
            return
        with self._transaction() as connection:
            if connection.execute("SELECT 1 FROM imports WHERE folder = ?", (name,)).fetchone() is not None:
                return  # another process imported it meanwhile
            if folder.is_dir():
                for path in sorted(folder.rglob("*")):
                    relative = path.relative_to(folder)
                    if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                        data = path.read_bytes()
                        connection.execute(
                            "INSERT OR IGNORE INTO documents (key, data, etag) VALUES (?, ?, ?)",
                            (relative.as_posix(), data, _etag(data)),
                        )
            connection.execute("INSERT INTO imports (folder) VALUES (?)", (name,))

    async def close(self) -> None:
        """Wait for the writes under way, then close the connections this process opened (never a parent's)."""
        self._executor.shutdown(wait=True)
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for pid, connection in opened:
            if pid == os.getpid():
                connection.close()
        self._connections = _Connections()


class _Transaction:
    """`with`: BEGIN IMMEDIATE (the write lock, waiting up to the busy timeout) ... COMMIT, or ROLLBACK on error."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self._connection.execute("BEGIN IMMEDIATE")
        return self._connection

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                self._connection.execute("COMMIT")
        finally:
            if self._connection.in_transaction:  # an error before or in COMMIT
                self._connection.execute("ROLLBACK")
