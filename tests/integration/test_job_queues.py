"""The follow-up job queue on both backends: jobs as SQLite documents locally, Azure Storage Queues on
Azurite.

Azure delays are real visibility timeouts, so the Azure queue here waits at most 1 s per message
(JOB_QUEUE_MAX_DELAY_SECONDS=1) and leases for 1 s: a job due later simply comes back every second and
is checked against the test's clock, exactly as a 21-day job hops in 7-day steps in production.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.follow_ups import Job, JobKind
from storage.job_queue import JobQueue, LocalJobQueue
from storage.sqlite_documents import SqliteDocumentStore
from tests.support.clock import MovableClock

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LEASE_SECONDS = 1
REAL_WAIT = 1.3  # a little longer than the Azure lease / longest message delay


class Queue:
    def __init__(self, queue: JobQueue, clock: MovableClock, azure: bool) -> None:
        self.queue, self.clock, self.azure = queue, clock, azure

    async def after_lease(self) -> None:
        """Let a lease (or an Azure message delay) run out: real time on Azure, the clock on both."""
        self.clock.advance(LEASE_SECONDS + 1)
        if self.azure:
            await asyncio.sleep(REAL_WAIT)

    async def receive(self, max_jobs: int = 32) -> list[Job]:
        leases = await self.queue.receive(self.clock.now(), max_jobs)
        for lease in leases:
            await self.queue.done(lease)
        return [lease.job for lease in leases]


@pytest.fixture(params=["local", pytest.param("azure", marks=pytest.mark.azurite)])
async def jobs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Queue]:
    clock = MovableClock(T0)
    if request.param == "local":
        yield Queue(
            LocalJobQueue(
                SqliteDocumentStore(tmp_path / "documents.sqlite3"), lease_seconds=LEASE_SECONDS, max_attempts=3
            ),
            clock,
            False,
        )
        return
    from storage.azure_blob import open_azure_backend
    from storage.azure_queue import open_azure_job_queue

    emulator = request.getfixturevalue("azurite")
    prefix = f"q{uuid.uuid4().hex[:12]}"
    documents, _, close = await open_azure_backend(emulator.connection_string, prefix)
    queue = await open_azure_job_queue(
        emulator.connection_string,
        prefix,
        documents,
        clock,
        lease_seconds=LEASE_SECONDS,
        max_attempts=3,
        max_delay_seconds=1,
    )
    try:
        yield Queue(queue, clock, True)
    finally:
        await queue.close()
        await close()


def job(name: str, due_in_seconds: float = 0, kind: JobKind = JobKind.ACK_REMINDER) -> Job:
    return Job(
        id=f"case-{name}.{kind.value}.1",
        kind=kind,
        case_id=f"case-{name}",
        due_at=T0 + timedelta(seconds=due_in_seconds),
    )


async def test_a_due_job_is_handed_out_once_and_gone_when_done(jobs: Queue) -> None:
    assert await jobs.queue.schedule([job("a")])
    assert [j.id for j in await jobs.receive()] == ["case-a.ack_reminder.1"]
    await jobs.after_lease()
    assert await jobs.receive() == []


async def test_scheduling_the_same_job_again_queues_nothing(jobs: Queue) -> None:
    assert await jobs.queue.schedule([job("a")])
    assert not await jobs.queue.schedule([job("a")])
    assert len(await jobs.receive()) == 1
    assert not await jobs.queue.schedule([job("a")]), "a finished job is not queued again"


async def test_a_job_waits_until_it_is_due(jobs: Queue) -> None:
    await jobs.queue.schedule([job("later", due_in_seconds=3 * 24 * 3600)])
    await jobs.queue.schedule([job("now")])
    assert [j.case_id for j in await jobs.receive()] == ["case-now"]
    await jobs.after_lease()
    assert await jobs.receive() == [], "not due yet (on Azure: re-enqueued with the remaining delay)"
    jobs.clock.advance(days=3)
    if jobs.azure:
        await asyncio.sleep(REAL_WAIT)
    assert [j.case_id for j in await jobs.receive()] == ["case-later"]


async def test_a_job_not_done_comes_back_after_its_lease(jobs: Queue) -> None:
    await jobs.queue.schedule([job("crash")])
    leases = await jobs.queue.receive(jobs.clock.now(), 32)
    assert [lease.attempts for lease in leases] == [1]
    assert await jobs.queue.receive(jobs.clock.now(), 32) == [], "leased: nobody else gets it"
    await jobs.after_lease()
    again = await jobs.queue.receive(jobs.clock.now(), 32)
    assert [(lease.job.id, lease.attempts) for lease in again] == [("case-crash.ack_reminder.1", 2)]


async def test_a_job_that_keeps_failing_goes_to_the_dead_letters(jobs: Queue) -> None:
    await jobs.queue.schedule([job("poison")])
    handed_out = 0
    for _ in range(6):
        handed_out += len(await jobs.queue.receive(jobs.clock.now(), 32))
        await jobs.after_lease()
    assert handed_out == 3
    assert [j.id for j in await jobs.queue.dead_letters()] == ["case-poison.ack_reminder.1"]


async def test_many_due_jobs_come_out_in_batches(jobs: Queue) -> None:
    for n in range(70):
        await jobs.queue.schedule([job(f"n{n}")])
    seen: list[str] = []
    while batch := await jobs.receive(max_jobs=32):
        seen += [j.id for j in batch]
    assert len(seen) == len(set(seen)) == 70


async def test_a_case_plans_its_jobs_in_one_go_and_only_new_ones_are_queued(jobs: Queue) -> None:
    first = [job("a", kind=JobKind.ACK_REMINDER), job("a", kind=JobKind.FIRST_AID)]
    assert await jobs.queue.schedule(first) == 2
    assert await jobs.queue.schedule([*first, job("a", kind=JobKind.DEBRIEF)]) == 1
    assert sorted(j.kind.value for j in await jobs.receive()) == ["ack_reminder", "debrief", "first_aid"]


async def test_two_instances_planning_the_same_case_at_once_record_every_job(jobs: Queue) -> None:
    kinds = [JobKind.ACK_REMINDER, JobKind.ACK_DEPUTY, JobKind.ACK_HR, JobKind.FIRST_AID, JobKind.DEBRIEF]
    queued = await asyncio.gather(*(jobs.queue.schedule([job("b", kind=kind)]) for kind in kinds))
    assert sum(queued) == len(kinds)
    again = await asyncio.gather(*(jobs.queue.schedule([job("b", kind=kind)]) for kind in kinds))
    assert sum(again) == 0, "every job's marker survived the concurrent writes"


# The local queue's jobs and their marker: the jobs in one batch, and never the marker without its jobs.


async def test_a_case_s_jobs_are_written_in_one_batch_and_their_marker_in_the_next(tmp_path: Path) -> None:
    documents = SqliteDocumentStore(tmp_path / "documents.sqlite3")
    queue = LocalJobQueue(documents)
    try:
        await documents.put("cases/case-a.json", b"{}")  # the storage thread is running, as on a bot that has started
        before = documents._writes.batches
        assert await queue.schedule([job("a", kind=kind) for kind in JobKind]) == len(JobKind)
        assert documents._writes.batches == before + 2, "one transaction for the jobs, one for their marker"
        assert await queue.schedule([job("a", kind=kind) for kind in JobKind]) == 0
    finally:
        await documents.close()


async def test_when_the_jobs_cannot_be_written_neither_is_their_marker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = SqliteDocumentStore(tmp_path / "documents.sqlite3")
    queue = LocalJobQueue(documents)
    real_apply = documents._apply
    first_job_written = asyncio.Event()
    release = threading.Event()

    def full_disk_once(connection: sqlite3.Connection, write: Any) -> Any:
        """The first batch (the first job: the storage thread starts and takes it alone) fails once, after the
        other jobs have queued behind it; the disk is fine again for the next batch."""
        if not first_job_written.is_set():
            first_job_written.set()
            release.wait(5)
            raise sqlite3.OperationalError("database or disk is full")
        return real_apply(connection, write)

    monkeypatch.setattr(documents, "_apply", full_disk_once)
    try:
        scheduling = asyncio.ensure_future(queue.schedule([job("a", kind=kind) for kind in JobKind]))
        await asyncio.sleep(0.2)
        assert first_job_written.is_set() and len(documents._writes._waiting) == len(JobKind) - 1  # jobs 2..
        release.set()
        with pytest.raises(sqlite3.OperationalError):
            await scheduling
        assert len(await documents.list_keys("jobs/")) == len(JobKind) - 1, "the failed batch failed only its job"
        assert await documents.list_keys("job-markers/") == [], "a marker without its jobs would lose them for good"

        monkeypatch.setattr(documents, "_apply", real_apply)
        assert await queue.schedule([job("a", kind=kind) for kind in JobKind]) == len(JobKind)
        assert len(await documents.list_keys("jobs/")) == len(JobKind)
    finally:
        await documents.close()


async def test_the_marker_is_written_only_once_all_its_jobs_are_stored(tmp_path: Path) -> None:
    from storage.ports import Document

    class Recording:
        """Writes as an HTTP store makes them: each one on its own; records when each starts and ends."""

        def __init__(self, inner: SqliteDocumentStore) -> None:
            self.inner, self.events = inner, []

        async def get(self, key: str) -> Document | None:
            return await self.inner.get(key)

        async def put(self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False) -> str:
            self.events.append(("start", key))
            etag = await self.inner.put(key, data, if_match=if_match, create_only=create_only)
            self.events.append(("end", key))
            return etag

        async def delete(self, key: str) -> None:
            await self.inner.delete(key)

        async def list_keys(self, prefix: str) -> list[str]:
            return await self.inner.list_keys(prefix)

    inner = SqliteDocumentStore(tmp_path / "documents.sqlite3")
    recording = Recording(inner)
    try:
        assert await LocalJobQueue(recording).schedule([job("a", kind=kind) for kind in JobKind]) == len(JobKind)
    finally:
        await inner.close()
    marker_start = recording.events.index(("start", "job-markers/case-a.json"))
    job_ends = [i for i, (what, key) in enumerate(recording.events) if what == "end" and key.startswith("jobs/")]
    assert len(job_ends) == len(JobKind) and max(job_ends) < marker_start
