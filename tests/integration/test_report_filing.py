"""Filing a confirmed report with the real stores. On the local store, with its writes recorded: the case is
written once its reference's number is stored, and its follow-up jobs, their marker and its leader's card once
the case is (when its write fails, they are never written). On both backends: a second confirm of the same report
at the same moment stores nothing of its own, and a number another bot process took first is not used: the
report takes the next one."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from domain.case import Case, CaseStatus, Incident, Person
from domain.follow_ups import FollowUpPolicy, FollowUps
from domain.working_time import WorkingCalendar
from services.follow_up_planner import FollowUpPlanner
from services.notifications import CaseNotifications
from services.reporting import ReportServices
from storage.case_index import CaseIndex
from storage.cases import CaseRepository, ReferenceCounter
from storage.job_queue import LocalJobQueue
from storage.outbox import Outbox
from storage.ports import Document, DocumentStore, PreconditionFailed
from storage.sqlite_documents import SqliteDocumentStore
from tests.support.clock import MovableClock

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
COUNTER = "counters/case-reference-2026"
CARD = "outbox/c0ffee-reported.json"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteDocumentStore]:
    opened = SqliteDocumentStore(tmp_path / "documents.sqlite3")
    await opened.put("warm-up.json", b"{}")  # the storage thread is running, as on a bot that has started
    yield opened
    await opened.close()


def reported_case() -> Case:
    anne = Person(user_id="29:anne", name="Anne", aad_object_id="aad-anne")
    leader = Person(user_id="29:lone", name="Lone", aad_object_id="aad-lone")
    return Case(
        case_id="c0ffee",
        subject=anne,
        reporter=anne,
        incident=Incident(),
        created_at=NOW,
        status=CaseStatus.REPORTED,
        leader=leader,
    )


def filing(store: DocumentStore) -> ReportServices:
    """The report filing service (services.reporting) with the real cases, counter, job queue, outbox and index
    on `store`."""
    clock = MovableClock(NOW)
    planner = FollowUpPlanner(FollowUps(FollowUpPolicy(), WorkingCalendar()), LocalJobQueue(store), clock)
    worker = SimpleNamespace(wake=lambda: None)
    notifications = CaseNotifications(None, None, Outbox(store), worker, clock, "89 70 12 99", planner)  # type: ignore[arg-type]
    notifications.leader_card(reported_case(), [])  # warm: the first card and plan ever made take long
    planner.follow_ups.planned_jobs(reported_case())
    services = ReportServices.__new__(ReportServices)  # only the stores filing uses
    services.cases = CaseRepository(store)
    services.references = ReferenceCounter(store)
    services.notifications = notifications
    services.case_index = CaseIndex(store)
    return services


class Writes(SimpleNamespace):
    batches: list[list[str]]  # the keys of each batch the store committed
    stored_before: dict[str, set[str]]  # per key, the keys stored when its write was queued


def recorded(store: SqliteDocumentStore, commit_seconds: float = 0.0) -> Writes:
    """What the local store is asked and when; each commit takes at least `commit_seconds` (a busy disk)."""
    record = Writes(batches=[], stored_before={})
    stored: set[str] = set()
    run_batch, submit = store._writes._run_batch, store._writes.submit

    def recording_batch(writes: list[Any]) -> Any:
        keys = [write.key for write in writes]
        record.batches.append(keys)
        time.sleep(commit_seconds)
        results = run_batch(writes)
        stored.update(keys)
        return results

    def recording_submit(write: Any) -> Any:
        record.stored_before[write.key] = set(stored)
        return submit(write)

    store._writes._run_batch = recording_batch  # type: ignore[method-assign]
    store._writes.submit = recording_submit  # type: ignore[method-assign]
    return record


async def file(services: ReportServices, case: Case) -> None:
    """What `ReportServices.file_report` does once the case is made: its reference, then the writes."""
    case.reference = await services.references.next_reference(NOW.year)
    await services._file(case, [])


async def jobs_of_the_case(store: DocumentStore) -> list[str]:
    return [key for key in await store.list_keys("jobs/") if "c0ffee" in key]


async def card_text(store: DocumentStore) -> str:
    document = await store.get(CARD)
    assert document is not None
    return json.dumps(json.loads(document.data)["payload"], ensure_ascii=False)


async def test_the_number_case_jobs_marker_and_card_are_stored_in_that_order_each_after_the_one_before(
    store: SqliteDocumentStore,
) -> None:
    filed = recorded(store, commit_seconds=0.01)
    case = reported_case()

    await file(filing(store), case)

    def batch_of(key: str) -> int:
        return next(number for number, batch in enumerate(filed.batches) if key in batch)

    jobs = await jobs_of_the_case(store)
    assert case.reference == "VK-2026-0001"
    assert (await store.get(COUNTER)).data == b"1"  # type: ignore[union-attr]
    stored = await CaseRepository(store).get("c0ffee")
    assert stored is not None and stored.case.reference == "VK-2026-0001"
    assert "VK-2026-0001" in await card_text(store)
    assert len(jobs) >= 8
    assert batch_of(COUNTER) < batch_of("cases/c0ffee.json") < min(map(batch_of, jobs))
    assert max(map(batch_of, jobs)) < batch_of("job-markers/c0ffee.json")
    assert batch_of("cases/c0ffee.json") < batch_of(CARD)
    assert COUNTER in filed.stored_before["cases/c0ffee.json"], "the case written before its number was stored"
    for key in [*jobs, "job-markers/c0ffee.json", CARD]:
        assert "cases/c0ffee.json" in filed.stored_before[key], f"{key} written before the case was stored"
    assert set(jobs) <= filed.stored_before["job-markers/c0ffee.json"], "the marker written before its jobs"


async def test_when_the_case_cannot_be_stored_neither_are_its_jobs_nor_its_card(
    store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = filing(store)
    real_apply = store._apply

    def full_disk_for_the_case(connection: sqlite3.Connection, write: Any) -> Any:
        if write.key == "cases/c0ffee.json":
            raise sqlite3.OperationalError("database or disk is full")
        return real_apply(connection, write)

    monkeypatch.setattr(store, "_apply", full_disk_for_the_case)

    with pytest.raises(sqlite3.OperationalError):
        await file(dialog, reported_case())

    assert await store.get("cases/c0ffee.json") is None
    assert await jobs_of_the_case(store) == []
    assert await store.get("job-markers/c0ffee.json") is None, "a marker without jobs would lose them for good"
    assert await store.get(CARD) is None


async def test_a_second_confirm_at_the_same_moment_stores_no_card_and_no_job_of_its_own(
    documents: DocumentStore,
) -> None:
    first = filing(documents)
    await file(first, reported_case())
    jobs_before = await jobs_of_the_case(documents)
    card_before = await documents.get(CARD)
    second = filing(documents)

    with pytest.raises(PreconditionFailed):
        await file(second, reported_case())  # its case exists: the first one's

    assert await documents.get(CARD) == card_before
    assert "VK-2026-0001" in await card_text(documents)
    assert await jobs_of_the_case(documents) == jobs_before
    stored = await CaseRepository(documents).get("c0ffee")
    assert stored is not None and stored.case.reference == "VK-2026-0001"


async def test_a_number_another_process_took_first_is_not_used_and_the_report_takes_the_next(
    documents: DocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another bot process on the same data folder counted between this one's read of the counter and its
    write: the write fails on the etag, so that number is never handed out here; the report takes the next
    number, and the case, its jobs and its card carry it."""
    await documents.put(COUNTER, b"1")  # the other process's report, VK-2026-0001
    dialog = filing(documents)
    real_get = documents.get
    stale_reads = [None]  # this process's first read of the counter: from before the other's write

    async def get(key: str) -> Document | None:
        if key == COUNTER and stale_reads:
            return stale_reads.pop()
        return await real_get(key)

    monkeypatch.setattr(documents, "get", get)
    case = reported_case()

    await file(dialog, case)

    assert case.reference == "VK-2026-0002"
    assert (await real_get(COUNTER)).data == b"2"  # type: ignore[union-attr]
    stored = await CaseRepository(documents).get("c0ffee")
    assert stored is not None and stored.case.reference == "VK-2026-0002"
    assert "VK-2026-0002" in await card_text(documents) and "VK-2026-0001" not in await card_text(documents)
    assert len(await jobs_of_the_case(documents)) >= 8
