"""The leader asks Organisation og Personale for advice (Verb.ESCALATE_HR through CaseActions), on in-memory fakes:
it is recorded and HR's card queued only when the directory names someone in the chosen function; otherwise nothing
is recorded and the leader is told why, so neither the card nor the employee says HR has the case."""

from __future__ import annotations

from domain.authorization import Actor
from domain.leader_actions import Verb
from services.case_service import CaseActions, Result
from storage.outbox import HR_CARD
from tests.unit.test_services import DIRECTORY, LEADER, World

JURA = [{"aad_object_id": "aad-hanne", "upn": "hanne@kommune.dk", "name": "Hanne Jura", "function": "jura"}]
ASK = {"message": "Hjælp til brevet"}


async def escalate(function: str) -> tuple[World, Result, str | None]:
    """A filed case's leader asks the function for advice: the world after it, and the action's result."""
    world = World()
    directory = world.organised_as({**DIRECTORY, "hr": JURA})
    actions = CaseActions(world.cases, world.evidence, world.audit, world.clock, directory)
    case = await world.file()
    leader = Actor(LEADER, tenant_id="tenant-1")
    outcome = await actions.perform(leader, Verb.ESCALATE_HR, case.case_id, {**ASK, "function": function}, 1, "c")
    if outcome.result is Result.DONE and outcome.case is not None:
        await world.notifications.after_action(outcome.case, Verb.ESCALATE_HR, [])
    return world, outcome.result, outcome.reason


async def test_a_function_nobody_is_in_is_refused_and_nothing_is_recorded_or_sent() -> None:
    world, result, reason = await escalate("work_environment_coordinator")  # the directory names only Jura

    assert (result, reason) == (Result.INVALID, "hr_function_empty")
    stored = await world.cases.get("c" * 32)
    assert stored is not None and stored.case.handling.hr_escalation is None and stored.case.version == 1
    pending = await world.outbox.pending()
    assert not [n for n in pending if n.kind == HR_CARD]
    assert not [n for n in pending if "Organisation og Personale om råd" in str(n.payload)]


async def test_a_function_someone_is_in_is_recorded_and_hr_gets_the_card() -> None:
    world, result, _ = await escalate("jura")

    assert result is Result.DONE
    cards = [n for n in await world.outbox.pending() if n.kind == HR_CARD]
    assert [n.recipient.aad_object_id for n in cards] == ["aad-hanne"]
