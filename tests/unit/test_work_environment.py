"""The arbejdsmiljøgruppe's workflow on in-memory fakes: leadership sends the case (closing counts that), the members
of the unit's group (never the employee, nobody else) see the anonymised summary and record the analysis once; a
missing analysis is reminded once after the configured days (open or closed case; saying how long it really
waited; the leader alone, told so, when the directory names no group); a decided plan change starts the
plan's revision; records from before the group recorded its own analysis still load."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from cards.leader.parts import handling_facts
from content import texts_for
from domain.authorization import Actor, may_analyse
from domain.case import Case, CaseStatus, Channel, HarassmentKind, Person
from domain.closing import undone_duties
from domain.follow_ups import FollowUpPolicy, FollowUps, Job, JobKind
from domain.handling import Duty, Signed, WorkEnvironmentAnalysis, WorkEnvironmentReview
from domain.leader_actions import InvalidCommand, NotAllowed, Verb, execute
from domain.overview import case_row, group_sees
from domain.reporting import ReportDraft
from domain.response_plan import ResponsePlan
from domain.work_environment import ANALYSIS_ACTION, record_analysis
from domain.working_time import WorkingCalendar
from services.case_service import CaseActions, Result
from services.follow_ups import FollowUpHandler
from services.notifications import CaseNotifications
from services.plan_reminders import PLAN_REVISION, PlanRevisionReminders
from services.roles import DirectoryFile, JsonDirectory, actor_in
from services.work_environment import GroupRefusal, WorkEnvironmentGroup
from storage.conversation_refs import ConversationReferenceStore
from storage.leader_assignments import LeaderAssignments
from storage.response_plans import ResponsePlanRepository
from tests.support.case_samples import full_case
from tests.unit.test_services import DIRECTORY, EMPLOYEE, LEADER, NOW, World

ANNA = {"aad_object_id": "aad-anna", "upn": "anna@kommune.dk", "name": "Anna Arbejdsmiljø", "unit": "unit-1"}
OTHER_UNIT = {"id": "unit-2", "name": "Jobcenter", "leader": "aad-lars", "work_environment_group": ["aad-bo"]}
LARS = {"aad_object_id": "aad-lars", "upn": "lars@kommune.dk", "name": "Lars Leder", "unit": "unit-2"}
BO = {"aad_object_id": "aad-bo", "upn": "bo@kommune.dk", "name": "Bo Andenenhed", "unit": "unit-2"}
GROUP = ["aad-anna", "aad-mette"]  # the employee is in the group too: she is never shown her own case
ANALYSIS = {"causes": "Fulde navne på skiltene", "measures": "Kun fornavne fra 1. maj", "plan_change": False}
PLAN_CHANGE = {**ANALYSIS, "plan_change": True, "plan_change_text": "Navneskilte: kun fornavne"}


def person(aad: str, name: str) -> Person:
    return Person(user_id=f"aad:{aad}", name=name, aad_object_id=aad)


class Group(World):
    """The services as bot.runtime wires them, with an arbejdsmiljøgruppe in the employee's unit."""

    def __init__(self, policy: FollowUpPolicy | None = None, group: list[str] = GROUP) -> None:
        super().__init__()
        units = [{**DIRECTORY["units"][0], "work_environment_group": group}, OTHER_UNIT]
        data = {**DIRECTORY, "units": units, "people": [*DIRECTORY["people"], ANNA, LARS, BO]}
        self.directory = JsonDirectory(DirectoryFile.model_validate(data))
        follow_ups = FollowUps(policy or FollowUpPolicy(), WorkingCalendar())
        planner = self.notifications.planner
        planner.follow_ups = follow_ups
        self.notifications = CaseNotifications(
            self.directory, LeaderAssignments(self.documents), self.outbox, self.sender, self.clock, "89 70 12 99",
            planner,
        )  # fmt: skip
        self.reports.notifications = self.notifications
        self.plans = ResponsePlanRepository(self.documents)
        references = ConversationReferenceStore(self.documents)
        self.plan_reminders = PlanRevisionReminders(
            self.plans, self.directory, references, self.notifications, follow_ups, self.jobs
        )
        self.handler = FollowUpHandler(
            self.cases, self.evidence, self.audit, follow_ups, self.notifications, self.jobs, self.clock,
            self.plan_reminders,
        )  # fmt: skip
        self.actions = CaseActions(self.cases, self.evidence, self.audit, self.clock, self.directory)
        self.group = WorkEnvironmentGroup(
            self.case_table, self.cases, self.evidence, self.audit, self.notifications, self.clock
        )

    def actor(self, aad: str, name: str, tenant: str = "tenant-1") -> Actor:
        return actor_in(self.directory, person(aad, name), tenant, "work_environment_coordinator")

    async def sent_case(self) -> Case:
        draft = ReportDraft(case_id="c" * 32, reporter=EMPLOYEE, tenant_id="tenant-1", service_url="https://smba.test/")
        draft.incident.kinds = [HarassmentKind.THREATS]
        draft.incident.channel = Channel.FACEBOOK
        draft.incident.description = "Han skrev hvor jeg bor PRIVATE-DESCRIPTION"
        case = await self.reports.file_report(draft)
        leader = Actor(LEADER, tenant_id="tenant-1")
        outcome = await self.actions.perform(leader, Verb.WORK_ENVIRONMENT, case.case_id, {}, case.version, "c-1")
        assert outcome.result is Result.DONE and outcome.case is not None
        await self.notifications.after_action(outcome.case, Verb.WORK_ENVIRONMENT, [])
        return outcome.case

    async def queued(self) -> dict[str, Job]:
        leases = await self.jobs.receive(NOW + timedelta(days=400), 1000)
        return {lease.job.id: lease.job for lease in leases}

    async def new_messages(self, before: set[str]) -> list[tuple[str, str, str]]:
        return sorted(
            (n.kind, n.recipient.aad_object_id or "", n.payload.get("text", ""))
            for n in await self.outbox.pending()
            if n.id not in before
        )


def sent(case: Case, at: datetime = NOW) -> Case:
    changed = case.model_copy(deep=True)
    changed.handling.work_environment = WorkEnvironmentReview(sent=Signed(by=LEADER.user_id, at=at))
    return changed


# --- the record, old and new -------------------------------------------------------------------------------------


def test_a_record_from_before_the_groups_own_analysis_loads_as_sent_and_handled() -> None:
    old = {"by": "29:karen", "by_name": "Karen Leder", "at": "2026-01-05T10:00:00Z", "conclusion": "Skilte",
           "new_initiative": "Fornavne"}  # fmt: skip
    review = WorkEnvironmentReview.model_validate(old)

    assert review.sent.by == "29:karen" and review.sent.at == datetime(2026, 1, 5, 10, tzinfo=UTC)
    assert review.analysis is not None and review.handled is not None
    assert (review.analysis.causes, review.analysis.measures, review.analysis.plan_change) == (
        "Skilte",
        "Fornavne",
        False,
    )
    assert WorkEnvironmentReview.model_validate_json(review.model_dump_json()) == review  # the new form round-trips


async def test_the_leader_sends_once_the_members_get_the_summary_and_closing_counts_it_done() -> None:
    world = Group()
    case = await world.sent_case()

    review = case.handling.work_environment
    assert review is not None and review.sent.by == LEADER.user_id and review.analysis is None
    assert Duty.WORK_ENVIRONMENT not in undone_duties(case.handling)  # sent is done: the analysis is the group's
    cards = [n for n in await world.outbox.pending() if n.kind == "work_environment_card"]
    assert [n.recipient.aad_object_id for n in cards] == ["aad-anna"]  # not the employee, though in the group
    assert "PRIVATE-DESCRIPTION" not in str(cards[0].payload) and EMPLOYEE.name not in str(cards[0].payload)
    assert not [n for n in await world.outbox.pending() if n.id.endswith("-amg-none")]  # the group has it
    with pytest.raises(InvalidCommand, match="already_sent"):
        execute(case, Verb.WORK_ENVIRONMENT, {}, Actor(LEADER, tenant_id="tenant-1"), NOW, case.version)


# --- who may analyse ------------------------------------------------------------------------------------------------


async def test_only_members_of_the_units_group_may_analyse_a_case_sent_to_it() -> None:
    world = Group()
    case = await world.sent_case()
    anna = world.actor("aad-anna", "Anna")

    assert anna.work_environment_units == frozenset({"unit-1"}) and may_analyse(case, anna)
    assert not may_analyse(case, world.actor("aad-bo", "Bo"))  # another unit's group
    assert not may_analyse(case, world.actor("aad-mette", "Mette"))  # the employee, in the group
    assert not may_analyse(case, world.actor("aad-karen", "Karen"))  # the leader is not in the group
    assert not may_analyse(case, world.actor("aad-anna", "Anna", tenant="tenant-2"))
    unsent = case.model_copy(update={"handling": case.handling.model_copy(update={"work_environment": None})})
    assert not may_analyse(unsent, anna)
    row = case_row(case, FollowUps(FollowUpPolicy(), WorkingCalendar()))
    assert row is not None and row.work_environment_sent_at == case.handling.work_environment.sent.at  # type: ignore[union-attr]
    assert group_sees(row, anna) and not group_sees(row, world.actor("aad-bo", "Bo"))


@pytest.mark.parametrize(
    ("data", "reason", "field"),
    [
        ({**ANALYSIS, "causes": "   "}, "required", "causes"),
        ({**ANALYSIS, "measures": ""}, "required", "measures"),
        ({**ANALYSIS, "plan_change": True}, "required", "plan_change_text"),
        ({**ANALYSIS, "plan_change": "yes"}, "invalid_input", "plan_change"),
        ({**ANALYSIS, "causes": "x" * 2001}, "invalid_input", "causes"),
        ({**ANALYSIS, "name": "Mette"}, "invalid_input", "name"),
        ("causes", "invalid_input", ""),
    ],
)
async def test_an_analysis_that_does_not_do_says_what_to_fix(data: Any, reason: str, field: str) -> None:
    world = Group()
    case = await world.sent_case()

    with pytest.raises(InvalidCommand) as raised:
        record_analysis(case, data, world.actor("aad-anna", "Anna"), NOW)
    assert (raised.value.reason, raised.value.field) == (reason, field)


async def test_the_analysis_is_recorded_once_and_by_a_member_only() -> None:
    world = Group()
    case = await world.sent_case()

    with pytest.raises(NotAllowed):
        record_analysis(case, ANALYSIS, world.actor("aad-bo", "Bo"), NOW)
    handled = record_analysis(case, ANALYSIS, world.actor("aad-anna", "Anna Arbejdsmiljø"), NOW)
    analysis = handled.handling.work_environment.analysis  # type: ignore[union-attr]
    assert analysis is not None and analysis.by_name == "Anna Arbejdsmiljø" and analysis.causes == ANALYSIS["causes"]
    assert handled.version == case.version + 1
    with pytest.raises(InvalidCommand, match="already_handled"):
        record_analysis(handled, ANALYSIS, world.actor("aad-anna", "Anna"), NOW)


# --- the service: the group's list, recording, the leader hears ------------------------------------------------------


async def test_a_member_lists_the_anonymised_case_records_the_analysis_and_the_leader_is_told() -> None:
    world = Group()
    case = await world.sent_case()
    anna = world.actor("aad-anna", "Anna Arbejdsmiljø")

    listed = await world.group.cases(anna, "c-2")
    assert isinstance(listed, list) and [c.case_id for c in listed] == [case.case_id]
    assert listed[0].summary.kinds == ("threats",) and listed[0].summary.channel == "facebook"
    assert "PRIVATE-DESCRIPTION" not in repr(listed) and EMPLOYEE.name not in repr(listed)
    assert await world.group.cases(world.actor("aad-mette", "Mette"), "c-3") == []  # her own case is not shown
    assert await world.group.cases(world.actor("aad-karen", "Karen"), "c-4") is GroupRefusal.NOT_IN_A_GROUP
    before = {n.id for n in await world.outbox.pending()}

    recorded = await world.group.record(anna, case.case_id, ANALYSIS, "c-5")

    assert not isinstance(recorded, (GroupRefusal, InvalidCommand)) and recorded.analysis is not None
    stored = await world.cases.get(case.case_id)
    assert stored is not None and stored.case.last_change is not None
    assert (
        stored.case.last_change.action == ANALYSIS_ACTION and stored.case.last_change.role == "work_environment_group"
    )
    assert ANALYSIS_ACTION in [event.action for event in await world.audit.events(case.case_id)]
    told = await world.new_messages(before)
    assert [(kind, to) for kind, to, _ in told] == [("follow_up", "aad-karen")]
    assert "Arbejdsmiljøgruppen har behandlet sag" in told[0][2]
    assert isinstance(await world.group.record(anna, case.case_id, ANALYSIS, "c-6"), InvalidCommand)
    assert await world.group.record(world.actor("aad-bo", "Bo"), case.case_id, ANALYSIS, "c-7") is GroupRefusal.NO_CASE
    assert await world.group.record(anna, "../x", ANALYSIS, "c-8") is GroupRefusal.NO_CASE
    refusals = [e for e in await world.audit.events(case.case_id) if e.action == "refused"]
    assert [e.actor_aad_object_id for e in refusals] == ["aad-bo"]


# --- the reminder and the plan's revision ---------------------------------------------------------------------------


async def test_a_missing_analysis_is_reminded_once_after_the_configured_days_even_when_the_case_is_closed() -> None:
    world = Group(FollowUpPolicy(work_environment_reminder_days=10))
    case = await world.sent_case()  # Tuesday 10 March 2026
    (reminder,) = [job for job in (await world.queued()).values() if job.kind is JobKind.WORK_ENVIRONMENT_REMINDER]

    assert reminder.due_at == datetime(2026, 3, 20, 8, 0, tzinfo=UTC)  # 10 days on, a Friday, 09:00 local
    closed = case.model_copy(update={"status": CaseStatus.CLOSED})
    await world.cases.update(case.case_id, lambda stored: closed)
    world.clock.move_to(reminder.due_at)
    before = {n.id for n in await world.outbox.pending()}

    assert await world.handler.handle(reminder)

    reminded = await world.new_messages(before)
    assert [(kind, to) for kind, to, _ in reminded] == [("follow_up", "aad-anna"), ("follow_up", "aad-karen")]
    assert all("10 dage" in text and "89 70 12 99" in text for _, _, text in reminded)
    await world.handler.handle(reminder)  # handed out again: the same ids, nothing new
    assert len(await world.outbox.pending()) == len(before) + 2
    handled = record_analysis(closed, ANALYSIS, world.actor("aad-anna", "Anna"), NOW)
    assert not world.handler._follow_ups.still_applies(handled, reminder, reminder.due_at)  # pyright: ignore[reportPrivateUsage]


async def test_the_reminder_says_how_long_the_case_really_waited_when_it_moved_to_a_working_day() -> None:
    world = Group(FollowUpPolicy(work_environment_reminder_days=11))
    await world.sent_case()  # Tuesday 10 March 2026; 11 days on is a Saturday
    (reminder,) = [job for job in (await world.queued()).values() if job.kind is JobKind.WORK_ENVIRONMENT_REMINDER]
    assert reminder.due_at == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # Monday, 09:00 local
    world.clock.move_to(reminder.due_at)
    before = {n.id for n in await world.outbox.pending()}

    assert await world.handler.handle(reminder)

    reminded = await world.new_messages(before)
    assert len(reminded) == 2 and all("for 13 dage siden" in text for _, _, text in reminded)


async def test_without_a_group_in_the_directory_only_the_leader_is_reminded_and_not_told_the_group_was() -> None:
    world = Group(group=[])
    await world.sent_case()
    told = await world.new_messages(set())
    assert any("Værn kender ingen arbejdsmiljøgruppe" in text for kind, to, text in told if to == "aad-karen")
    (reminder,) = [job for job in (await world.queued()).values() if job.kind is JobKind.WORK_ENVIRONMENT_REMINDER]
    world.clock.move_to(reminder.due_at)
    before = {n.id for n in await world.outbox.pending()}

    assert await world.handler.handle(reminder)

    [(kind, to, text)] = await world.new_messages(before)
    assert (kind, to) == ("follow_up", "aad-karen") and "89 70 12 99" in text
    assert "ingen i gruppen er mindet om det" in text and "medlemmer er mindet" not in text


def test_the_reminder_waits_thirty_days_by_default_and_moves_to_a_working_day() -> None:
    follow_ups = FollowUps(FollowUpPolicy(), WorkingCalendar())
    case = sent(full_case(status=CaseStatus.ACKNOWLEDGED), at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    (job,) = follow_ups.work_environment_jobs(case)
    # 30 days after Tuesday 3 March is Thursday 2 April 2026, skærtorsdag; then Easter: Tuesday 7 April, 09:00 local.
    assert job.kind is JobKind.WORK_ENVIRONMENT_REMINDER and job.due_at == datetime(2026, 4, 7, 7, 0, tzinfo=UTC)
    assert follow_ups.work_environment_jobs(case.model_copy(update={"status": CaseStatus.DRAFT})) == []


async def test_a_decided_plan_change_starts_the_plans_revision_with_its_leader_and_last_editor() -> None:
    world = Group()
    case = await world.sent_case()
    await world.plans.save(
        "unit-1",
        lambda version, _: ResponsePlan(unit_id="unit-1", unit_name="Borgerservice", revision_date=date(2027, 1, 1),
                                        version=version, updated_by="Anne Jensen", updated_by_id="aad-anne",
                                        updated_at=NOW),
    )  # fmt: skip
    await world.group.record(world.actor("aad-anna", "Anna"), case.case_id, PLAN_CHANGE, "c-9")
    (job,) = [job for job in (await world.queued()).values() if job.kind is JobKind.PLAN_CHANGE]
    before = {n.id for n in await world.outbox.pending()}

    assert await world.handler.handle(job)

    asked = [n for n in await world.outbox.pending() if n.id not in before]
    assert sorted((n.kind, n.recipient.aad_object_id) for n in asked) == [
        (PLAN_REVISION, "aad-anne"),
        (PLAN_REVISION, "aad-karen"),
    ]
    assert all(
        "Navneskilte: kun fornavne" in n.payload["text"] and "beredskabsplan" in n.payload["text"] for n in asked
    )
    assert [j.kind for j in (await world.queued()).values() if j.kind is JobKind.WORK_ENVIRONMENT_REMINDER] == []


def test_the_leaders_card_says_sent_then_handled_with_the_groups_analysis() -> None:
    texts = texts_for("da", "89 70 12 99")
    case = sent(full_case(status=CaseStatus.ACKNOWLEDGED), at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    title = texts("handling.work_environment")

    assert dict(handling_facts(texts, case, None))[title] == "Sendt 10-03-2026 · venter på gruppens analyse"
    review = case.handling.work_environment
    assert review is not None
    analysis = WorkEnvironmentAnalysis(by="aad:aad-anna", at=datetime(2026, 3, 20, 9, 0, tzinfo=UTC), **PLAN_CHANGE)
    case.handling.work_environment = review.model_copy(update={"analysis": analysis})
    facts = dict(handling_facts(texts, case, None))
    assert facts[title] == "Sendt 10-03-2026 · behandlet 20-03-2026"
    assert facts[texts("handling.work_environment_measures")] == PLAN_CHANGE["measures"]
    assert facts[texts("handling.work_environment_plan_change")] == PLAN_CHANGE["plan_change_text"]


async def test_a_unit_without_a_group_in_the_directory_tells_the_leader_to_take_it_there_themselves() -> None:
    world = Group()
    case = await world.sent_case()
    elsewhere = case.model_copy(update={"unit_id": "unit-9", "unit": "Vej og Park"})

    await world.notifications.after_action(elsewhere, Verb.WORK_ENVIRONMENT, [])

    (told,) = [n for n in await world.outbox.pending() if n.id.endswith("-amg-none")]
    assert told.recipient.aad_object_id == "aad-karen" and "Vej og Park" in told.payload["text"]
