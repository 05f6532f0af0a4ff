"""HR gives a case to another leader from the Overblik tab (services/reassignment.py): the card's action on the case
as it is now, the directory's candidates when the name means nobody or several, a choice by object id only among
them, and the same people told as with the card."""

from __future__ import annotations

import pytest

from domain.authorization import Actor
from domain.case import Case, Person
from domain.handling import HrFunction
from domain.leader_actions import Verb
from services.case_service import CaseActions, Result
from services.reassignment import Candidate, Reassignment
from services.roles import DirectoryFile, JsonDirectory
from tests.unit.test_services import DIRECTORY, EMPLOYEE, LEADER, World

HANNE = Person(user_id="29:hanne", name="Hanne Jura", aad_object_id="aad-hanne")
HR = Actor(HANNE, is_hr=True, tenant_id="tenant-1", hr_function=HrFunction.JURA)
WHY = "Karen Leder er sygemeldt"
METTES = (
    Candidate("aad-mette", "Mette Hansen", "Borgerservice"),
    Candidate("aad-mette-holm", "Mette Holm", "Borgerservice"),
)


@pytest.fixture
def world() -> World:
    return World()


def reassignment(world: World) -> Reassignment:
    directory = JsonDirectory(DirectoryFile.model_validate(DIRECTORY))
    actions = CaseActions(world.cases, world.evidence, world.audit, world.clock, directory)
    return Reassignment(world.cases, actions, world.notifications, world.evidence, directory, world.audit, world.clock)


async def escalated_case(world: World) -> Case:
    case = await world.file()
    leader = Actor(LEADER, tenant_id="tenant-1")
    outcome = await world.actions.perform(leader, Verb.ESCALATE_HR, case.case_id, {"function": "jura"}, 1, "c")
    assert outcome.case is not None
    return outcome.case


async def test_a_name_that_means_several_changes_nothing_and_answers_with_the_directorys_candidates(
    world: World,
) -> None:
    case = await escalated_case(world)

    done = await reassignment(world).reassign(HR, case.case_id, "mette", WHY, None, "corr")

    assert (done.outcome.result, done.outcome.reason) == (Result.INVALID, "leader_ambiguous")
    assert sorted(done.candidates, key=lambda c: c.name) == list(METTES)
    stored = await world.cases.named(case.case_id)
    assert stored is not None and stored.version == case.version and stored.leader is not None
    assert stored.leader.is_(LEADER)


async def test_the_chosen_candidate_gets_the_case_and_the_leader_before_and_the_employee_are_told(world: World) -> None:
    case = await escalated_case(world)

    done = await reassignment(world).reassign(HR, case.case_id, "mette", WHY, "aad-mette-holm", "corr")

    assert done.outcome.result is Result.DONE and done.outcome.case is not None
    assert done.outcome.case.leader is not None and done.outcome.case.leader.aad_object_id == "aad-mette-holm"
    change = done.outcome.case.handling.leader_changes[-1]
    assert (change.reason, change.by) == (WHY, HANNE.user_id)
    told = {(n.recipient.aad_object_id, n.kind) for n in await world.outbox.pending() if n.id.endswith(
        ("-leader-before", "-employee"))}  # fmt: skip
    assert told >= {("aad-karen", "follow_up"), (EMPLOYEE.aad_object_id, "employee_update")}
    events = await world.audit.events(case.case_id)
    assert [(e.action, e.role) for e in events][-1] == (Verb.HR_REASSIGN, "hr")


async def test_a_choice_the_name_does_not_mean_is_nobody_and_only_hr_the_case_reached_may(world: World) -> None:
    case = await escalated_case(world)
    service = reassignment(world)

    forged = await service.reassign(HR, case.case_id, "mette", WHY, "aad-anne", "corr")
    assert (forged.outcome.result, forged.outcome.reason) == (Result.INVALID, "leader_not_found")
    assert set(forged.candidates) == set(METTES)
    leader = Actor(LEADER, tenant_id="tenant-1")
    for actor, case_id in ((leader, case.case_id), (HR, "no-such-case"), (HR, "../../etc")):
        refused = await service.reassign(actor, case_id, "Anne Jensen", WHY, None, "corr")
        assert refused.outcome.result is Result.FORBIDDEN and refused.candidates == ()
    refusals = [*await world.audit.events(case.case_id), *await world.audit.unknown_case_events()]
    assert sorted(e.case_id for e in refusals if e.action == "refused") == sorted(
        [case.case_id, "no-such-case", "../../etc"]
    )
    without_reason = await service.reassign(HR, case.case_id, "Anne Jensen", " ", None, "corr")
    assert without_reason.outcome.reason == "reassign_reason_required"
