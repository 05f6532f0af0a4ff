"""Retention and legal holds as use cases (services/retention.py) on in-memory fakes of the storage ports, with time
moved instead of waited for: a closed case and everything about it goes when its period ends and a tombstone without
personal data stays; a legal hold keeps it; a draft goes after 30 days and its author is told; a review deletes
nothing. The same runs on SQLite and Azurite in tests/integration/test_retention_backends.py."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.authorization import Actor
from domain.case import Case, CaseStatus, Person
from domain.case_package import PackageKind, PackageOffer
from domain.evidence import EvidenceItem, EvidenceSource
from domain.follow_ups import FollowUpPolicy, FollowUps
from domain.handling import Duty, HrFunction
from domain.leader_actions import Verb
from domain.reporting import ReportDraft
from domain.retention import DeletionRule, EvidenceImmutability, RetentionPolicy
from domain.working_time import WorkingCalendar
from services.case_records import CaseRecords
from services.case_service import CaseActions, Result
from services.evidence_immutability import EvidenceImmutabilityService
from services.follow_up_planner import FollowUpPlanner
from services.follow_ups import FollowUpHandler
from services.notifications import CaseNotifications
from services.reporting import ReportServices
from services.retention import DRAFT_DELETED, LegalHolds, Retention, draft_notice_id
from services.roles import DirectoryFile, JsonDirectory
from storage.audit import AuditLog
from storage.case_erasure import DIALOG_STATE, CaseErasure
from storage.case_index import CaseIndex
from storage.cases import CaseRepository, ReferenceCounter
from storage.job_queue import JobQueue, LocalJobQueue
from storage.leader_assignments import LeaderAssignments
from storage.outbox import Outbox
from storage.package_offers import PackageOffers
from storage.ports import CaseTable, DocumentStore, EvidenceStore
from tests.support.clock import MovableClock
from tests.support.fakes import InMemoryCaseTable, InMemoryDocumentStore, InMemoryEvidenceStore, SenderSpy

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday morning
TENANT = "tenant-1"
EMPLOYEE = Person(user_id="29:mette", name="Mette Hansen", aad_object_id="aad-mette")
LEADER = Person(user_id="29:karen", name="Karen Leder", aad_object_id="aad-karen")
JURA = Person(user_id="aad-jens", name="Jens Jurist", aad_object_id="aad-jens")
DESCRIPTION = "Han skrev at han ved hvor jeg bor MARKER-4471"
DIRECTORY = {
    "units": [{"id": "unit-1", "name": "Borgerservice", "leader": "aad-karen"}],
    "people": [
        {"aad_object_id": "aad-mette", "upn": "mette@kommune.dk", "name": "Mette Hansen", "unit": "unit-1",
         "teams_user_id": "29:mette"},
        {"aad_object_id": "aad-karen", "upn": "karen@kommune.dk", "name": "Karen Leder", "unit": "unit-1",
         "teams_user_id": "29:karen"},
    ],
    "hr": [{"aad_object_id": "aad-jens", "upn": "jens@kommune.dk", "name": "Jens Jurist", "function": "jura"}],
}  # fmt: skip
AS_LEADER = Actor(LEADER, tenant_id=TENANT)
AS_JURA = Actor(JURA, is_hr=True, tenant_id=TENANT, hr_function=HrFunction.JURA)
PERSONAL = [EMPLOYEE.name, EMPLOYEE.user_id, "aad-mette", LEADER.name, "aad-karen", JURA.name, DESCRIPTION, TENANT]


class World:
    """The services wired as bot.runtime wires them, on in-memory stores (or on a real backend: tests/integration)."""

    def __init__(
        self,
        documents: DocumentStore,
        evidence: EvidenceStore,
        jobs: JobQueue | None = None,
        clock: MovableClock | None = None,
        case_table: CaseTable | None = None,
        immutability: EvidenceImmutability = EvidenceImmutability.NONE,
        **erasure: object,
    ) -> None:
        self.documents, self.evidence = documents, evidence
        self.clock = clock or MovableClock(NOW)
        self.policy = RetentionPolicy()
        self.jobs = jobs if jobs is not None else LocalJobQueue(documents)
        self.outbox = Outbox(documents)
        self.case_table = case_table or InMemoryCaseTable()
        follow_ups = FollowUps(FollowUpPolicy(), WorkingCalendar())
        self.cases = CaseRepository(documents, on_saved=CaseRecords(self.case_table, follow_ups).saved)
        self.audit = AuditLog(documents)
        self.index = CaseIndex(documents)
        on = immutability is not EvidenceImmutability.NONE
        self.planner = FollowUpPlanner(follow_ups, self.jobs, self.clock, self.policy, evidence_immutability=on)
        self.notifications = CaseNotifications(
            JsonDirectory(DirectoryFile.model_validate(DIRECTORY)),
            LeaderAssignments(documents),
            self.outbox,
            SenderSpy(),
            self.clock,
            "89 70 12 99",
            self.planner,
        )
        self.reports = ReportServices(
            cases=self.cases,
            references=ReferenceCounter(documents),
            evidence=evidence,
            intake=None,  # type: ignore[arg-type]  # filing reads no intake
            downloader=None,  # type: ignore[arg-type]
            clock=self.clock,
            max_evidence_mb=10,
            notifications=self.notifications,
            case_index=self.index,
        )
        self.actions = CaseActions(self.cases, evidence, self.audit, self.clock)
        self.erasure = CaseErasure(
            documents, evidence, self.jobs, outbox=self.outbox, case_table=self.case_table, **erasure
        )  # type: ignore[arg-type]
        self.retention = Retention(self.cases, self.erasure, self.audit, self.notifications, self.policy, self.clock)
        self.holds = LegalHolds(self.cases, self.actions, self.notifications, evidence)
        self.handler = FollowUpHandler(
            self.cases, evidence, self.audit, follow_ups, self.notifications, self.jobs, self.clock, None,  # type: ignore[arg-type]
            self.retention,
            EvidenceImmutabilityService(self.cases, evidence, self.policy, immutability) if on else None,  # type: ignore[arg-type]
        )  # fmt: skip

    async def store_evidence(self, case_id: str, evidence_id: str = "e1") -> None:
        writer = self.evidence.open_writer(case_id, evidence_id)
        await writer.write(b"screenshot bytes")
        item = EvidenceItem(
            evidence_id=evidence_id,
            case_id=case_id,
            sha256="0" * 64,
            size=16,
            content_type="image/png",
            original_name="skærmbillede-mette.png",
            received_at=self.clock.now(),
            uploaded_by=EMPLOYEE.user_id,
            source=EvidenceSource.INLINE_IMAGE,
        )
        await writer.commit(item)

    def draft(self, case_id: str) -> ReportDraft:
        draft = ReportDraft(case_id=case_id, reporter=EMPLOYEE, tenant_id=TENANT, service_url="https://smba.test/")
        draft.incident.description = DESCRIPTION
        return draft

    async def act(self, actor: Actor, verb: Verb, case_id: str, data: dict[str, str]) -> Case:
        current = await self.cases.get(case_id)
        assert current is not None
        outcome = await self.actions.perform(actor, verb, case_id, data, current.case.version, f"corr-{verb}")
        assert outcome.result is Result.DONE and outcome.case is not None, outcome
        await self.notifications.after_action(outcome.case, verb, await self.evidence.list_items(case_id))
        return outcome.case

    async def closed_case(self, case_id: str = "c" * 32, *, escalated: bool = False) -> Case:
        """A reported case with evidence, acknowledged (and escalated to Jura), closed; one notification about it
        delivered and one given up, a dialog state and a package offer that name it."""
        await self.store_evidence(case_id)
        case = await self.reports.file_report(self.draft(case_id))
        await self.act(AS_LEADER, Verb.ACKNOWLEDGE, case_id, {})
        if escalated:
            await self.act(AS_LEADER, Verb.ESCALATE_HR, case_id, {"function": "jura", "message": "Hjælp"})
        reasons = {f"{duty.value}_reason": "Ikke relevant" for duty in Duty}  # duties not recorded here
        closed = await self.act(
            AS_LEADER,
            Verb.CLOSE,
            case_id,
            {"employee_informed": "true", "follow_up": "done", "reason": "Stoppet", **reasons},
        )
        pending = await self.outbox.pending()
        first, second = [n for n in pending if n.case_id == case_id][:2]
        assert await self.outbox.claim(first, self.clock.now())
        await self.outbox.mark_sent(first, "activity-1", "conversation-1", self.clock.now())
        await self.outbox.dead(second)
        await self.documents.put(f"{DIALOG_STATE}{'a' * 64}.json", json.dumps({"case_id": case_id}).encode())
        await PackageOffers(self.documents).create(package_offer(case, self.clock.now()))
        assert case.reference
        return closed

    async def due_jobs(self) -> list[str]:
        """Carry out every job due now (as the follow-up worker does); the ids of those that took effect."""
        done = []
        for lease in await self.jobs.receive(self.clock.now(), 1000):
            if await self.handler.handle(lease.job):
                done.append(lease.job.id)
            await self.jobs.done(lease)
        return done


def package_offer(case: Case, now: datetime) -> PackageOffer:
    return PackageOffer(
        requester=LEADER,
        tenant_id=TENANT,
        file_name="sagspakke.zip",
        size=10,
        sha256="0" * 64,
        created_at=now,
        expires_at=now + timedelta(hours=24),
        package_id=hashlib.md5(case.case_id.encode()).hexdigest(),
        case_id=case.case_id,
        case_reference=case.reference,
        kind=PackageKind.FULL,
    )


async def mentions(world: World, case_id: str, keys: list[str] | None = None) -> list[str]:
    """Every document whose key or content names the case (of `keys`: default, every key of an in-memory or SQLite
    store), and every evidence item of it."""
    found = []
    for key in keys if keys is not None else await world.documents.list_keys(""):
        document = await world.documents.get(key)
        if case_id in key or (document is not None and case_id.encode() in document.data):
            found.append(key)
    found += [f"evidence {item.evidence_id}" for item in await world.evidence.list_items(case_id)]
    return found


def tombstone_key(case_id: str) -> str:
    return f"audit-deleted-cases/{case_id}.json"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(InMemoryDocumentStore(), InMemoryEvidenceStore(), package_folder=tmp_path)


async def test_a_closed_case_and_everything_about_it_goes_when_its_period_ends(world: World, tmp_path: Path) -> None:
    case = await world.closed_case()
    (tmp_path / f"{package_offer(case, NOW).package_id}.zip").write_bytes(b"PK")
    world.clock.advance(days=1)
    other = await world.closed_case("d" * 32)  # closed a day later: stays until its own time
    due_at = case.handling.closure.at.replace(year=2031)  # type: ignore[union-attr]

    world.clock.move_to(due_at - timedelta(minutes=1))
    assert not [job for job in await world.due_jobs() if ".retention." in job]
    assert await world.cases.get(case.case_id) is not None

    world.clock.move_to(due_at)
    assert await world.due_jobs() == [f"{case.case_id}.retention.1.20310310"]

    assert await mentions(world, case.case_id) == [tombstone_key(case.case_id)]
    assert list(tmp_path.iterdir()) == []
    assert await world.cases.get(other.case_id) is not None and await mentions(world, other.case_id)
    assert await world.index.case_ids_for(EMPLOYEE) == [other.case_id]
    assert [row.case_id for row in await world.case_table.rows(TENANT)] == [other.case_id]  # the overview's row too


async def test_the_tombstone_says_what_went_by_which_rule_and_names_nobody(world: World) -> None:
    case = await world.closed_case()
    world.clock.advance(days=6 * 366)
    await world.due_jobs()

    [stone] = await world.audit.deletions()
    assert (stone.case_id, stone.reference, stone.unit) == (case.case_id, case.reference, "Borgerservice")
    assert (stone.rule, stone.status, stone.reported_at) == (DeletionRule.CLOSED_CASE, CaseStatus.CLOSED, NOW)
    assert stone.deleted["case"] == stone.deleted["evidence"] == stone.deleted["packages"] == 1
    assert stone.deleted["overview_rows"] == 1
    assert stone.deleted["outbox"] >= 3 and stone.deleted["audit_events"] >= 2 and stone.deleted["dialog_states"] == 1
    stored = (await world.documents.get(tombstone_key(case.case_id))).data.decode()  # type: ignore[union-attr]
    assert [value for value in PERSONAL if value in stored] == []


async def test_a_legal_hold_keeps_the_case_past_its_period_and_lifting_it_lets_it_go(world: World) -> None:
    case = await world.closed_case(escalated=True)
    held = await world.holds.place(AS_JURA, case.case_id, "Verserende retssag", "corr-hold")
    assert held.result is Result.DONE

    world.clock.advance(days=10 * 366)
    assert await world.due_jobs() == []
    assert [r.held for r in await world.retention.review()] == [True]
    assert await world.retention.run() == []
    assert await world.cases.get(case.case_id) is not None and await world.evidence.list_items(case.case_id)

    lifted = await world.holds.lift(AS_JURA, case.case_id, "Dom afsagt", "corr-lift")
    assert lifted.result is Result.DONE
    assert await world.due_jobs() == [f"{case.case_id}.retention.2.20310310"]  # planned again, due at once
    assert await mentions(world, case.case_id) == [tombstone_key(case.case_id)]


async def test_placing_and_lifting_a_hold_is_audited_with_its_reason(world: World) -> None:
    case = await world.closed_case(escalated=True)
    await world.holds.place(AS_JURA, case.case_id, "Politiet har bedt om sagen", "corr-hold")
    await world.holds.lift(AS_JURA, case.case_id, "Politiet er færdige", "corr-lift")

    events = [e for e in await world.audit.events(case.case_id) if e.action in (Verb.LEGAL_HOLD, Verb.LIFT_LEGAL_HOLD)]
    assert [(e.action, e.actor_aad_object_id, e.role, e.correlation_id) for e in events] == [
        ("legal_hold", "aad-jens", "hr", "corr-hold"),
        ("lift_legal_hold", "aad-jens", "hr", "corr-lift"),
    ]
    stored = await world.cases.get(case.case_id)
    assert stored is not None and stored.case.handling.legal_holds[0].reason == "Politiet har bedt om sagen"


async def test_only_hr_with_the_case_may_place_a_hold_and_a_refusal_is_audited(world: World) -> None:
    case = await world.closed_case()  # never escalated: Jura does not have it

    refused = await world.holds.place(AS_JURA, case.case_id, "Retssag", "corr-x")
    by_leader = await world.holds.place(AS_LEADER, case.case_id, "Retssag", "corr-y")

    assert refused.result is by_leader.result is Result.FORBIDDEN
    stored = await world.cases.get(case.case_id)
    assert stored is not None and stored.case.handling.legal_holds == []
    refusals = [e for e in await world.audit.events(case.case_id) if e.action == "refused"]
    assert {e.actor_aad_object_id for e in refusals} == {"aad-jens", "aad-karen"}


async def test_a_draft_goes_after_thirty_days_and_its_author_is_told(world: World) -> None:
    case_id = "e" * 32
    await world.store_evidence(case_id)
    assert await world.reports.cancel_report(world.draft(case_id)) == 1
    kept = await world.cases.get(case_id)
    assert kept is not None and kept.case.status is CaseStatus.DRAFT
    await world.documents.put(f"{DIALOG_STATE}{'b' * 64}.json", json.dumps({"draft": {"case_id": case_id}}).encode())
    await world.documents.put(f"{DIALOG_STATE}{'c' * 64}.json", b'{"someone": "else"}')

    world.clock.advance(days=29, hours=23)
    assert await world.due_jobs() == []
    world.clock.advance(hours=1)
    assert await world.due_jobs() == [f"{case_id}.retention.1.20260409"]

    [notice] = await world.outbox.pending()
    assert (notice.id, notice.kind, notice.recipient, notice.case_id) == (
        draft_notice_id(kept.case),
        DRAFT_DELETED,
        EMPLOYEE,
        None,
    )
    assert "10.03.2026" in notice.payload["text"] and "30 dage" in notice.payload["text"]
    assert await mentions(world, case_id) == [tombstone_key(case_id), f"outbox/{notice.id}.json"]
    assert await world.documents.get(f"{DIALOG_STATE}{'c' * 64}.json") is not None
    [stone] = await world.audit.deletions()
    assert stone.rule is DeletionRule.DRAFT and stone.deleted["dialog_states"] == 1


async def test_a_draft_is_deleted_at_once_by_its_author_only_and_only_a_tombstone_stays(world: World) -> None:
    case_id = "e" * 32
    await world.store_evidence(case_id)
    await world.reports.cancel_report(world.draft(case_id))
    stranger = Actor(Person(user_id="29:sune", name="Sune", aad_object_id="aad-sune"), tenant_id=TENANT)
    author = Actor(EMPLOYEE, tenant_id=TENANT)

    assert await world.retention.delete_draft(stranger, case_id) is None
    assert await world.retention.delete_draft(Actor(LEADER, tenant_id=TENANT), case_id) is None
    assert await world.cases.get(case_id) is not None

    stone = await world.retention.delete_draft(author, case_id)
    assert stone is not None and stone.rule is DeletionRule.DRAFT_DELETED_BY_AUTHOR
    assert await mentions(world, case_id) == [tombstone_key(case_id)]  # no evidence, no case, no notice
    assert EMPLOYEE.user_id not in stone.model_dump_json() and EMPLOYEE.name not in stone.model_dump_json()
    assert await world.outbox.pending() == []  # the author deleted it: no notice that it was deleted
    assert await world.retention.delete_draft(author, case_id) is None  # gone


async def test_a_filed_case_is_never_deleted_as_a_draft(world: World) -> None:
    case = await world.reports.file_report(world.draft("f" * 32))
    assert await world.retention.delete_draft(Actor(EMPLOYEE, tenant_id=TENANT), case.case_id) is None
    assert await world.cases.get(case.case_id) is not None


async def test_an_open_case_is_never_deleted_however_old(world: World) -> None:
    case_id = "f" * 32
    await world.reports.file_report(world.draft(case_id))
    world.clock.advance(days=20 * 366)

    assert await world.retention.review() == []
    assert await world.retention.run() == []
    assert [job for job in await world.due_jobs() if ".retention." in job] == []
    assert await world.cases.get(case_id) is not None


async def test_a_review_lists_what_is_due_and_deletes_nothing(world: World) -> None:
    case = await world.closed_case()
    world.clock.advance(days=6 * 366)
    before = await mentions(world, case.case_id)

    [reviewed] = await world.retention.review()

    assert (reviewed.case_id, reviewed.reference, reviewed.rule, reviewed.held) == (
        case.case_id,
        case.reference,
        DeletionRule.CLOSED_CASE,
        False,
    )
    assert await mentions(world, case.case_id) == before


async def test_a_deletion_a_crash_stopped_is_finished_by_the_next_run(world: World) -> None:
    case = await world.closed_case()
    world.clock.advance(days=6 * 366)
    await world.erasure.erase(case)  # the evidence, outbox, ... went, then the process died: the case is still there

    [stone] = await world.retention.run()

    assert stone.case_id == case.case_id
    assert await mentions(world, case.case_id) == [tombstone_key(case.case_id)]


async def test_a_retention_job_of_a_case_already_gone_does_nothing(world: World) -> None:
    case = await world.closed_case()
    world.clock.advance(days=6 * 366)
    await world.retention.run()
    await world.planner.plan(case)  # as a stale sweep would

    assert await world.due_jobs() == []
    assert len(await world.audit.deletions()) == 1


def test_the_erasure_looks_for_dialog_state_where_the_bot_keeps_it() -> None:
    from storage.conversation_state import conversation_key, document_key

    assert document_key(conversation_key("msteams", "a:1")).startswith(DIALOG_STATE)
