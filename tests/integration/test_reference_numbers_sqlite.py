"""Case reference numbers on the local store shared by several bot processes (`storage.cases.ReferenceCounter`):
a number another process took first is not handed out here, and every number goes out once. Real SQLite;
"another process" is a second store on the same database file, or a plain connection to it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable
from pathlib import Path

from storage.cases import ReferenceCounter
from storage.ports import Document
from storage.sqlite_documents import SqliteDocumentStore

COUNTER = "counters/case-reference-2026"


class ReadTold:
    """The store, telling when the counter has been read (the compare-and-swap is queued right after)."""

    def __init__(self, inner: SqliteDocumentStore) -> None:
        self.inner, self.read = inner, asyncio.Event()

    async def get(self, key: str) -> Document | None:
        document = await self.inner.get(key)
        self.read.set()
        return document

    def put(self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False) -> Awaitable[str]:
        return self.inner.put(key, data, if_match=if_match, create_only=create_only)

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    async def list_keys(self, prefix: str) -> list[str]:
        return await self.inner.list_keys(prefix)


async def test_numbers_another_process_took_between_our_read_and_our_write_are_not_handed_out(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite3"
    store = ReadTold(SqliteDocumentStore(path))
    ours = ReferenceCounter(store)
    another_process = sqlite3.connect(path, isolation_level=None)
    another_process.execute("BEGIN IMMEDIATE")  # it holds the write lock: our write waits for it

    reports = [asyncio.ensure_future(ours.next_reference(2026)) for _ in range(3)]
    await store.read.wait()  # one batch for the three: the counter read (nothing yet), its write queued
    another_process.execute("INSERT INTO documents (key, data, etag) VALUES (?, ?, ?)", (COUNTER, b"1", "theirs"))
    another_process.execute("COMMIT")  # it took 0001 first

    # Our create-only write fails; the batch reads the counter again and takes 0002-0004.
    assert sorted(await asyncio.gather(*reports)) == ["VK-2026-0002", "VK-2026-0003", "VK-2026-0004"]
    stored = await store.get(COUNTER)
    assert stored is not None and stored.data == b"4"
    another_process.close()
    await store.inner.close()


async def test_the_counter_is_read_again_for_every_batch(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite3"
    ours, theirs = ReferenceCounter(SqliteDocumentStore(path)), ReferenceCounter(SqliteDocumentStore(path))

    assert await ours.next_reference(2026) == "VK-2026-0001"
    assert await theirs.next_reference(2026) == "VK-2026-0002"
    assert await ours.next_reference(2026) == "VK-2026-0003", "not 0002 from its own memory"


async def test_many_reports_of_two_processes_at_once_get_every_number_once(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite3"
    ours, theirs = ReferenceCounter(SqliteDocumentStore(path)), ReferenceCounter(SqliteDocumentStore(path))

    references = await asyncio.gather(*(counter.next_reference(2026) for counter in [ours, theirs] * 30))

    assert sorted(references) == [f"VK-2026-{number:04d}" for number in range(1, 61)]
