"""Evidence immutability per blob (domain/retention.py `evidence_immutable_until`, services/evidence_immutability.py)
on the in-memory fakes, which refuse deletion as Azure does: a filed case's evidence is immutable until the earliest
date it could be deleted, closing extends that, reopening never shortens it, a draft gets none, a legal hold holds
the evidence too, and retention deletes the evidence once its time has come. The Azure adapter's own calls:
tests/integration/test_azure_evidence_immutability.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings
from domain.case import Case, CaseStatus
from domain.handling import Duty
from domain.leader_actions import Verb
from domain.retention import (
    EvidenceImmutability,
    RetentionPolicy,
    add_years,
    evidence_immutable_until,
    extends,
    immutability_job,
)
from tests.support import case_samples as samples
from tests.support.clock import MovableClock
from tests.support.fakes import ImmutableEvidence, InMemoryDocumentStore, InMemoryEvidenceStore
from tests.unit.test_retention import AS_JURA, AS_LEADER, NOW, World, tombstone_key

POLICY = RetentionPolicy()
CASE_ID = "c" * 32
CLOSE = {"employee_informed": "true", "follow_up": "done", "reason": "Stoppet"} | {
    f"{duty.value}_reason": "Ikke relevant" for duty in Duty
}


@pytest.fixture
def world(tmp_path: Path) -> World:
    clock = MovableClock(NOW)
    evidence = InMemoryEvidenceStore(now=clock.now)
    return World(
        InMemoryDocumentStore(),
        evidence,
        clock=clock,
        immutability=EvidenceImmutability.LOCKED,
        package_folder=tmp_path,
    )


def store(world: World) -> InMemoryEvidenceStore:
    assert isinstance(world.evidence, InMemoryEvidenceStore)
    return world.evidence


def expiry(world: World, case_id: str = CASE_ID) -> set[tuple[datetime, bool]]:
    """The expiries (and whether locked) of the case's evidence items."""
    return {value for key, value in store(world).immutable_until.items() if key[0] == case_id}


async def filed(world: World, case_id: str = CASE_ID) -> Case:
    await world.store_evidence(case_id)
    case = await world.reports.file_report(world.draft(case_id))
    await world.due_jobs()
    return case


async def close(world: World, case_id: str = CASE_ID) -> datetime:
    closed = await world.act(AS_LEADER, Verb.CLOSE, case_id, CLOSE)
    await world.due_jobs()
    assert closed.handling.closure is not None
    return closed.handling.closure.at


def test_the_expiry_is_the_earliest_deletion_date_and_none_for_a_draft() -> None:
    open_case = samples.full_case(status=CaseStatus.REPORTED)
    closed = samples.full_case(status=CaseStatus.CLOSED)
    draft = samples.full_case(status=CaseStatus.DRAFT)

    assert evidence_immutable_until(open_case, POLICY) == add_years(open_case.created_at, 5)
    assert closed.handling.closure is not None
    assert evidence_immutable_until(closed, POLICY) == add_years(closed.handling.closure.at, 5)
    assert evidence_immutable_until(draft, POLICY) is None and immutability_job(draft, POLICY) is None
    job = immutability_job(closed, POLICY)
    assert job is not None and job.id != immutability_job(open_case, POLICY).id  # type: ignore[union-attr]


def test_an_expiry_is_only_ever_extended() -> None:
    assert extends(None, NOW)
    assert extends(NOW, NOW + timedelta(seconds=1))
    assert not extends(NOW, NOW)
    assert not extends(NOW, NOW - timedelta(days=1))


async def test_filing_protects_closing_extends_reopening_keeps_and_closing_again_extends(world: World) -> None:
    await filed(world)
    assert expiry(world) == {(add_years(NOW, 5), True)}
    await world.act(AS_LEADER, Verb.ACKNOWLEDGE, CASE_ID, {})

    world.clock.advance(days=10)
    first_closing = await close(world)
    assert expiry(world) == {(add_years(first_closing, 5), True)}

    world.clock.advance(days=10)
    await world.act(AS_LEADER, Verb.REOPEN, CASE_ID, {"reopen_reason": "Ny henvendelse fra borgeren"})
    await world.due_jobs()
    assert expiry(world) == {(add_years(first_closing, 5), True)}  # not back to filing + 5 years

    world.clock.advance(days=100)
    second_closing = await close(world)
    assert expiry(world) == {(add_years(second_closing, 5), True)}


async def test_retention_deletes_the_evidence_when_its_expiry_has_passed_and_not_before(world: World) -> None:
    await filed(world)
    await world.act(AS_LEADER, Verb.ACKNOWLEDGE, CASE_ID, {})
    due = add_years(await close(world), 5)

    world.clock.move_to(due - timedelta(minutes=1))
    with pytest.raises(ImmutableEvidence):
        await world.evidence.delete_case(CASE_ID)  # what Azure would answer to an early deletion

    world.clock.move_to(due)
    assert f"{CASE_ID}.retention.1.{due:%Y%m%d}" in await world.due_jobs()
    assert await world.evidence.list_items(CASE_ID) == [] and await world.cases.get(CASE_ID) is None
    assert await world.documents.get(tombstone_key(CASE_ID)) is not None


async def test_a_draft_gets_no_expiry_and_its_author_can_delete_it_at_once(world: World) -> None:
    await world.store_evidence(CASE_ID)
    await world.reports.cancel_report(world.draft(CASE_ID))
    await world.due_jobs()

    assert expiry(world) == set() and store(world).held == set()
    assert not [job for job in await world.jobs.receive(world.clock.now() + timedelta(days=1), 100)]  # none planned


async def test_a_legal_hold_holds_the_evidence_and_lifting_it_lets_retention_delete_it(world: World) -> None:
    await filed(world)
    await world.act(AS_LEADER, Verb.ACKNOWLEDGE, CASE_ID, {})
    await world.act(AS_LEADER, Verb.ESCALATE_HR, CASE_ID, {"function": "jura", "message": "Hjælp"})
    due = add_years(await close(world), 5)

    await world.holds.place(AS_JURA, CASE_ID, "Verserende retssag", "corr-hold")
    await world.due_jobs()
    assert store(world).held == {(CASE_ID, "e1")}

    world.clock.move_to(due + timedelta(days=400))
    with pytest.raises(ImmutableEvidence):
        await world.evidence.delete_case(CASE_ID)  # the expiry has passed, the hold stands

    await world.holds.lift(AS_JURA, CASE_ID, "Dom afsagt", "corr-lift")
    done = await world.due_jobs()
    assert store(world).held == set()
    assert done[0].startswith(f"{CASE_ID}.evidence_immutability.")  # due at filing: before the deletion
    assert any(".retention." in job for job in done)
    assert await world.cases.get(CASE_ID) is None and await world.evidence.list_items(CASE_ID) == []


def test_the_setting_is_azure_only_and_off_by_default() -> None:
    assert Settings(_env_file=None).evidence_immutability is EvidenceImmutability.NONE  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="STORAGE_BACKEND=azure"):
        Settings(_env_file=None, evidence_immutability="locked")  # type: ignore[call-arg]
    on_azure = Settings(
        _env_file=None,  # type: ignore[call-arg]
        storage_backend="azure",
        azure_storage_account_url="https://vaernprod.blob.core.windows.net",
        evidence_immutability="unlocked",  # type: ignore[arg-type]
    )
    assert on_azure.evidence_immutability is EvidenceImmutability.UNLOCKED
