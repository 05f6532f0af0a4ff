"""The person → cases index behind "Mine sager", on both backends (local filesystem, Azure Blob on Azurite):
filed under the subject and the reporter, idempotent, safe under concurrent writers; and the list built on it
shows a person only their own cases, newest first."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from dialogs.my_cases import MyCases
from domain.authorization import Actor, Role
from domain.case import Case, CaseStatus, Incident, Person
from domain.evidence import EvidencePolicy, EvidenceSource
from storage.case_index import PREFIX, CaseIndex
from storage.cases import CaseRepository
from storage.evidence_intake import EvidenceIntake
from tests.integration.test_storage_backends import RacingDocuments
from tests.support.backends import Backend
from tests.support.clock import MovableClock

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
MIA = Person(user_id="29:mia", name="Mia Holm", aad_object_id="aad-mia")
LARS = Person(user_id="29:lars", name="Lars Berg", aad_object_id="aad-lars")
STRANGER = Person(user_id="29:stranger", name="Sune Fremmed", aad_object_id="aad-stranger")
LEADER = Person(user_id="29:leader", name="Lone Leder", aad_object_id="aad-leader")


def a_case(
    subject: Person = MIA,
    reporter: Person | None = None,
    *,
    days_ago: int = 0,
    status: CaseStatus = CaseStatus.REPORTED,
) -> Case:
    return Case(
        case_id=uuid.uuid4().hex,
        reference="" if status is CaseStatus.DRAFT else f"VK-2026-{days_ago + 1:04d}",
        status=status,
        subject=subject,
        reporter=reporter or subject,
        incident=Incident(),
        created_at=NOW - timedelta(days=days_ago),
        leader=LEADER,
    )


async def stored(backend: Backend, case: Case) -> Case:
    """Create the case and file it, as the report dialog does."""
    await CaseRepository(backend.documents).create(case)
    await CaseIndex(backend.documents).add(case)
    return case


# --- the index ----------------------------------------------------------------------------------------------------


async def test_nobody_has_cases_before_any_is_filed(backend: Backend) -> None:
    assert await CaseIndex(backend.documents).case_ids_for(MIA) == []


async def test_a_case_is_filed_under_its_subject_and_its_reporter(backend: Backend) -> None:
    index = CaseIndex(backend.documents)
    case = a_case(subject=MIA, reporter=LARS)
    await index.add(case)
    assert await index.case_ids_for(MIA) == [case.case_id]
    assert await index.case_ids_for(LARS) == [case.case_id]
    assert await index.case_ids_for(STRANGER) == []
    assert await index.case_ids_for(LEADER) == []


async def test_cases_come_back_in_the_order_they_were_filed_and_only_once(backend: Backend) -> None:
    index = CaseIndex(backend.documents)
    first, second = a_case(), a_case()
    for case in (first, second, first, second):
        await index.add(case)
    assert await index.case_ids_for(MIA) == [first.case_id, second.case_id]


async def test_the_same_person_is_found_by_azure_ad_id_whatever_their_teams_id(backend: Backend) -> None:
    index = CaseIndex(backend.documents)
    case = a_case()
    await index.add(case)
    same_person_elsewhere = Person(user_id="aad:aad-mia", name="Mia", aad_object_id="aad-mia")
    assert await index.case_ids_for(same_person_elsewhere) == [case.case_id]


async def test_a_person_without_an_azure_ad_id_is_filed_under_the_teams_id(backend: Backend) -> None:
    index = CaseIndex(backend.documents)
    emulator_user = Person(user_id="user-1", name="Emulator")
    case = a_case(subject=emulator_user)
    await index.add(case)
    assert await index.case_ids_for(emulator_user) == [case.case_id]
    assert await index.case_ids_for(Person(user_id="user-1", aad_object_id="aad-new")) == [case.case_id]


async def test_a_colleague_known_only_by_name_is_not_filed(backend: Backend) -> None:
    index = CaseIndex(backend.documents)
    named = Person(user_id="named:Mia Holm", name="Mia Holm")
    case = a_case(subject=named, reporter=LARS)
    await index.add(case)
    assert await index.case_ids_for(LARS) == [case.case_id]
    assert await index.case_ids_for(named) == []
    keys = await backend.documents.list_keys(PREFIX)
    assert len(keys) == 1


async def test_index_documents_are_named_by_a_hash_never_by_the_persons_id(backend: Backend) -> None:
    await CaseIndex(backend.documents).add(a_case())
    keys = await backend.documents.list_keys(PREFIX)
    assert keys == [f"{PREFIX}{hashlib.sha256(b'aad-mia').hexdigest()}.json"]


async def test_concurrent_cases_for_one_person_are_all_kept(backend: Backend) -> None:
    index = CaseIndex(backend.documents)
    cases = [a_case(days_ago=n) for n in range(12)]
    await asyncio.gather(*(index.add(case) for case in cases))
    assert sorted(await index.case_ids_for(MIA)) == sorted(case.case_id for case in cases)


async def test_a_lost_race_is_retried_with_the_etag(backend: Backend) -> None:
    racing = RacingDocuments(backend.documents)
    index = CaseIndex(racing)
    first, second = a_case(), a_case()
    await asyncio.gather(index.add(first), index.add(second))
    assert racing.conflicts >= 1
    assert sorted(await CaseIndex(backend.documents).case_ids_for(MIA)) == sorted([first.case_id, second.case_id])


# --- "Mine sager" built on it -------------------------------------------------------------------------------------


def my_cases(backend: Backend) -> MyCases:
    index = CaseIndex(backend.documents)
    return MyCases(CaseRepository(backend.documents), index, backend.evidence, "89 70 12 99")


async def test_my_cases_are_the_newest_ten_of_my_own(backend: Backend) -> None:
    cases = [await stored(backend, a_case(days_ago=n)) for n in range(12)]
    await stored(backend, a_case(subject=STRANGER))
    entries = await my_cases(backend).cases_of(Actor(MIA))
    assert [entry.case.case_id for entry in entries] == [case.case_id for case in cases[:10]]
    assert {entry.viewer for entry in entries} == {Role.SUBJECT}


async def test_a_colleague_sees_the_case_they_reported_and_a_stranger_sees_nothing(backend: Backend) -> None:
    case = await stored(backend, a_case(subject=MIA, reporter=LARS))
    [entry] = await my_cases(backend).cases_of(Actor(LARS))
    assert (entry.case.case_id, entry.viewer) == (case.case_id, Role.REPORTER)
    assert await my_cases(backend).cases_of(Actor(STRANGER)) == []
    assert await my_cases(backend).cases_of(Actor(LEADER)) == []


async def test_a_case_filed_under_the_wrong_person_is_still_not_shown_to_them(backend: Backend) -> None:
    """The index only finds cases; authorization decides. A forged or stale entry shows nothing."""
    case = await stored(backend, a_case(subject=MIA))
    await CaseIndex(backend.documents).add(a_case(subject=STRANGER).model_copy(update={"case_id": case.case_id}))
    assert await my_cases(backend).cases_of(Actor(STRANGER)) == []


async def test_an_index_entry_whose_case_is_missing_is_skipped(backend: Backend) -> None:
    await CaseIndex(backend.documents).add(a_case())  # filed, but the case was never created
    kept = await stored(backend, a_case())
    assert [entry.case.case_id for entry in await my_cases(backend).cases_of(Actor(MIA))] == [kept.case_id]


async def test_a_draft_is_listed_with_its_evidence_count(backend: Backend) -> None:
    draft = await stored(backend, a_case(status=CaseStatus.DRAFT))
    intake = EvidenceIntake(backend.evidence, EvidencePolicy(), MovableClock(NOW))
    for text in ("SMS: pas på", "SMS: jeg ved hvor du bor"):
        await intake.secure(
            draft.case_id,
            _chunks(text.encode()),
            original_name="sms.txt",
            uploaded_by=MIA.user_id,
            source=EvidenceSource.PASTED_TEXT,
        )
    [entry] = await my_cases(backend).cases_of(Actor(MIA))
    assert (entry.case.status, entry.evidence_count) == (CaseStatus.DRAFT, 2)


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data
