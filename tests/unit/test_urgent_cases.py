"""Urgent means now, on in-memory fakes: an urgent case is queued to its leader, deputy and HR's intake in the
write that files it, and the receipt names exactly those; left unacknowledged for the on-call time, the on-call
group gets the case (recorded on it, audited) and the employee the on-call phone, and never anything it is not."""

from __future__ import annotations

from datetime import timedelta

from domain.case import Case
from domain.follow_ups import JobKind
from domain.handling import Acknowledgement, Signed
from domain.person import Person
from domain.reporting import ReportDraft
from domain.urgency import URGENT
from storage.outbox import DEPUTY_CARD, EMPLOYEE_UPDATE, HR_CARD, LEADER_CARD
from tests.unit.test_services import DIRECTORY, EMPLOYEE, World

DEPUTY = {"aad_object_id": "aad-dorte", "upn": "dorte@kommune.dk", "name": "Dorte Stedfortræder", "unit": "unit-1",
          "teams_user_id": "29:dorte"}  # fmt: skip
HR = [{"aad_object_id": "aad-kim", "upn": "kim@kommune.dk", "name": "Kim Koordinator",
       "function": "work_environment_coordinator"}]  # fmt: skip
ON_CALL = [{"aad_object_id": "aad-vagt", "upn": "vagt@kommune.dk", "name": "Vagthavende"}]
PHONE = "70 70 70 70"


class Urgent(World):
    def __init__(self, *, on_call: list[dict[str, str]], phone: str = PHONE, hr: list[dict[str, str]] = HR) -> None:
        super().__init__()
        units = [{**DIRECTORY["units"][0], "deputy": "aad-dorte"}]
        data = {**DIRECTORY, "units": units, "people": [*DIRECTORY["people"], DEPUTY], "hr": hr, "on_call": on_call}
        self.organised_as(data, on_call_phone=phone)
        self.handler = self.follow_up_handler()

    async def file_urgent(self) -> Case:
        draft = ReportDraft(case_id="u" * 32, reporter=EMPLOYEE, tenant_id="tenant-1", service_url="https://smba.test/")
        draft.incident.urgent = True
        return await self.reports.file_report(draft)

    async def pending(self) -> list[tuple[str, str]]:
        return [(n.kind, n.recipient.aad_object_id or "") for n in await self.outbox.pending()]

    async def on_call_step(self, case: Case) -> bool:
        (job,) = [j for j in self.notifications.planner.follow_ups.planned_jobs(case) if j.kind is JobKind.ON_CALL]
        self.clock.move_to(job.due_at + timedelta(seconds=1))
        return await self.handler.handle(job)


async def test_an_urgent_case_is_queued_to_leader_deputy_and_hr_intake_at_once() -> None:
    world = Urgent(on_call=ON_CALL)
    case = await world.file_urgent()

    assert case.handling.hr_escalation is not None and case.handling.hr_escalation.automatic_reason == URGENT
    cards = sorted(entry for entry in await world.pending() if entry[0] != "follow_up")
    assert cards == [(DEPUTY_CARD, "aad-dorte"), (HR_CARD, "aad-kim"), (LEADER_CARD, "aad-karen")]
    assert world.notifications.told_at_once(case) == ("deputy", "hr")


async def test_without_anyone_in_hrs_intake_an_urgent_case_is_not_recorded_as_hrs() -> None:
    world = Urgent(on_call=ON_CALL, hr=[])
    case = await world.file_urgent()

    assert case.handling.hr_escalation is None  # nor do its card, the receipt or the overview say HR has it
    cards = sorted(entry for entry in await world.pending() if entry[0] != "follow_up")
    assert cards == [(DEPUTY_CARD, "aad-dorte"), (LEADER_CARD, "aad-karen")]
    assert world.notifications.told_at_once(case) == ("deputy",)


async def test_unacknowledged_within_the_hour_the_on_call_group_gets_it_and_the_employee_the_phone() -> None:
    world = Urgent(on_call=ON_CALL)
    case = await world.file_urgent()
    before = {n.id for n in await world.outbox.pending()}

    assert await world.on_call_step(case)

    stored = await world.cases.get(case.case_id)
    assert stored is not None and stored.case.handling.on_call is not None
    assert "on_call" in [event.action for event in await world.audit.events(case.case_id)]
    new = [n for n in await world.outbox.pending() if n.id not in before]
    assert sorted((n.kind, n.recipient.aad_object_id) for n in new) == [
        (EMPLOYEE_UPDATE, EMPLOYEE.aad_object_id),
        ("follow_up", "aad-karen"),
        ("follow_up", "aad-vagt"),
        ("on_call_card", "aad-vagt"),
    ]
    (to_leader,) = [n.payload["text"] for n in new if n.recipient.aad_object_id == "aad-karen"]
    assert "vagten har nu fået sagen" in to_leader and "60 minutter" in to_leader
    (to_employee,) = [n.payload["text"] for n in new if n.kind == EMPLOYEE_UPDATE]
    assert "vagten** har nu fået den" in to_employee and PHONE in to_employee and "112" in to_employee
    assert not await world.on_call_step(stored.case)  # once: the group has it


async def test_without_an_on_call_group_the_employee_is_not_told_anyone_has_it() -> None:
    world = Urgent(on_call=[])
    case = await world.file_urgent()

    await world.on_call_step(case)

    (message,) = [n for n in await world.outbox.pending() if n.kind == EMPLOYEE_UPDATE]
    assert "vagten" not in message.payload["text"] and PHONE in message.payload["text"]


async def test_an_acknowledged_urgent_case_goes_to_nobody_on_call() -> None:
    world = Urgent(on_call=ON_CALL)
    case = await world.file_urgent()

    def acknowledge(stored: Case) -> Case:
        stored.handling.acknowledged = Acknowledgement(by="29:karen", at=world.clock.now())
        return stored

    acknowledged = await world.cases.update(case.case_id, acknowledge)
    before = len(await world.outbox.pending())

    assert not await world.on_call_step(acknowledged)
    assert len(await world.outbox.pending()) == before


async def test_an_urgent_case_with_no_leader_still_goes_on_call_when_hr_has_not_acknowledged_it() -> None:
    world = Urgent(on_call=ON_CALL)
    stranger = Person(user_id="29:ukendt", name="Ukendt Medarbejder", aad_object_id="aad-ukendt")
    draft = ReportDraft(case_id="n" * 32, reporter=stranger, tenant_id="tenant-1", service_url="https://smba.test/")
    draft.incident.urgent = True
    case = await world.reports.file_report(draft)
    assert case.leader is None and case.handling.hr_escalation is not None  # HR's intake holds it
    (job,) = [j for j in world.notifications.planner.follow_ups.planned_jobs(case) if j.kind is JobKind.ON_CALL]
    queued = await world.jobs.receive(job.due_at, max_jobs=50)
    assert [lease.job.kind for lease in queued if lease.job.case_id == case.case_id] == [JobKind.ON_CALL]

    assert await world.on_call_step(case)
    new = sorted((n.kind, n.recipient.aad_object_id) for n in await world.outbox.pending())
    assert ("on_call_card", "aad-vagt") in new and (HR_CARD, "aad-kim") in new


async def test_an_urgent_case_hr_acknowledged_goes_to_nobody_on_call() -> None:
    world = Urgent(on_call=ON_CALL)
    case = await world.file_urgent()

    def hr_acknowledges(stored: Case) -> Case:
        stored.handling.hr_response.acknowledged = Signed(by="29:kim", at=world.clock.now())
        return stored

    acknowledged = await world.cases.update(case.case_id, hr_acknowledges)
    assert not await world.on_call_step(acknowledged)
