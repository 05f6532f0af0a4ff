"""Case reference numbers on the local store, which keeps the order of writes (`storage.cases._QueuedNumbers`):
each number's counter write is queued at once behind the one before, and a number another bot process took
first is taken again. Real SQLite; "another process" is a second counter on the same database file, or
a plain connection to it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from storage.cases import ReferenceCounter
from storage.sqlite_documents import SqliteDocumentStore
from tests.support.references import next_reference

COUNTER = "counters/case-reference-2026"


async def test_a_number_is_handed_out_while_the_write_of_the_one_before_is_still_queued(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "documents.sqlite3")
    counter = ReferenceCounter(store)

    first = await counter.reserve(2026)
    second = await counter.reserve(2026)

    assert not first.counted.done(), "the second number did not wait for the first one's commit"  # type: ignore[attr-defined]
    assert (first.reference, second.reference) == ("VK-2026-0001", "VK-2026-0002")
    await asyncio.gather(first.counted, second.counted)
    stored = await store.get(COUNTER)
    assert stored is not None and stored.data == b"2"


async def test_numbers_queued_behind_one_another_process_took_are_kept_and_the_lost_one_is_taken_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "documents.sqlite3"
    ours = ReferenceCounter(SqliteDocumentStore(path))
    another_process = sqlite3.connect(path, isolation_level=None)
    another_process.execute("BEGIN IMMEDIATE")  # it holds the write lock: our writes wait for it

    reports = [asyncio.ensure_future(next_reference(ours)) for _ in range(3)]
    await asyncio.sleep(0)  # each has read the counter (nothing yet) or followed the one before: 0001-0003 queued
    another_process.execute(
        "INSERT INTO documents (key, data, etag) VALUES (?, ?, ?)", (COUNTER, b"1", SqliteDocumentStore.etag_of(b"1"))
    )
    another_process.execute("COMMIT")  # it took 0001 first

    # Our 0001 fails (the counter exists); 0002 and 0003 expected the counter to hold 1 and then 2, which it does:
    # they are kept. The report that lost 0001 reads the counter again and takes 0004.
    assert sorted(await asyncio.gather(*reports)) == ["VK-2026-0002", "VK-2026-0003", "VK-2026-0004"]
    stored = await SqliteDocumentStore(path).get(COUNTER)
    assert stored is not None and stored.data == b"4"
    another_process.close()


async def test_the_counter_is_read_again_once_our_writes_have_ended(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite3"
    ours, theirs = ReferenceCounter(SqliteDocumentStore(path)), ReferenceCounter(SqliteDocumentStore(path))

    assert await next_reference(ours) == "VK-2026-0001"
    assert await next_reference(theirs) == "VK-2026-0002"
    assert await next_reference(ours) == "VK-2026-0003", "not 0002 from its own memory"


async def test_many_reports_of_two_processes_at_once_get_every_number_once(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite3"
    ours, theirs = ReferenceCounter(SqliteDocumentStore(path)), ReferenceCounter(SqliteDocumentStore(path))

    references = await asyncio.gather(*(next_reference(counter) for counter in [ours, theirs] * 30))

    assert sorted(references) == [f"VK-2026-{number:04d}" for number in range(1, 61)]
