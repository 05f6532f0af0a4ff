"""The local evidence store's thread calls: a download's pieces are written in few calls, a full buffer behind the
download (so the turn waits for the commit alone); a case is listed in the event loop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def item_of(data: bytes, evidence_id: str, minute: int = 0) -> Any:
    """The metadata committed with `data` (its hash is not checked here)."""
    from datetime import UTC, datetime

    from domain.evidence import EvidenceItem, EvidenceSource

    return EvidenceItem(
        evidence_id=evidence_id,
        case_id="case-1",
        sha256="0" * 64,
        size=len(data),
        content_type="image/png",
        original_name="shot.png",
        received_at=datetime(2026, 11, 26, 10, minute, tzinfo=UTC),
        uploaded_by="29:anne",
        source=EvidenceSource.TEAMS_FILE,
    )


@pytest.fixture
def thread_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions the local evidence store runs in its threads and waits for."""
    from storage import local

    calls: list[str] = []
    real = local._in_thread

    async def counting(function: Any, *args: Any) -> Any:
        calls.append(getattr(function, "__name__", repr(function)))
        return await real(function, *args)

    monkeypatch.setattr(local, "_in_thread", counting)
    return calls


async def test_evidence_is_written_in_few_thread_calls_and_listed_without_one(
    tmp_path: Path, thread_calls: list[str]
) -> None:
    from storage import local

    calls = thread_calls
    evidence = local.LocalEvidenceStore(tmp_path / "evidence")
    data = bytes(range(256)) * (local.CHUNK // 256)  # exactly CHUNK bytes: written by the commit alone
    for number in range(2):
        writer = evidence.open_writer("case-1", f"e{number}")
        for start in range(0, len(data), 4096):
            await writer.write(data[start : start + 4096])
        await writer.commit(item_of(data, f"e{number}", minute=number))
    assert calls == ["_commit", "_commit"], "a file of CHUNK bytes in 4 KiB pieces: one thread call, its commit"

    calls.clear()
    items = await evidence.list_items("case-1")
    assert [item.evidence_id for item in items] == ["e0", "e1"] and calls == []
    assert await evidence.list_items("case-without-evidence") == []
    assert b"".join([chunk async for chunk in evidence.read("case-1", "e1")]) == data


async def test_a_file_larger_than_the_buffer_is_written_in_one_call_per_chunk_and_kept_whole(tmp_path: Path) -> None:
    from storage import local

    evidence = local.LocalEvidenceStore(tmp_path / "evidence")
    data = bytes(range(251)) * (2 * local.CHUNK // 251 + 7)  # a bit over two CHUNKs, not a multiple of the piece
    writer = evidence.open_writer("case-1", "big")
    appends = 0
    real_append = writer._append

    def counting_append(pending: bytes | bytearray) -> None:
        nonlocal appends
        appends += 1
        real_append(pending)

    writer._append = counting_append  # type: ignore[method-assign]
    for start in range(0, len(data), 256 * 1024):
        await writer.write(data[start : start + 256 * 1024])
    await writer.commit(item_of(data, "big"))
    # 256 KiB pieces: the buffer passes CHUNK at 1.25 MiB and is written; the remaining ~0.75 MiB at the commit
    assert appends == 2, "one call per buffer that passed CHUNK, then one for the rest at the commit"
    assert b"".join([chunk async for chunk in evidence.read("case-1", "big")]) == data


async def test_a_screenshot_a_little_over_the_buffer_is_waited_for_in_one_thread_call(
    tmp_path: Path, thread_calls: list[str]
) -> None:
    from storage import local

    evidence = local.LocalEvidenceStore(tmp_path / "evidence")
    data = bytes(range(256)) * (local.CHUNK // 256) + b"tail of a real screenshot"
    writer = evidence.open_writer("case-1", "shot")
    for start in range(0, len(data), 256 * 1024):
        await writer.write(data[start : start + 256 * 1024])
    await writer.commit(item_of(data, "shot"))

    assert thread_calls == ["_commit"], "the full buffer is written behind the download; the turn waits for the commit"
    assert b"".join([chunk async for chunk in evidence.read("case-1", "shot")]) == data


async def test_a_write_behind_the_download_that_fails_fails_the_commit_and_nothing_is_visible(tmp_path: Path) -> None:
    from storage import local

    evidence = local.LocalEvidenceStore(tmp_path / "evidence")
    data = b"x" * (local.CHUNK + 1)
    writer = evidence.open_writer("case-1", "shot")

    def full_disk(pending: bytes | bytearray) -> None:
        raise OSError(28, "No space left on device")

    writer._append = full_disk  # type: ignore[method-assign]
    await writer.write(data)  # the write is under way behind the download: no error yet

    with pytest.raises(OSError, match="No space"):
        await writer.commit(item_of(data, "shot"))
    await writer.abort()

    assert await evidence.get_item("case-1", "shot") is None
    assert await evidence.list_items("case-1") == []
    folder = tmp_path / "evidence" / "case-1"
    assert not folder.exists() or list(folder.iterdir()) == [], "no temporary file is left behind"


async def test_an_aborted_download_waits_for_its_write_and_leaves_no_file(tmp_path: Path) -> None:
    from storage import local

    evidence = local.LocalEvidenceStore(tmp_path / "evidence")
    writer = evidence.open_writer("case-1", "refused")
    await writer.write(b"y" * (local.CHUNK + 1))  # written behind the download, into the temporary file

    await writer.abort()

    assert list((tmp_path / "evidence" / "case-1").iterdir()) == []
    assert await evidence.list_items("case-1") == []


async def test_a_download_cancelled_while_its_write_runs_leaves_no_file_once_aborted(tmp_path: Path) -> None:
    """The turn is cancelled (a shutdown) while the next full buffer waits for the write behind the download;
    the abort that follows waits for that write before it removes the temporary file."""
    import asyncio
    import threading

    from storage import local

    evidence = local.LocalEvidenceStore(tmp_path / "evidence")
    writer = evidence.open_writer("case-1", "cancelled")
    release = threading.Event()
    real_append = writer._append

    def slow_append(pending: bytes | bytearray) -> None:
        release.wait(5)
        real_append(pending)

    writer._append = slow_append  # type: ignore[method-assign]
    await writer.write(b"z" * (local.CHUNK + 1))  # the first write runs behind the download, held up
    waiting = asyncio.ensure_future(writer.write(b"z" * (local.CHUNK + 1)))  # waits for the first
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    aborting = asyncio.ensure_future(writer.abort())
    await asyncio.sleep(0.05)
    assert not aborting.done(), "the abort waits for the write under way"
    release.set()
    await aborting

    assert list((tmp_path / "evidence" / "case-1").iterdir()) == []
