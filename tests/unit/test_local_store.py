"""The local document store's locking: per key (striped lock files), held only for the compare-and-swap."""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path
from typing import Any

import pytest

from storage.local import LocalDocumentStore, lock_stripe
from storage.ports import PreconditionFailed


def key_on_another_stripe(key: str) -> str:
    return next(
        other for number in range(1000) if lock_stripe(other := f"cases/other-{number}.json") != lock_stripe(key)
    )


@pytest.fixture
def store(tmp_path: Path) -> LocalDocumentStore:
    return LocalDocumentStore(tmp_path / "documents")


async def test_a_write_waits_only_for_the_lock_of_its_own_key(tmp_path: Path) -> None:
    root = tmp_path / "documents"
    store = LocalDocumentStore(root)
    key = "cases/a.json"
    other = key_on_another_stripe(key)
    with open(root / ".locks" / f"{lock_stripe(key):03d}", "a+") as held:  # as another process holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            await asyncio.wait_for(store.put(other, b"other"), timeout=5)
            blocked = asyncio.ensure_future(store.put(key, b"mine"))
            done, _ = await asyncio.wait({blocked}, timeout=0.3)
            assert not done, "a write to the locked key must wait"
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
    etag = await asyncio.wait_for(blocked, timeout=5)

    document = await store.get(key)
    assert document is not None and (document.data, document.etag) == (b"mine", etag)


async def test_concurrent_compare_and_swaps_on_one_key_have_exactly_one_winner(store: LocalDocumentStore) -> None:
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


async def test_concurrent_creates_of_one_key_have_exactly_one_winner(store: LocalDocumentStore) -> None:
    results = await asyncio.gather(
        *(store.put("cases/new.json", str(number).encode(), create_only=True) for number in range(10)),
        return_exceptions=True,
    )

    assert sum(isinstance(result, str) for result in results) == 1


async def test_a_refused_write_leaves_no_temporary_file_and_the_old_bytes(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    await store.put("cases/a.json", b"first")

    with pytest.raises(PreconditionFailed):
        await store.put("cases/a.json", b"second", if_match="stale")
    with pytest.raises(PreconditionFailed):
        await store.put("cases/a.json", b"third", create_only=True)

    assert sorted(path.name for path in (tmp_path / "documents" / "cases").iterdir()) == ["a.json"]
    document = await store.get("cases/a.json")
    assert document is not None and document.data == b"first"


async def test_lock_files_are_not_listed_as_documents(store: LocalDocumentStore) -> None:
    await store.put("cases/a.json", b"{}")
    await store.put("cases/b.json", b"{}", create_only=True)

    assert await store.list_keys("cases/") == ["cases/a.json", "cases/b.json"]


async def test_evidence_is_written_in_few_thread_calls_and_listed_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from domain.evidence import EvidenceItem, EvidenceSource
    from storage import local

    calls: list[str] = []
    real = local._in_thread

    async def counting(function: Any, *args: Any) -> Any:
        calls.append(getattr(function, "__name__", repr(function)))
        return await real(function, *args)

    monkeypatch.setattr(local, "_in_thread", counting)
    evidence = local.LocalEvidenceStore(tmp_path / "evidence")
    data = bytes(range(256)) * 4096  # 1 MiB
    for number in range(2):
        writer = evidence.open_writer("case-1", f"e{number}")
        for start in range(0, len(data), 4096):
            await writer.write(data[start : start + 4096])
        await writer.commit(
            EvidenceItem(
                evidence_id=f"e{number}",
                case_id="case-1",
                sha256="0" * 64,
                size=len(data),
                content_type="image/png",
                original_name="shot.png",
                received_at=datetime(2026, 11, 25, 10, number, tzinfo=UTC),
                uploaded_by="29:anne",
                source=EvidenceSource.TEAMS_FILE,
            )
        )
    assert len(calls) <= 2 * (len(data) // local.CHUNK + 1), "one thread call per CHUNK, not per 4 KiB piece"

    calls.clear()
    items = await evidence.list_items("case-1")
    assert [item.evidence_id for item in items] == ["e0", "e1"] and len(calls) == 1
    assert b"".join([chunk async for chunk in evidence.read("case-1", "e1")]) == data


async def test_a_forked_child_opens_its_own_lock_files_so_its_lock_excludes_the_parent(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path / "documents")
    await store.put("cases/a.json", b"parent")  # the parent has its lock files open now
    ready, release = os.pipe(), os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        try:
            with store._locks.held("cases/a.json"):
                os.write(ready[1], b"x")
                os.read(release[0], 1)
        finally:
            os._exit(0)
    try:
        assert os.read(ready[0], 1) == b"x"
        blocked = asyncio.ensure_future(store.put("cases/a.json", b"mine"))
        done, _ = await asyncio.wait({blocked}, timeout=0.3)
        assert not done, "the child's lock must hold the parent's write back"
    finally:
        os.write(release[1], b"x")
        os.waitpid(child, 0)
    await asyncio.wait_for(blocked, timeout=5)
    document = await store.get("cases/a.json")
    assert document is not None and document.data == b"mine"
