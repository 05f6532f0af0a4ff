"""Filing a confirmed report on the local store: the follow-up jobs and their marker are queued right behind the
case and never stored without it (in its transaction or a later one; when its transaction fails, theirs fails
too), the leader's card only once the case is stored, and a second confirm of the same report at the same moment
adds no card."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.case_notifications import CaseNotifications
from bot.follow_up_planner import FollowUpPlanner
from dialogs.report import ReportDialog
from domain.case import Case, CaseStatus, Incident, Person
from domain.follow_ups import FollowUpPolicy, FollowUps
from domain.working_time import WorkingCalendar
from storage.case_index import CaseIndex
from storage.cases import CaseRepository
from storage.job_queue import LocalJobQueue
from storage.ports import PreconditionFailed
from storage.sqlite_documents import SqliteDocumentStore
from tests.support.clock import MovableClock

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


class LeaderCards(CaseNotifications):
    """The real follow-up planning; the leader's card only recorded, with whether its case was stored then."""

    def __init__(self, planner: FollowUpPlanner, cases: CaseRepository) -> None:
        super().__init__(None, None, None, None, MovableClock(NOW), "89 70 12 99", planner)  # type: ignore[arg-type]
        self._cases = cases
        self.cards: list[bool] = []

    async def tell_leader(self, case: Case, evidence: list[Any]) -> None:
        self.cards.append(await self._cases.get(case.case_id) is not None)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteDocumentStore]:
    opened = SqliteDocumentStore(tmp_path / "documents.sqlite3")
    await opened.put("warm-up.json", b"{}")  # the storage thread is running, as on a bot that has started
    yield opened
    await opened.close()


def reported_case(reference: str) -> Case:
    anne = Person(user_id="29:anne", name="Anne", aad_object_id="aad-anne")
    leader = Person(user_id="29:lone", name="Lone", aad_object_id="aad-lone")
    return Case(
        case_id="c0ffee",
        reference=reference,
        subject=anne,
        reporter=anne,
        incident=Incident(),
        created_at=NOW,
        status=CaseStatus.REPORTED,
        leader=leader,
    )


def filing(store: SqliteDocumentStore) -> tuple[ReportDialog, LeaderCards, list[list[str]]]:
    cases = CaseRepository(store)
    planner = FollowUpPlanner(FollowUps(FollowUpPolicy(), WorkingCalendar()), LocalJobQueue(store), MovableClock(NOW))
    notifications = LeaderCards(planner, cases)
    services = type("Services", (), {"cases": cases, "notifications": notifications, "case_index": CaseIndex(store)})
    batches: list[list[str]] = []
    run_batch = store._writes._run_batch

    def recording(writes: list[Any]) -> Any:
        batches.append([write.key for write in writes])
        return run_batch(writes)

    store._writes._run_batch = recording  # type: ignore[method-assign]
    return ReportDialog(services, crisis_line="89 70 12 99"), notifications, batches  # type: ignore[arg-type]


async def test_the_jobs_and_their_marker_are_stored_behind_the_case_and_the_card_after_it(
    store: SqliteDocumentStore,
) -> None:
    dialog, notifications, batches = filing(store)

    await dialog._file(reported_case("VK-2026-0042"), [])

    def batch_of(key: str) -> int:
        return next(number for number, batch in enumerate(batches) if key in batch)

    jobs = [key for key in await store.list_keys("jobs/") if "c0ffee" in key]
    assert len(jobs) >= 8
    assert batch_of("cases/c0ffee.json") <= min(map(batch_of, jobs))
    assert max(map(batch_of, jobs)) <= batch_of("job-markers/c0ffee.json")
    assert notifications.cards == [True], "one card, queued once its case was stored"


async def test_when_the_case_cannot_be_stored_neither_are_its_jobs_nor_its_card(
    store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog, notifications, _ = filing(store)
    real_apply = store._apply

    def full_disk_for_the_case(connection: sqlite3.Connection, write: Any) -> Any:
        if write.key == "cases/c0ffee.json":
            raise sqlite3.OperationalError("database or disk is full")
        return real_apply(connection, write)

    monkeypatch.setattr(store, "_apply", full_disk_for_the_case)

    with pytest.raises(sqlite3.OperationalError):
        await dialog._file(reported_case("VK-2026-0042"), [])

    assert await store.get("cases/c0ffee.json") is None
    assert [key for key in await store.list_keys("jobs/") if "c0ffee" in key] == []
    assert await store.get("job-markers/c0ffee.json") is None, "a marker without jobs would lose them for good"
    assert notifications.cards == []


async def test_a_second_confirm_at_the_same_moment_adds_no_card_and_no_job_of_its_own(
    store: SqliteDocumentStore,
) -> None:
    first, first_cards, _ = filing(store)
    await first._file(reported_case("VK-2026-0042"), [])
    jobs_before = await store.list_keys("jobs/")
    second, second_cards, _ = filing(store)

    with pytest.raises(PreconditionFailed):
        await second._file(reported_case("VK-2026-0043"), [])  # its case exists: the first one's

    assert second_cards.cards == [] and first_cards.cards == [True]
    assert await store.list_keys("jobs/") == jobs_before, "the same jobs, already planned"
    stored = await CaseRepository(store).get("c0ffee")
    assert stored is not None and stored.case.reference == "VK-2026-0042"
