"""Værn's own escalation to Organisation og Personale (the leader did not acknowledge in time, the EASY deadline
passed), on in-memory fakes: the leader is told the case was sent to HR only when the directory names someone there
to get it; otherwise the leader is told plainly that it could not be sent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.case import Case
from domain.follow_ups import JobKind
from domain.handling import Absence
from storage.outbox import HR_CARD
from tests.unit.test_services import DIRECTORY, LEADER, World

HR = [{"aad_object_id": "aad-kim", "upn": "kim@kommune.dk", "name": "Kim Koordinator",
       "function": "work_environment_coordinator"}]  # fmt: skip
SENT_TO_HR = "er derfor sendt til Organisation og Personale"
EASY_SENT_TO_HR = "Sagen er sendt til Organisation og Personale"
NOT_SENT = "kunne ikke sende"


class Escalating(World):
    def __init__(self, *, hr: list[dict[str, str]]) -> None:
        super().__init__()
        self.organised_as({**DIRECTORY, "hr": hr})
        self.handler = self.follow_up_handler()

    async def run(self, kind: JobKind) -> tuple[list[str], int]:
        """The job of `kind` comes due: the texts the leader gets, and how many HR cards were queued."""
        case = await self.file()
        if kind is JobKind.EASY_MISSED:
            first_day = self.clock.now().date()
            absence = Absence(by=LEADER.user_id, by_name=LEADER.name, at=self.clock.now(), first_day=first_day)

            def absent(stored: Case) -> Case:
                stored.handling.absence = absence
                return stored

            case = await self.cases.update(case.case_id, absent)
        planned = self.notifications.planner.follow_ups.planned_jobs(case)
        (job,) = [j for j in planned if j.kind is kind]
        self.clock.move_to(job.due_at + timedelta(seconds=1))
        assert await self.handler.handle(job)
        pending = await self.outbox.pending()
        to_leader = [
            n.payload["text"]
            for n in pending
            if n.recipient.aad_object_id == LEADER.aad_object_id and "text" in n.payload
        ]
        return to_leader, len([n for n in pending if n.kind == HR_CARD])


@pytest.mark.parametrize(("kind", "sent"), [(JobKind.ACK_HR, SENT_TO_HR), (JobKind.EASY_MISSED, EASY_SENT_TO_HR)])
async def test_the_leader_is_told_the_case_went_to_hr_when_someone_there_gets_it(kind: JobKind, sent: str) -> None:
    told, hr_cards = await Escalating(hr=HR).run(kind)
    assert hr_cards == 1
    assert any(sent in text for text in told)


@pytest.mark.parametrize(("kind", "sent"), [(JobKind.ACK_HR, SENT_TO_HR), (JobKind.EASY_MISSED, EASY_SENT_TO_HR)])
async def test_without_anyone_in_hr_the_leader_is_not_told_the_case_went_there(kind: JobKind, sent: str) -> None:
    world = Escalating(hr=[])
    told, hr_cards = await world.run(kind)
    assert hr_cards == 0
    stored = await world.cases.get("c" * 32)  # nor does the case (its card, the overview) say HR has it
    assert stored is not None and stored.case.handling.hr_escalation is None
    assert told and not any(sent in text for text in told)
    assert any(NOT_SENT in text and "Organisation og Personale" in text for text in told)
