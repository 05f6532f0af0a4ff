"""A leader the first card cannot reach, on in-memory fakes: when there is nobody to hand the case to (no deputy,
nobody in HR's intake function), or the handover cards reach nobody for the whole watch, the one who reported is told
plainly that nobody has the case and what they can do, with the crisis line; never that someone has it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from content import texts_for
from domain.authorization import Actor
from domain.case import Case
from domain.follow_ups import JobKind
from domain.leader_actions import Verb
from domain.reporting import ReportDraft
from services.case_service import CaseActions, Result
from services.reassignment import Reassignment
from services.roles import DirectoryFile, JsonDirectory
from storage.outbox import EMPLOYEE_UPDATE, LEADER_CARD
from tests.unit.test_reassignment import HR
from tests.unit.test_services import DIRECTORY, EMPLOYEE, LEADER, World

DEPUTY = {"aad_object_id": "aad-dorte", "upn": "dorte@kommune.dk", "name": "Dorte Stedfortræder", "unit": "unit-1"}


async def run_first_card_jobs(world: World, hours: float) -> None:
    """Every first_card job that comes due within `hours`, in order, as the scheduler runs them (the other
    follow-ups are left out: they are not what is tested here)."""
    handler = world.follow_up_handler()
    end = world.clock.now() + timedelta(hours=hours)
    while world.clock.now() < end:
        world.clock.move_to(world.clock.now() + timedelta(minutes=5))
        for lease in await world.jobs.receive(world.clock.now(), 100):
            if lease.job.kind is JobKind.FIRST_CARD:
                await handler.handle(lease.job)
            await world.jobs.done(lease)


class Unreachable(World):
    """The leader's card is queued and never delivered (Teams refuses it: Værn not installed, and installing fails)."""

    def __init__(self, *, deputy: bool) -> None:
        super().__init__()
        units = [{**DIRECTORY["units"][0], "deputy": "aad-dorte"}] if deputy else DIRECTORY["units"]
        self.organised_as({**DIRECTORY, "units": units, "people": [*DIRECTORY["people"], DEPUTY], "hr": []})

    async def file(self, locale: str) -> Case:
        draft = ReportDraft(case_id="c" * 32, reporter=EMPLOYEE, tenant_id="tenant-1", service_url="https://smba.test/")
        draft.locale = locale
        return await self.reports.file_report(draft)

    async def run_first_card_jobs(self, hours: float) -> None:
        await run_first_card_jobs(self, hours)

    async def told(self) -> list[str]:
        return [n.payload["text"] for n in await self.outbox.pending() if n.kind == EMPLOYEE_UPDATE]


@pytest.mark.parametrize("language", ["da", "en"])
async def test_with_nobody_to_hand_it_to_the_employee_is_told_at_once_that_nobody_has_the_case(language: str) -> None:
    world = Unreachable(deputy=False)
    case = await world.file(language)
    assert [n.kind for n in await world.outbox.pending()] == [LEADER_CARD]

    await world.run_first_card_jobs(hours=0.5)

    texts = texts_for(language, "89 70 12 99")
    (told,) = await world.told()
    assert told == f"{texts('first_card.told_nobody', reference=case.reference)}\n\n{texts('follow_up.footer')}"
    assert "89 70 12 99" in told and case.reference in told
    stored = await world.cases.get(case.case_id)
    assert stored is not None and stored.case.handling.hr_escalation is None  # nothing says HR has it


async def test_a_deputy_whose_card_never_arrives_either_leaves_the_employee_told_when_the_watch_ends() -> None:
    world = Unreachable(deputy=True)
    case = await world.file("da")

    await world.run_first_card_jobs(hours=1)
    assert await world.told() == [], "while the deputy's card may still arrive, nothing is said"
    handed = {n.kind for n in await world.outbox.pending()}
    assert "deputy_card" in handed

    await world.run_first_card_jobs(hours=48)
    (told,) = await world.told()
    assert told.startswith(texts_for("da", "89 70 12 99")("first_card.told_nobody", reference=case.reference))


async def test_a_leader_hr_gives_an_acknowledged_case_to_is_watched_as_the_first_was() -> None:
    """HR gives the case to a leader Teams cannot reach (never opened Værn): their card is watched like the first
    leader's, and the employee learns the truth instead of believing the new leader has it."""
    world = World()
    case = await world.file()
    leader = Actor(LEADER, tenant_id="tenant-1")
    await world.actions.perform(leader, Verb.ACKNOWLEDGE, case.case_id, {}, 1, "c1")
    escalated = await world.actions.perform(leader, Verb.ESCALATE_HR, case.case_id, {"function": "jura"}, 2, "c2")
    assert escalated.case is not None
    for sent in await world.outbox.pending():  # the first leader had their card, and everyone their messages
        assert await world.outbox.claim(sent, world.clock.now())
        claimed = await world.outbox.get(sent.id)
        assert claimed is not None
        await world.outbox.mark_sent(claimed, "activity", "conversation", world.clock.now())

    world.clock.move_to(world.clock.now() + timedelta(hours=3))  # Karen falls ill; HR gives the case on
    directory = JsonDirectory(DirectoryFile.model_validate(DIRECTORY))
    actions = CaseActions(world.cases, world.evidence, world.audit, world.clock, directory)
    moved = Reassignment(world.cases, actions, world.notifications, world.evidence, directory, world.audit, world.clock)
    done = await moved.reassign(HR, case.case_id, "Mette Holm", "Karen er sygemeldt", "aad-mette-holm", "c3")
    assert done.outcome.result is Result.DONE
    before = {n.id for n in await world.outbox.pending()}

    await run_first_card_jobs(world, hours=1)

    told = [n for n in await world.outbox.pending() if n.id not in before and n.kind == EMPLOYEE_UPDATE]
    assert [n.payload["text"].split("\n\n")[0] for n in told] == [
        texts_for("da", "89 70 12 99")("first_card.told_nobody", reference=case.reference)
    ]
