"""The local document store (SQLite): conditions inside one transaction, writes asked for together in one batch,
other processes' writers, durability settings, a forked child, and the one-time import of the file-per-document
layout."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.ports import PreconditionFailed
from storage.sqlite_documents import SqliteDocumentStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteDocumentStore]:
    opened = SqliteDocumentStore(tmp_path / "documents.sqlite3")
    yield opened
    await opened.close()


def fail_applying(store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch, key: str, error: str) -> None:
    """Writing `key` fails the whole transaction it is in, as a full or failing disk would."""
    real = store._apply

    def failing(connection: sqlite3.Connection, write: object) -> object:
        if getattr(write, "key", "") == key:
            raise sqlite3.OperationalError(error)
        return real(connection, write)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_apply", failing)


async def test_every_connection_logs_ahead_and_fsyncs_each_commit(store: SqliteDocumentStore) -> None:
    await store.put("cases/a.json", b"{}")
    connection = store._connection()

    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


async def test_a_write_waits_for_another_processs_transaction_while_reads_go_on(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite3"
    store = SqliteDocumentStore(path)
    await store.put("cases/a.json", b"before")
    other = sqlite3.connect(path, isolation_level=None)  # as another worker process would hold it
    other.execute("BEGIN IMMEDIATE")
    try:
        blocked = asyncio.ensure_future(store.put("cases/a.json", b"mine"))
        done, _ = await asyncio.wait({blocked}, timeout=0.3)
        assert not done, "a write must wait for the other writer's transaction"
        document = await store.get("cases/a.json")
        assert document is not None and document.data == b"before", "readers do not wait for writers"
    finally:
        other.execute("COMMIT")
        other.close()
    etag = await asyncio.wait_for(blocked, timeout=5)

    document = await store.get("cases/a.json")
    assert document is not None and (document.data, document.etag) == (b"mine", etag)
    await store.close()


async def test_concurrent_compare_and_swaps_on_one_key_have_exactly_one_winner(store: SqliteDocumentStore) -> None:
    etag = await store.put("counters/c.json", b"0")

    results = await asyncio.gather(
        *(store.put("counters/c.json", str(number).encode(), if_match=etag) for number in range(1, 21)),
        return_exceptions=True,
    )

    winners = [result for result in results if isinstance(result, str)]
    assert len(winners) == 1
    assert all(isinstance(result, PreconditionFailed) for result in results if not isinstance(result, str))
    document = await store.get("counters/c.json")
    assert document is not None and document.etag == winners[0]


async def test_concurrent_creates_of_one_key_have_exactly_one_winner(store: SqliteDocumentStore) -> None:
    results = await asyncio.gather(
        *(store.put("cases/new.json", str(number).encode(), create_only=True) for number in range(10)),
        return_exceptions=True,
    )

    assert sum(isinstance(result, str) for result in results) == 1


async def test_a_refused_write_in_a_batch_leaves_its_old_bytes_and_the_others_written(
    store: SqliteDocumentStore,
) -> None:
    await store.put("cases/a.json", b"first")

    results = await asyncio.gather(
        store.put("cases/a.json", b"second", if_match="stale"),
        store.put("cases/a.json", b"third", create_only=True),
        store.put("cases/b.json", b"b"),
        store.put("cases/c.json", b"c", create_only=True),
        return_exceptions=True,
    )

    assert [type(result) for result in results] == [PreconditionFailed, PreconditionFailed, str, str]
    stored = {key: await store.get(key) for key in ("cases/a.json", "cases/b.json", "cases/c.json")}
    assert {key: document.data for key, document in stored.items() if document} == {
        "cases/a.json": b"first",
        "cases/b.json": b"b",
        "cases/c.json": b"c",
    }


async def test_a_failed_commit_fails_every_write_of_its_batch_and_stores_none(
    store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_applying(store, monkeypatch, "cases/bad.json", "disk I/O error")
    with pytest.raises(sqlite3.OperationalError):  # WriteBatches then fails every write of the batch with it
        store._write_batch([_write("cases/good.json", b"good"), _write("cases/bad.json", b"bad")])

    assert await store.get("cases/good.json") is None and await store.get("cases/bad.json") is None


async def test_keys_are_listed_per_folder_in_order(store: SqliteDocumentStore) -> None:
    for key in ("cases/b.json", "cases/a.json", "cases/x/deep.json", "cases-old/c.json", "casesx.json", "jobs/j"):
        await store.put(key, b"{}")

    assert await store.list_keys("cases/") == ["cases/a.json", "cases/b.json", "cases/x/deep.json"]
    assert await store.list_keys("cases") == ["cases/a.json", "cases/b.json", "cases/x/deep.json"]
    assert await store.list_keys("nothing/") == []
    assert len(await store.list_keys("")) == 6


async def test_a_deleted_document_is_gone_and_deleting_twice_is_fine(store: SqliteDocumentStore) -> None:
    await store.put("outbox/a.json", b"{}")

    await store.delete("outbox/a.json")
    await store.delete("outbox/a.json")

    assert await store.get("outbox/a.json") is None and await store.list_keys("outbox/") == []


async def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "documents.sqlite3")
    await store.put("cases/a.json", b"parent")  # the parent's connection is open now
    parent_connection = store._connection()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        status = 1
        try:
            if store._connection() is not parent_connection:
                document = store._connection().execute("SELECT data FROM documents").fetchone()
                [result] = store._write_batch([_write("cases/child.json", b"child")])
                status = 0 if document == (b"parent",) and isinstance(result, str) else 2
        finally:
            os._exit(status)
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    document = await store.get("cases/child.json")
    assert document is not None and document.data == b"child"
    await store.close()


async def test_files_of_the_earlier_layout_are_imported_once(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    (folder / "cases").mkdir(parents=True)
    (folder / "cases" / "a.json").write_bytes(b'{"case": "a"}')
    (folder / "counters").mkdir()
    (folder / "counters" / "case-reference-2026").write_bytes(b"7")
    (folder / "cases" / ".tmp-0a1b-b.json").write_bytes(b"")  # a write the crash cut short
    (folder / ".locks").mkdir()
    (folder / ".locks" / "001").write_bytes(b"")

    store = SqliteDocumentStore(tmp_path / "documents.sqlite3", legacy_folder=folder)
    assert await store.list_keys("") == ["cases/a.json", "counters/case-reference-2026"]
    imported = await store.get("cases/a.json")
    assert imported is not None and imported.data == b'{"case": "a"}'
    await store.put("cases/a.json", b'{"case": "a", "changed": true}', if_match=imported.etag)
    await store.close()

    reopened = SqliteDocumentStore(tmp_path / "documents.sqlite3", legacy_folder=folder)
    document = await reopened.get("cases/a.json")
    assert document is not None and document.data == b'{"case": "a", "changed": true}', "imported only once"
    assert (folder / "cases" / "a.json").read_bytes() == b'{"case": "a"}', "the old folder is left as it was"
    await reopened.close()


def _write(key: str, data: bytes) -> object:
    from storage.sqlite_documents import _etag, _Write

    return _Write(key, data, _etag(data))


async def test_a_commit_that_fails_is_rolled_back_so_the_next_batch_starts_clean(
    store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_connection = store._connection()

    class CommitFails:
        """The store's connection, except that one COMMIT fails as a full disk would make it."""

        in_transaction = property(lambda self: real_connection.in_transaction)

        def execute(self, statement: str, *arguments: object) -> sqlite3.Cursor:
            if statement == "COMMIT":
                monkeypatch.setattr(store, "_connection", lambda: real_connection)
                raise sqlite3.OperationalError("database or disk is full")
            return real_connection.execute(statement, *arguments)

    monkeypatch.setattr(store, "_connection", lambda: CommitFails())
    with pytest.raises(sqlite3.OperationalError):
        store._write_batch([_write("cases/a.json", b"lost")])

    assert not real_connection.in_transaction
    assert await store.get("cases/a.json") is None
    assert isinstance(await store.put("cases/a.json", b"kept"), str)
    document = await store.get("cases/a.json")
    assert document is not None and document.data == b"kept"


async def test_listing_is_not_held_up_by_a_steady_stream_of_writes(store: SqliteDocumentStore) -> None:
    """The write batches keep their thread while writes keep coming; listing (the outbox and follow-up workers)
    must not wait for a quiet moment that a busy bot never has."""
    await store.put("outbox/a.json", b"{}")
    writes: list[asyncio.Future[str]] = []
    writing = True

    async def stream_of_writes() -> None:  # as many turns at once would: new writes while a batch commits
        while writing:
            writes.append(asyncio.ensure_future(store.put(f"state/{len(writes) % 50}.json", b"{}")))
            await asyncio.sleep(0)

    producer = asyncio.ensure_future(stream_of_writes())
    await asyncio.sleep(0.1)  # the batches are under way
    try:
        keys = await asyncio.wait_for(store.list_keys("outbox/"), timeout=2)
    finally:
        writing = False
        await producer
        await asyncio.gather(*writes)

    assert keys == ["outbox/a.json"]
    assert len(writes) > 100, "the writes went on meanwhile"


async def test_a_case_s_follow_up_jobs_go_into_one_batch(store: SqliteDocumentStore) -> None:
    await store.put("jobs/existing.json", b"queued before")
    batches_before = store._writes.batches

    jobs = {f"jobs/{number}.json": b"{}" for number in range(10)}

    asked = jobs | {"jobs/existing.json": b"again"}
    writes = {key: store.put(key, data, create_only=True) for key, data in asked.items()}
    results = dict(zip(writes, await asyncio.gather(*writes.values(), return_exceptions=True), strict=True))

    assert sorted(key for key, result in results.items() if isinstance(result, str)) == sorted(jobs)
    assert isinstance(results["jobs/existing.json"], PreconditionFailed)
    assert store._writes.batches == batches_before + 1, "one transaction, one log fsync for all of them"
    document = await store.get("jobs/existing.json")
    assert document is not None and document.data == b"queued before"


async def test_a_moved_data_folder_does_not_bring_back_what_was_deleted_since_the_import(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "documents" / "outbox").mkdir(parents=True)
    (data / "documents" / "outbox" / "n1.json").write_bytes(b"{}")
    store = SqliteDocumentStore(data / "documents.sqlite3", legacy_folder=data / "documents")
    await store.delete("outbox/n1.json")  # delivered
    await store.close()

    moved = tmp_path / "elsewhere"
    data.rename(moved)
    reopened = SqliteDocumentStore(moved / "documents.sqlite3", legacy_folder=moved / "documents")

    assert await reopened.list_keys("outbox/") == []
    await reopened.close()
