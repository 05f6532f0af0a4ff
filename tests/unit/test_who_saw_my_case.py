"""Who saw my case, on in-memory fakes: every deliberate read of the bot (the leader card's evidence, a case
package, the case opened in the Overblik tab, HR breaking the glass) leaves an entry the employee sees in "Mine
sager"; card refreshes and the employee's own reads do not. Break the glass needs a reason, is audited, tells the
leader, and ends after its time; HR sees the case's full log, and the newest reads on its card in chat."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cards.my_cases import case_detail_card
from content import texts_for
from domain.access_log import Access, who_opened
from domain.authorization import BREAK_THE_GLASS_FOR, Actor, Role
from domain.case import Case, CaseStatus, Incident, Person
from domain.case_package import PackageKind, package_scope
from domain.evidence import EvidenceItem, EvidenceSource
from domain.follow_ups import FollowUpPolicy, FollowUps
from domain.handling import Handling, HrEscalation, HrFunction
from domain.leader_actions import OPEN_EVIDENCE, REFRESH
from domain.working_time import WorkingCalendar
from services.case_packages import CasePackageService
from services.case_records import CaseRecords
from services.case_service import CaseActions, Result
from services.follow_up_planner import FollowUpPlanner
from services.notifications import GLASS_BROKEN, CaseNotifications
from services.overview import OpenedCase, Overview, Refusal
from services.roles import DirectoryFile, JsonDirectory
from storage.audit import AuditLog
from storage.cases import CaseRepository
from storage.job_queue import LocalJobQueue
from storage.leader_assignments import LeaderAssignments
from storage.outbox import Outbox
from tests.support.clock import MovableClock
from tests.support.fakes import InMemoryCaseTable, InMemoryDocumentStore, InMemoryEvidenceStore, SenderSpy
from tests.support.signing import TEST_SIGNER

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
TENANT = "tenant-1"
EMPLOYEE = Person(user_id="29:mette", name="Mette Hansen", aad_object_id="aad-mette")
LEADER = Person(user_id="29:karen", name="Karen Leder", aad_object_id="aad-karen")
DIRECTORY = {
    "units": [{"id": "unit-1", "name": "Borgerservice", "leader": "aad-karen"}],
    "people": [
        {"aad_object_id": "aad-mette", "upn": "mette@kommune.dk", "name": "Mette Hansen", "unit": "unit-1"},
        {"aad_object_id": "aad-karen", "upn": "karen@kommune.dk", "name": "Karen Leder", "unit": "unit-1"},
        {"aad_object_id": "aad-ole", "upn": "ole@kommune.dk", "name": "Ole Anden", "unit": "unit-1"},
    ],
    "hr": [{"aad_object_id": "aad-hanne", "upn": "hanne@kommune.dk", "name": "Hanne Jura", "function": "jura"}],
}
REASON = "Medarbejderen har klaget over sagsbehandlingen"
TEXTS = texts_for("da", "89 70 12 99")


class World:
    def __init__(self) -> None:
        self.documents = InMemoryDocumentStore()
        self.evidence = InMemoryEvidenceStore()
        self.clock = MovableClock(NOW)
        self.outbox = Outbox(self.documents)
        follow_ups = FollowUps(FollowUpPolicy(), WorkingCalendar())
        self.cases = CaseRepository(self.documents, on_saved=CaseRecords(InMemoryCaseTable(), follow_ups).saved)
        self.audit = AuditLog(self.documents)
        directory = JsonDirectory(DirectoryFile.model_validate(DIRECTORY))
        planner = FollowUpPlanner(follow_ups, LocalJobQueue(self.documents), self.clock)
        notifications = CaseNotifications(
            directory, LeaderAssignments(self.documents), self.outbox, SenderSpy(), self.clock, "89", planner,
            audit=self.audit,
        )  # fmt: skip
        self.notifications = notifications
        self.actions = CaseActions(self.cases, self.evidence, self.audit, self.clock)
        self.packages = CasePackageService(self.cases, self.evidence, self.audit, self.clock, TEST_SIGNER)
        self.overview = Overview(
            InMemoryCaseTable(), self.cases, self.audit, directory, self.clock, "work_environment_coordinator",
            notifications,
        )  # fmt: skip
        self.case = Case(
            case_id="case-1",
            reference="VK-2026-0001",
            status=CaseStatus.REPORTED,
            subject=EMPLOYEE,
            reporter=EMPLOYEE,
            incident=Incident(description="Han skrev hvor jeg bor"),
            created_at=NOW,
            tenant_id=TENANT,
            unit="Borgerservice",
            unit_id="unit-1",
            leader=LEADER,
        )

    async def seed(self) -> None:
        await self.cases.create(self.case)
        writer = self.evidence.open_writer(self.case.case_id, "e1")
        await writer.write(b"screenshot")
        await writer.commit(
            EvidenceItem(
                evidence_id="e1",
                case_id=self.case.case_id,
                sha256=hashlib.sha256(b"screenshot").hexdigest(),
                size=10,
                content_type="image/png",
                original_name="skærmbillede.png",
                received_at=NOW,
                uploaded_by=EMPLOYEE.user_id,
                source=EvidenceSource.INLINE_IMAGE,
            )
        )

    async def package(self, person: Person, kind: PackageKind, package_id: str, folder: Path) -> None:
        actor = Actor(person, tenant_id=TENANT)
        scope = package_scope(self.case, actor, kind)
        built = await self.packages.build(self.case, actor, scope, TEXTS, package_id, folder / f"{package_id}.zip")
        assert not isinstance(built, str), built
        await self.packages.record(
            self.case.case_id, actor, scope.role.value, "package_delivered", f"package={package_id}"
        )

    async def seen_by_employee(self) -> list[tuple[str, str, Access]]:
        entries = who_opened(await self.audit.events(self.case.case_id), EMPLOYEE)
        return [(entry.name, entry.role, entry.access) for entry in entries]


@pytest.fixture
async def world() -> World:
    made = World()
    await made.seed()
    return made


async def test_every_read_path_leaves_an_entry_the_employee_sees(world: World, tmp_path: Path) -> None:
    leader = Actor(LEADER, tenant_id=TENANT)
    for _ in range(3):  # Teams refreshes the card whenever it shows it: not a read
        assert (await world.actions.perform(leader, REFRESH, "case-1", {}, 0, "refresh")).result is Result.VIEW
    assert (await world.actions.perform(leader, OPEN_EVIDENCE, "case-1", {}, 0, "req-1")).result is Result.EVIDENCE
    world.clock.advance(minutes=1)
    await world.package(LEADER, PackageKind.FULL, "pkg-leader", tmp_path)
    await world.package(EMPLOYEE, PackageKind.POLICE, "pkg-own", tmp_path)  # her own: not listed
    world.clock.advance(minutes=1)
    assert await world.overview.open_case(world.overview.viewer("aad-karen", TENANT, "Karen Leder"), "case-1", "r")
    world.clock.advance(minutes=1)
    hanne = world.overview.viewer("aad-hanne", TENANT, "Hanne Jura")
    assert isinstance(await world.overview.break_the_glass(hanne, "case-1", REASON, "r2"), OpenedCase)

    assert await world.seen_by_employee() == [
        ("Karen Leder", "leader", Access.EVIDENCE),
        ("Karen Leder", "leader", Access.PACKAGE),
        ("Karen Leder", "leader", Access.CASE),
        ("Hanne Jura", "hr", Access.BREAK_THE_GLASS),
    ]
    entries = who_opened(await world.audit.events("case-1"), EMPLOYEE)
    card = json.dumps(
        case_detail_card(TEXTS, world.case, Role.SUBJECT, opened_by=(entries[::-1], 0)), ensure_ascii=False
    )
    assert "Karen Leder (leder) åbnede beviserne" in card and "Hanne Jura (Organisation og Personale)" in card
    assert "aad-" not in card and REASON not in card


async def test_hrs_card_sent_on_escalation_lists_who_opened_the_case_the_employee_too(
    world: World, tmp_path: Path
) -> None:
    leader = Actor(LEADER, tenant_id=TENANT)
    assert (await world.actions.perform(leader, OPEN_EVIDENCE, "case-1", {}, 0, "req-1")).result is Result.EVIDENCE
    world.clock.advance(minutes=1)
    await world.package(EMPLOYEE, PackageKind.POLICE, "pkg-own", tmp_path)
    escalation = HrEscalation(by=LEADER.user_id, by_name=LEADER.name, at=NOW, function=HrFunction.JURA)
    escalated = world.case.model_copy(update={"handling": Handling(hr_escalation=escalation)})

    await world.notifications.send_hr_cards(escalated, [], "escalated")

    [card] = [n for n in await world.outbox.pending() if n.id.startswith(f"{escalated.case_id}.escalated")]
    shown = json.dumps(card.payload, ensure_ascii=False)
    assert TEXTS("access.hr_title") in shown
    assert shown.index("Mette Hansen (medarbejderen) fik en sagspakke") < shown.index(
        "Karen Leder (leder) åbnede beviserne"
    )  # newest first
    assert "aad-" not in shown.split(TEXTS("access.hr_title"))[1].split("☎")[0]


async def test_breaking_the_glass_needs_a_reason_is_audited_tells_the_leader_and_ends(world: World) -> None:
    hanne = world.overview.viewer("aad-hanne", TENANT, "Hanne Jura")
    assert await world.overview.open_case(hanne, "case-1", "r0") is None  # not escalated to Jura
    assert await world.overview.break_the_glass(hanne, "case-1", "  ", "r1") is Refusal.NO_REASON

    opened = await world.overview.break_the_glass(hanne, "case-1", REASON, "r2")

    assert isinstance(opened, OpenedCase) and opened.roles == {Role.HR}
    assert opened.glass_until == NOW + BREAK_THE_GLASS_FOR
    assert opened.access_log is not None and any(e.action == "break_the_glass" for e in opened.access_log)
    events = await world.audit.events("case-1")
    glass = [e for e in events if e.action == "break_the_glass"]
    assert len(glass) == 1 and glass[0].detail == REASON and glass[0].actor_aad_object_id == "aad-hanne"
    told = [n for n in await world.outbox.pending() if n.kind == GLASS_BROKEN]
    assert len(told) == 1 and told[0].recipient.aad_object_id == "aad-karen"
    assert "Hanne Jura" in told[0].payload["text"] and REASON in told[0].payload["text"]

    world.clock.advance(hours=1)
    again = await world.overview.open_case(hanne, "case-1", "r3")
    assert again is not None and again.glass_until == NOW + BREAK_THE_GLASS_FOR
    world.clock.advance(hours=3)
    assert await world.overview.open_case(hanne, "case-1", "r4") is None  # time is up: a new reason is needed


async def test_only_hr_breaks_the_glass_and_a_forged_id_learns_nothing(world: World) -> None:
    ole = world.overview.viewer("aad-ole", TENANT, "Ole Anden")
    assert await world.overview.break_the_glass(ole, "case-1", REASON, "r1") is None
    hanne = world.overview.viewer("aad-hanne", TENANT, "Hanne Jura")
    assert await world.overview.break_the_glass(hanne, "no-such-case", REASON, "r2") is None
    assert await world.overview.break_the_glass(hanne, "../../etc", REASON, "r3") is None
    foreign = world.overview.viewer("aad-hanne", "tenant-2", "Hanne Jura")
    assert await world.overview.break_the_glass(foreign, "case-1", REASON, "r4") is None
    assert [n for n in await world.outbox.pending() if n.kind == GLASS_BROKEN] == []
    assert not [e for e in await world.audit.events("case-1") if e.action == "break_the_glass"]


async def test_the_leader_opening_the_case_in_the_tab_sees_no_access_log(world: World) -> None:
    opened = await world.overview.open_case(world.overview.viewer("aad-karen", TENANT, "Karen Leder"), "case-1", "r")
    assert opened is not None and opened.access_log is None and opened.glass_until is None


def test_the_tab_tells_hr_how_long_the_glass_stays_broken() -> None:
    hours = int(BREAK_THE_GLASS_FOR.total_seconds() // 3600)
    assert f"{hours} timer" in TEXTS("tab.glass_intro")
    assert f"{hours} hours" in texts_for("en", "89")("tab.glass_intro")


async def test_hr_does_not_break_the_glass_on_a_case_they_are_the_employee_or_reporter_of(world: World) -> None:
    world.case.subject = world.case.reporter = Person(user_id="29:hanne", name="Hanne Jura", aad_object_id="aad-hanne")
    await world.cases.create(world.case.model_copy(update={"case_id": "case-2"}))
    hanne = world.overview.viewer("aad-hanne", TENANT, "Hanne Jura")

    assert await world.overview.break_the_glass(hanne, "case-2", REASON, "r1") is Refusal.OWN_CASE

    assert await world.overview.open_case(hanne, "case-2", "r2") is None  # still nothing opens it
    events = await world.audit.events("case-2")
    assert not [e for e in events if e.action == "break_the_glass"]  # no glass was broken, the try is recorded
    assert [(e.actor_aad_object_id, e.detail) for e in events if e.detail == "break_the_glass: own_case"] == [
        ("aad-hanne", "break_the_glass: own_case")
    ]
    assert [n for n in await world.outbox.pending() if n.kind == GLASS_BROKEN] == []
