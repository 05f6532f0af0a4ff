"""No case without a responsible person (domain.responsibility), on in-memory fakes: a case filed for someone the
directory gives no leader is held by HR's intake at once and its members get HR's card; evidence added to it reaches
them; a leader named later takes it over and HR hears who; with nobody in HR's intake the employee is told the case
went to nobody, never that someone has it."""

from __future__ import annotations

from typing import Any

import pytest

from cards.leader.employee_view import employee_status_card
from content import texts_for
from domain.case import Case, Person
from domain.reporting import ReportDraft
from domain.responsibility import NO_LEADER, Holder, holder, waits_for_a_leader
from services.notifications import CaseNotifications
from services.roles import DirectoryFile, JsonDirectory
from storage.leader_assignments import LeaderAssignments
from storage.outbox import HR_CARD, LEADER_CARD
from tests.unit.test_services import DIRECTORY, LEADER, World

OUTSIDER = Person(user_id="29:ulla", name="Ulla Udenfor", aad_object_id="aad-ulla")  # not in the directory
HR = [
    {"aad_object_id": "aad-kim", "upn": "kim@kommune.dk", "name": "Kim Koordinator",
     "function": "work_environment_coordinator"},
    {"aad_object_id": "aad-jens", "upn": "jens@kommune.dk", "name": "Jens Jurist", "function": "jura"},
]  # fmt: skip


class Leaderless(World):
    def __init__(self, hr: list[dict[str, Any]]) -> None:
        super().__init__()
        directory = JsonDirectory(DirectoryFile.model_validate({**DIRECTORY, "hr": hr}))
        old = self.notifications
        self.notifications = CaseNotifications(
            directory, LeaderAssignments(self.documents), self.outbox, self.sender, self.clock, "89 70 12 99",
            old.planner,
        )  # fmt: skip
        self.reports.notifications = self.notifications

    async def file_for(self, person: Person, case_id: str = "a" * 32) -> Case:
        draft = ReportDraft(case_id=case_id, reporter=person, tenant_id="tenant-1", service_url="https://smba.test/")
        return await self.reports.file_report(draft)

    async def pending(self) -> list[tuple[str, str]]:
        return [(n.kind, n.recipient.aad_object_id or "") for n in await self.outbox.pending()]


@pytest.fixture
def world() -> Leaderless:
    return Leaderless(HR)


async def test_a_case_without_a_leader_goes_to_hrs_intake_at_once(world: Leaderless) -> None:
    case = await world.file_for(OUTSIDER)

    assert case.leader is None and waits_for_a_leader(case) and holder(case) is Holder.HR_INTAKE
    stored = await world.cases.get(case.case_id)
    assert stored is not None and stored.case.handling.hr_escalation is not None
    assert stored.case.handling.hr_escalation.automatic_reason == NO_LEADER
    assert await world.pending() == [(HR_CARD, "aad-kim")]  # the intake function only: need-to-know
    assert holder(case) is Holder.HR_INTAKE and holder(case) == "hr"


async def test_filing_again_sends_hr_no_second_card(world: Leaderless) -> None:
    await world.file_for(OUTSIDER)
    await world.file_for(OUTSIDER)
    assert await world.pending() == [(HR_CARD, "aad-kim")]


async def test_evidence_added_to_a_case_hr_holds_reaches_hr(world: Leaderless) -> None:
    case = await world.file_for(OUTSIDER)
    await world.notifications.evidence_added(case, 2, [])
    assert ("evidence_added", "aad-kim") in await world.pending()


async def test_a_leader_named_later_takes_the_case_and_hr_hears_who(world: Leaderless) -> None:
    case = await world.file_for(OUTSIDER)
    named = await world.notifications.record_named_leader(case, LEADER.aad_object_id or "")
    await world.notifications.case_reported(named, [])
    await world.notifications.leader_named(named)

    assert named.leader is not None and not waits_for_a_leader(named) and holder(named) is Holder.LEADER
    pending = await world.pending()
    assert (LEADER_CARD, LEADER.aad_object_id) in pending
    assert [n for n in await world.outbox.pending() if n.id.endswith("leader-named-aad-kim")]


async def test_a_case_with_a_leader_is_not_handed_to_hr() -> None:
    world = Leaderless(HR)
    case = await world.file_for(Person(user_id="29:mette", name="Mette Hansen", aad_object_id="aad-mette"))
    assert case.leader is not None and case.handling.hr_escalation is None
    assert [kind for kind, _ in await world.pending()] == [LEADER_CARD]


@pytest.mark.parametrize("language", ["da", "en"])
async def test_with_nobody_in_hrs_intake_the_employee_is_told_nobody_has_it(language: str) -> None:
    world = Leaderless([])
    case = await world.file_for(OUTSIDER)
    assert await world.pending() == [] and holder(case) is Holder.NOBODY and holder(case) == "nobody"
    texts = texts_for(language, "89 70 12 99")
    shown = str(employee_status_card(texts, case))
    assert texts("employee_status.step_with_nobody") in shown
    assert texts("employee_status.step_acknowledged_waiting") not in shown


@pytest.mark.parametrize("language", ["da", "en"])
async def test_the_employee_sees_that_hr_has_the_case(world: Leaderless, language: str) -> None:
    case = await world.file_for(OUTSIDER)
    texts = texts_for(language, "89 70 12 99")
    shown = str(employee_status_card(texts, case))
    assert texts("employee_status.step_with_hr") in shown
    assert texts("employee_status.step_acknowledged_waiting") not in shown
