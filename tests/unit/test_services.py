"""The main use cases on in-memory fakes of the storage ports (tests/support/fakes.py): file a report, act on a
case, notify. Milliseconds each; the same services run over real storage in tests/integration and tests/e2e."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from cards.leader.messages import employee_update_text
from domain.audit import AuditEvent
from domain.authorization import Actor
from domain.case import Case, CaseStatus, Channel, HarassmentKind, Impact, Incident, Person
from domain.evidence import EvidenceItem, EvidenceSource
from domain.follow_ups import FollowUpPolicy, FollowUps, JobKind
from domain.leader_actions import REFRESH, Verb
from domain.overview import Duty
from domain.reporting import ReportDraft, resume_at
from domain.working_time import WorkingCalendar
from services.case_records import CaseRecords
from services.case_service import CaseActions, Result
from services.follow_up_planner import FollowUpPlanner
from services.follow_ups import FollowUpHandler
from services.notifications import LEADER_CARD, ON_BEHALF_SUBJECT, CaseNotifications
from services.refused_access import RefusedAccess
from services.reopen_requests import Asked, ReopenRequests
from services.reporting import ReportServices
from services.roles import DirectoryFile, JsonDirectory
from storage.audit import AuditLog
from storage.case_index import CaseIndex
from storage.cases import CaseRepository, ReferenceCounter
from storage.job_queue import LocalJobQueue
from storage.leader_assignments import LeaderAssignments
from storage.outbox import EMPLOYEE_UPDATE, Outbox
from storage.ports import PreconditionFailed
from tests.support.clock import MovableClock
from tests.support.fakes import InMemoryCaseTable, InMemoryDocumentStore, InMemoryEvidenceStore, SenderSpy

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday morning
EMPLOYEE = Person(user_id="29:mette", name="Mette Hansen", aad_object_id="aad-mette")
LEADER = Person(user_id="29:karen", name="Karen Leder", aad_object_id="aad-karen")
STRANGER = Person(user_id="29:ole", name="Ole", aad_object_id="aad-ole")
ANNE = Person(user_id="29:anne", name="Anne Jensen", aad_object_id="aad-anne")
DIRECTORY = {
    "units": [{"id": "unit-1", "name": "Borgerservice", "leader": "aad-karen"}],
    "people": [
        {"aad_object_id": "aad-mette", "upn": "mette@kommune.dk", "name": "Mette Hansen", "unit": "unit-1",
         "teams_user_id": "29:mette"},
        {"aad_object_id": "aad-karen", "upn": "karen@kommune.dk", "name": "Karen Leder", "unit": "unit-1",
         "teams_user_id": "29:karen"},
        {"aad_object_id": "aad-anne", "upn": "anne@kommune.dk", "name": "Anne Jensen", "unit": "unit-1",
         "teams_user_id": "29:anne"},
        {"aad_object_id": "aad-mette-holm", "upn": "mholm@kommune.dk", "name": "Mette Holm", "unit": "unit-1"},
    ],
}  # fmt: skip


class World:
    """The services wired as bot.runtime wires them, on in-memory stores."""

    def __init__(self, documents: InMemoryDocumentStore | None = None) -> None:
        self.documents = documents or InMemoryDocumentStore()
        self.evidence = InMemoryEvidenceStore()
        self.clock = MovableClock(NOW)
        self.sender = SenderSpy()
        self.jobs = LocalJobQueue(self.documents)
        self.outbox = Outbox(self.documents)
        follow_ups = FollowUps(FollowUpPolicy(), WorkingCalendar())
        self.case_table = InMemoryCaseTable()
        self.cases = CaseRepository(self.documents, on_saved=CaseRecords(self.case_table, follow_ups).saved)
        self.audit = AuditLog(self.documents)
        self.index = CaseIndex(self.documents)
        planner = FollowUpPlanner(follow_ups, self.jobs, self.clock)
        directory = JsonDirectory(DirectoryFile.model_validate(DIRECTORY))
        self.notifications = CaseNotifications(
            directory, LeaderAssignments(self.documents), self.outbox, self.sender, self.clock, "89 70 12 99", planner
        )
        self.reports = ReportServices(
            cases=self.cases,
            references=ReferenceCounter(self.documents),
            evidence=self.evidence,
            intake=None,  # type: ignore[arg-type]  # filing reads no intake
            downloader=None,  # type: ignore[arg-type]
            clock=self.clock,
            max_evidence_mb=10,
            notifications=self.notifications,
            case_index=self.index,
        )
        self.actions = CaseActions(self.cases, self.evidence, self.audit, self.clock)

    def organised_as(self, data: dict[str, Any], **options: Any) -> JsonDirectory:
        """Notify (and file) in another organisation than DIRECTORY, wired as bot.runtime wires it; its directory."""
        directory = JsonDirectory(DirectoryFile.model_validate(data))
        self.notifications = CaseNotifications(
            directory, LeaderAssignments(self.documents), self.outbox, self.sender, self.clock, "89 70 12 99",
            self.notifications.planner, **options,
        )  # fmt: skip
        self.reports.notifications = self.notifications
        return directory

    def follow_up_handler(self) -> FollowUpHandler:
        """The follow-up jobs' handler on this world's notifications (no plan reminders)."""
        planner = self.notifications.planner
        return FollowUpHandler(
            self.cases, self.evidence, self.audit, planner.follow_ups, self.notifications, self.jobs, self.clock,
            None,  # type: ignore[arg-type]  # no plan reminders here
        )  # fmt: skip

    async def store_evidence(self, case_id: str) -> None:
        writer = self.evidence.open_writer(case_id, "e1")
        await writer.write(b"screenshot")
        item = EvidenceItem(
            evidence_id="e1",
            case_id=case_id,
            sha256="0" * 64,
            size=10,
            content_type="image/png",
            original_name="skærmbillede.png",
            received_at=NOW,
            uploaded_by=EMPLOYEE.user_id,
            source=EvidenceSource.INLINE_IMAGE,
        )
        await writer.commit(item)

    async def file(self, case_id: str = "c" * 32) -> Case:
        draft = ReportDraft(case_id=case_id, reporter=EMPLOYEE, tenant_id="tenant-1", service_url="https://smba.test/")
        return await self.reports.file_report(draft)


@pytest.fixture
def world() -> World:
    return World()


async def test_filing_a_report_stores_the_case_its_reference_its_leader_card_and_its_follow_ups(
    world: World,
) -> None:
    case = await world.file()

    assert case.reference == "VK-2026-0001" and case.status is CaseStatus.REPORTED
    assert case.leader is not None and case.leader.aad_object_id == LEADER.aad_object_id
    stored = await world.cases.get(case.case_id)
    assert stored is not None and stored.case.reference == "VK-2026-0001"
    assert await world.index.case_ids_for(EMPLOYEE) == [case.case_id]
    pending = await world.outbox.pending()
    assert [(n.kind, n.recipient.aad_object_id) for n in pending] == [(LEADER_CARD, LEADER.aad_object_id)]
    assert world.sender.wakes >= 1  # the card goes out at once, not at the worker's next round
    due = await world.jobs.receive(datetime(2026, 12, 31, tzinfo=UTC), 100)
    assert JobKind.ACK_REMINDER in {lease.job.kind for lease in due}


async def test_sending_the_same_report_again_finishes_it_without_a_second_number_or_card(world: World) -> None:
    first = await world.file()
    again = await world.file()

    assert again.reference == first.reference == "VK-2026-0001"
    assert len(await world.outbox.pending()) == 1
    assert (await world.file("d" * 32)).reference == "VK-2026-0002"


async def test_a_cancelled_report_with_evidence_is_kept_as_a_draft_and_one_without_leaves_nothing(world: World) -> None:
    await world.store_evidence("e" * 32)
    kept = await world.reports.cancel_report(ReportDraft(case_id="e" * 32, reporter=EMPLOYEE))
    nothing = await world.reports.cancel_report(ReportDraft(case_id="f" * 32, reporter=EMPLOYEE))

    assert (kept, nothing) == (1, 0)
    draft = await world.cases.get("e" * 32)
    assert draft is not None and draft.case.status is CaseStatus.DRAFT and draft.case.reference == ""
    assert await world.cases.get("f" * 32) is None
    assert await world.outbox.pending() == []  # a draft goes to no leader


async def test_a_kept_draft_is_continued_by_its_author_and_filed_under_its_id_with_its_evidence(world: World) -> None:
    await world.store_evidence("e" * 32)
    draft = ReportDraft(case_id="e" * 32, reporter=EMPLOYEE)
    draft.incident.kinds = [HarassmentKind.THREATS]
    await world.reports.cancel_report(draft)
    author = Actor(EMPLOYEE, tenant_id=None)

    assert await world.reports.resume_draft(Actor(LEADER, tenant_id=None), "e" * 32) is None
    assert await world.reports.resume_draft(author, "../etc") is None
    resumed = await world.reports.resume_draft(author, "e" * 32)
    assert resumed is not None and resumed.incident.kinds == [HarassmentKind.THREATS]
    assert resume_at(resumed.incident) == "context"

    resumed.incident.description = "Truende kommentar"
    assert await world.reports.cancel_report(resumed) == 1  # stopped again: the new answer is kept
    kept = await world.cases.get("e" * 32)
    assert kept is not None and kept.case.status is CaseStatus.DRAFT
    assert kept.case.incident.description == "Truende kommentar"

    case = await world.reports.file_report(resumed)
    assert case.case_id == "e" * 32 and case.status is CaseStatus.REPORTED and case.reference == "VK-2026-0001"
    assert [item.evidence_id for item in case.evidence] == [item.evidence_id for item in kept.case.evidence]
    assert len(await world.outbox.pending()) == 1  # the leader's card
    assert await world.reports.resume_draft(author, "e" * 32) is None  # sent: no longer a draft


class CrashAt(InMemoryDocumentStore):
    """A store whose process "dies" at the first write of a key under `prefix` (that write is not stored)."""

    def __init__(self) -> None:
        super().__init__()
        self.prefix: str | None = None

    async def put(self, key: str, data: bytes, *, if_match: str | None = None, create_only: bool = False) -> str:
        if self.prefix is not None and key.startswith(self.prefix):
            self.prefix = None
            raise ConnectionResetError(key)
        return await super().put(key, data, if_match=if_match, create_only=create_only)


async def _continued_draft(world: World) -> ReportDraft:
    await world.store_evidence("e" * 32)
    await world.reports.cancel_report(ReportDraft(case_id="e" * 32, reporter=EMPLOYEE, tenant_id="tenant-1"))
    resumed = await world.reports.resume_draft(Actor(EMPLOYEE, tenant_id=None), "e" * 32)
    assert resumed is not None
    return resumed


@pytest.mark.parametrize("crash_at", ["cases/", "outbox/"])
async def test_a_continued_draft_that_crashes_while_filed_is_never_lost_and_filed_once_when_sent_again(
    crash_at: str,
) -> None:
    store = CrashAt()
    world = World(store)
    resumed = await _continued_draft(world)
    store.prefix = crash_at

    with pytest.raises(ConnectionResetError):
        await world.reports.file_report(resumed)
    kept = await world.cases.get("e" * 32)
    assert kept is not None  # the draft's record (or the filed case) is there, never nothing
    assert kept.case.status is (CaseStatus.DRAFT if crash_at == "cases/" else CaseStatus.REPORTED)
    assert [item.evidence_id for item in kept.case.evidence] == ["e1"]

    case = await world.reports.file_report(resumed)  # the employee sends again
    again = await world.reports.file_report(resumed)  # and once more
    assert case.case_id == again.case_id == "e" * 32 and case.status is CaseStatus.REPORTED
    assert again.reference == case.reference
    stored = await world.cases.get("e" * 32)
    assert stored is not None and stored.case.reference == case.reference
    assert [n.kind for n in await world.outbox.pending()] == [LEADER_CARD]  # one card, not two
    assert await world.index.case_ids_for(EMPLOYEE) == ["e" * 32]


async def test_a_continued_draft_changed_meanwhile_is_not_overwritten_by_a_stale_send(world: World) -> None:
    resumed = await _continued_draft(world)
    kept = await world.cases.get("e" * 32)
    assert kept is not None
    stale = world.cases.create(kept.case, replacing='"0-stale"')
    with pytest.raises(PreconditionFailed):
        await stale
    assert (await world.reports.file_report(resumed)).status is CaseStatus.REPORTED


def test_a_continued_draft_goes_on_from_its_first_missing_answer() -> None:
    incident = Incident()
    assert resume_at(incident) == "subject"
    incident.kinds = [HarassmentKind.THREATS]
    incident.during_work_hours = True
    assert resume_at(incident) == "channel"
    incident.channel = Channel.FACEBOOK
    incident.occurred_at = NOW
    incident.description = "x"
    assert resume_at(incident) == "impact"
    incident.impact = Impact(score=3)
    assert resume_at(incident) == "evidence"


async def test_the_leader_acknowledges_and_the_action_is_audited(world: World) -> None:
    case = await world.file()
    leader = Actor(LEADER, tenant_id="tenant-1")

    outcome = await world.actions.perform(leader, Verb.ACKNOWLEDGE, case.case_id, {}, case.version, "corr-1")

    assert outcome.result is Result.DONE and outcome.case is not None
    assert outcome.case.handling.acknowledged is not None and outcome.case.version == case.version + 1
    events: list[AuditEvent] = await world.audit.events(case.case_id)
    assert [(e.action, e.actor_id, e.correlation_id) for e in events][-1] == (
        Verb.ACKNOWLEDGE,
        LEADER.user_id,
        "corr-1",
    )


async def test_the_overview_row_follows_every_write_of_a_case_and_a_draft_has_none(world: World) -> None:
    case = await world.file()
    row = world.case_table.rows_by_id[case.case_id]
    assert (row.reference, row.status, row.leader_id, row.unit_id) == (
        "VK-2026-0001",
        CaseStatus.REPORTED,
        "aad-karen",
        "unit-1",
    )
    assert not row.duties[Duty.ACKNOWLEDGE].done

    leader = Actor(LEADER, tenant_id="tenant-1")
    await world.actions.perform(leader, Verb.ACKNOWLEDGE, case.case_id, {}, case.version, "corr-1")
    row = world.case_table.rows_by_id[case.case_id]
    assert row.status is CaseStatus.ACKNOWLEDGED and row.duties[Duty.ACKNOWLEDGE].done

    await world.cases.update(case.case_id, lambda stored: stored.model_copy(update={"unit_id": "unit-9"}))
    assert world.case_table.rows_by_id[case.case_id].unit_id == "unit-9"  # e.g. a leader named by the employee

    await world.store_evidence("e" * 32)
    await world.reports.cancel_report(ReportDraft(case_id="e" * 32, reporter=EMPLOYEE))
    assert "e" * 32 not in world.case_table.rows_by_id


async def test_a_stranger_learns_nothing_and_the_refusal_is_audited(world: World) -> None:
    case = await world.file()
    stranger = Actor(STRANGER, tenant_id="tenant-1")

    viewed = await world.actions.perform(stranger, REFRESH, case.case_id, {}, case.version, "corr-2")
    acted = await world.actions.perform(stranger, Verb.ACKNOWLEDGE, case.case_id, {}, case.version, "corr-3")

    assert viewed.result is acted.result is Result.FORBIDDEN
    assert viewed.case is None and acted.case is None
    stored = await world.cases.get(case.case_id)
    assert stored is not None and stored.case.handling.acknowledged is None
    refusals = [e for e in await world.audit.events(case.case_id) if e.actor_id == STRANGER.user_id]
    assert len(refusals) == 2


async def test_after_an_action_the_employee_hears_in_plain_words_and_the_leader_card_is_updated(world: World) -> None:
    case = await world.file()
    outcome = await world.actions.perform(
        Actor(LEADER, tenant_id="tenant-1"), Verb.ACKNOWLEDGE, case.case_id, {}, case.version, "corr-4"
    )
    assert outcome.case is not None

    await world.notifications.after_action(outcome.case, Verb.ACKNOWLEDGE, [])

    pending = await world.outbox.pending()
    updates = [n for n in pending if n.kind == EMPLOYEE_UPDATE]
    assert [n.recipient.user_id for n in updates] == [EMPLOYEE.user_id]
    text: Any = updates[0].payload.get("text")
    assert text == employee_update_text(world.notifications.texts("da"), Verb.ACKNOWLEDGE)


# --- a colleague reports on someone's behalf ----------------------------------------------------------------------


async def _file_for(world: World, name: str, person: Person | None) -> Case:
    draft = ReportDraft(
        case_id="d" * 32, reporter=ANNE, on_behalf_of=name, on_behalf_person=person, tenant_id="tenant-1"
    )
    return await world.reports.file_report(draft)


async def test_the_employee_a_colleague_reported_for_hears_it_first_who_what_next_crisis_line_and_mine_sager(
    world: World,
) -> None:
    case = await _file_for(world, "Mette Hansen", EMPLOYEE)

    assert case.subject.is_(EMPLOYEE) and case.reporter.is_(ANNE) and case.leader is not None
    to_employee = [n for n in await world.outbox.pending() if n.recipient.is_(EMPLOYEE)]
    assert [n.kind for n in to_employee] == [ON_BEHALF_SUBJECT]
    text: Any = to_employee[0].payload["text"]
    assert "Anne Jensen" in text and case.reference in text and "Karen Leder" in text
    assert "89 70 12 99" in text and "Mine sager" in text
    assert await world.index.case_ids_for(EMPLOYEE) == [case.case_id]  # so they can see it and add to it
    again = await world.reports.file_report(
        ReportDraft(case_id=case.case_id, reporter=ANNE, on_behalf_of="Mette Hansen", on_behalf_person=EMPLOYEE)
    )
    assert again.case_id == case.case_id
    assert len([n for n in await world.outbox.pending() if n.recipient.is_(EMPLOYEE)]) == 1  # once


@pytest.mark.parametrize("name", ["Mette", "Mette Hansen", "Ukendt Person"])
async def test_a_typed_name_alone_is_never_linked_to_anyone_nor_told(world: World, name: str) -> None:
    case = await _file_for(world, name, None)

    assert case.subject.user_id == f"named:{name}" and case.subject.aad_object_id is None
    assert not [n for n in await world.outbox.pending() if n.kind == ON_BEHALF_SUBJECT]
    assert case.leader is not None and case.leader.is_(LEADER)  # the reporter's leader has it


def test_a_name_means_the_one_whose_whole_name_it_is_else_every_match(world: World) -> None:
    assert [p.name for p in world.notifications.people_named("Mette Hansen")] == ["Mette Hansen"]
    assert sorted(p.name for p in world.notifications.people_named("Mette")) == ["Mette Hansen", "Mette Holm"]
    assert world.notifications.people_named("Ukendt") == []


# --- the same offender as in a closed case --------------------------------------------------------------------


async def _file_with_offender(world: World, case_id: str, offender: str) -> Case:
    draft = ReportDraft(case_id=case_id, reporter=EMPLOYEE, tenant_id="tenant-1")
    draft.incident.offender.name = offender
    return await world.reports.file_report(draft)


async def test_a_new_report_about_the_offender_of_a_closed_case_points_the_leader_at_it(world: World) -> None:
    first = await _file_with_offender(world, "a" * 32, "Jens Borger")
    reasons = {
        f"{duty}_reason": "Ikke relevant" for duty in ("safetynet", "first_aid", "colleagues", "work_environment")
    }
    data = {"employee_informed": "true", "follow_up": "done", **reasons}
    closed = await world.actions.perform(Actor(LEADER), Verb.CLOSE, first.case_id, data, first.version, "corr-c")
    assert closed.result is Result.DONE
    other = await _file_with_offender(world, "b" * 32, "Anden Borger")
    again = await _file_with_offender(world, "e" * 32, "jens  borger")

    assert again.same_offender_closed == [first.reference] and other.same_offender_closed == []
    cards = [n for n in await world.outbox.pending() if n.kind == LEADER_CARD and n.case_id == again.case_id]
    shown = json.dumps(cards[0].payload, ensure_ascii=False)
    assert first.reference in shown and "genåbnes" in shown


# --- the employee asks to reopen a closed case ----------------------------------------------------------------


def _reopen_requests(world: World) -> ReopenRequests:
    return ReopenRequests(
        world.cases, world.actions, world.notifications, world.evidence, RefusedAccess(world.audit, world.clock)
    )


async def _closed_and_named_again(world: World) -> tuple[Case, Case]:
    first = await _file_with_offender(world, "a" * 32, "Jens Borger")
    reasons = {
        f"{duty}_reason": "Ikke relevant" for duty in ("safetynet", "first_aid", "colleagues", "work_environment")
    }
    data = {"employee_informed": "true", "follow_up": "done", **reasons}
    closed = await world.actions.perform(Actor(LEADER), Verb.CLOSE, first.case_id, data, first.version, "corr-c")
    assert closed.case is not None
    again = await _file_with_offender(world, "e" * 32, "Jens Borger")
    assert again.same_offender_closed_ids == [first.case_id]
    return closed.case, again


async def test_the_employee_asks_the_leader_to_reopen_once_and_the_leader_gets_the_card_that_reopens_it(
    world: World,
) -> None:
    closed, _ = await _closed_and_named_again(world)
    requests = _reopen_requests(world)
    before = {n.id for n in await world.outbox.pending()}

    answer = await requests.ask(Actor(EMPLOYEE, tenant_id="tenant-1"), closed.case_id, "corr-ask")
    assert answer.asked is Asked.ASKED_LEADER and answer.asked_at == NOW
    sent = [n for n in await world.outbox.pending() if n.id not in before]
    assert sorted((n.kind, n.recipient.aad_object_id) for n in sent) == sorted(
        [("follow_up", LEADER.aad_object_id), (LEADER_CARD, LEADER.aad_object_id)]
    )
    text = next(n for n in sent if n.kind == "follow_up").payload["text"]
    assert "Mette Hansen" in text and closed.reference in text
    card = json.dumps(next(n for n in sent if n.kind == LEADER_CARD).payload, ensure_ascii=False)
    assert '"verb": "reopen"' in card and "bad om genåbning" in card
    events = [event.action for event in await world.audit.events(closed.case_id)]
    assert events.count("ask_reopen") == 1

    world.clock.advance(minutes=5)
    twice = await requests.ask(Actor(EMPLOYEE, tenant_id="tenant-1"), closed.case_id, "corr-ask-2")
    assert twice.asked is Asked.ALREADY_ASKED and twice.asked_at == NOW  # told when, nothing sent again
    assert {n.id for n in await world.outbox.pending()} == before | {n.id for n in sent}
    assert [event.action for event in await world.audit.events(closed.case_id)].count("ask_reopen") == 1

    stored = await world.cases.get(closed.case_id)
    assert stored is not None
    reopened = await world.actions.perform(
        Actor(LEADER), Verb.REOPEN, closed.case_id, {"reopen_reason": "Det er startet igen"}, stored.case.version, "r"
    )
    assert reopened.result is Result.DONE
    open_again = await requests.ask(Actor(EMPLOYEE, tenant_id="tenant-1"), closed.case_id, "corr-ask-3")
    assert open_again.asked is Asked.CASE_OPEN


@pytest.mark.parametrize("who", [LEADER, STRANGER, ANNE])
async def test_only_the_cases_own_employee_may_ask_to_reopen_it_and_others_learn_nothing(
    world: World, who: Person
) -> None:
    closed, _ = await _closed_and_named_again(world)
    before = len(await world.outbox.pending())

    answer = await _reopen_requests(world).ask(Actor(who, tenant_id="tenant-1"), closed.case_id, "corr-x")
    assert answer.asked is Asked.NOT_FOUND and answer.case is None
    assert len(await world.outbox.pending()) == before
    events = await world.audit.events(closed.case_id)
    assert "refused" in [e.action for e in events if e.actor_aad_object_id == who.aad_object_id]


@pytest.mark.parametrize("case_id", ["../etc", "f" * 32, None, 42])
async def test_asking_to_reopen_a_case_that_is_not_there_is_not_found(world: World, case_id: object) -> None:
    answer = await _reopen_requests(world).ask(Actor(EMPLOYEE, tenant_id="tenant-1"), case_id, "corr-y")
    assert answer.asked is Asked.NOT_FOUND


async def test_every_notification_of_a_case_is_named_by_the_case_so_erasure_finds_its_sent_copy(world: World) -> None:
    case = await world.file()
    await world.notifications.enqueue("handover.deputy", case, LEADER, EMPLOYEE_UPDATE, {"text": "hej"})

    ids = [n.id for n in await world.outbox.pending()]
    assert f"{case.case_id}.handover.deputy" in ids and all(i.startswith(case.case_id) for i in ids)
    assert await world.outbox.forget_case(case.case_id) == len(ids)
    assert await world.outbox.pending() == []
