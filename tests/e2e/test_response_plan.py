"""The unit's response plan (beredskabsplan) end to end over HTTP, on both storage backends: a leader makes the plan
card by card, stops and resumes, the safety representative edits it into version 2, an employee reads and exports
it but cannot edit it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.response_plan import QUESTION_KEYS, ResponsePlan
from storage.response_plans import ResponsePlanRepository
from tests.e2e.plan_steps import joined, last_card, press, walk_to_summary
from tests.support.markdown import shown as as_read
from tests.support.organisation import Organisation, UnitPeople
from tests.support.stored import with_backend
from tests.support.teams import TeamsUser, card_elements

CRISIS_LINE = "89 70 12 99"
SECTIONS = (
    "Situation",
    "Alarmering",
    "Opgaver",
    "Handlinger, når det sker",
    "Ansvarlig leder",
    "Bemanding",
    "Kommunikation",
    "Kontakter",
    "Revisionsdato",
)


def stored_plans(bot, unit_id: str) -> list[ResponsePlan]:
    return with_backend(bot, lambda backend: ResponsePlanRepository(backend.documents).history(unit_id))


@pytest.fixture
def people(organisation: Organisation) -> UnitPeople:
    return organisation.next_unit()


def test_leader_makes_the_plan_resumes_it_and_the_amr_saves_version_two(
    bot, new_user: Callable[..., TeamsUser], people: UnitPeople
) -> None:
    leader = new_user(**people.leader.teams_details())
    turn = leader.say("beredskabsplan")
    assert people.unit_name in joined(turn)
    # three answers, then "Gem og stop" on the fourth: nothing saved yet, the draft waits
    for key in QUESTION_KEYS[:3]:
        turn = press(leader, turn, "Næste", plan_answer=f"Leder: {key} – æøå")
    turn = press(leader, turn, "Gem og stop", plan_answer="halvfærdigt svar")
    assert "kladde" in joined(turn)
    assert stored_plans(bot, people.unit_id) == []

    turn = leader.say("beredskabsplan")
    assert "fortsætter" in joined(turn) and "Spørgsmål 4 af 10" in joined(turn)
    values = [e.get("value") for e in card_elements(last_card(turn)) if e["type"] == "Input.Text"]
    assert values == ["halvfærdigt svar"]
    turn = leader.say("tilbage")
    assert "Spørgsmål 3 af 10" in joined(turn)
    turn = press(leader, turn, "Næste")
    for key in QUESTION_KEYS[3:]:
        turn = press(leader, turn, "Næste", plan_answer=f"Leder: {key} – æøå")
    contact_values = [e.get("value") for e in card_elements(last_card(turn)) if e["type"] == "Input.Text"]
    assert people.leader.name in contact_values and people.deputy.name in contact_values
    assert people.colleague.name in contact_values and CRISIS_LINE in contact_values  # the AMR and the crisis line
    turn = press(leader, turn, "Næste")
    turn = press(leader, turn, "Næste")
    turn = press(leader, turn, "Næste")
    assert "gennemse og gem" in joined(turn)
    turn = press(leader, turn, "Gem planen")
    assert "version 1" in joined(turn)

    [first] = stored_plans(bot, people.unit_id)
    assert first.version == 1 and first.updated_by_id == people.leader.aad_object_id
    assert first.answer("prevention") == "Leder: prevention – æøå"
    assert first.answer("findability") == "Leder: findability – æøå"
    assert first.contacts.safety_representative == people.colleague.name

    # the safety representative (the unit's colleague) edits one answer: version 2
    amr = new_user(**people.colleague.teams_details())
    turn = amr.say("beredskabsplan")
    assert "version 1" in joined(turn)
    turn = walk_to_summary(amr, turn, {"prevention": "AMR: ny forebyggelse"})
    turn = press(amr, turn, "Gem planen")
    assert "version 2" in joined(turn)
    first, second = stored_plans(bot, people.unit_id)
    assert second.version == 2 and second.updated_by_id == people.colleague.aad_object_id
    assert "prevention" in second.changed and second.answer("escalation") == first.answer("escalation")


def test_employee_reads_and_exports_the_plan_but_cannot_edit_it(
    bot, new_user: Callable[..., TeamsUser], people: UnitPeople
) -> None:
    employee = new_user(**people.employee.teams_details())
    assert "ingen beredskabsplan endnu" in joined(employee.say("Hvad er vores beredskabsplan?"))

    deputy = new_user(**people.deputy.teams_details())
    turn = walk_to_summary(deputy, deputy.say("beredskabsplan"), {key: f"Aftalt: {key}" for key in QUESTION_KEYS})
    assert "version 1" in joined(press(deputy, turn, "Gem planen"))

    turn = employee.say("Hvad er vores beredskabsplan?")
    shown = joined(turn)
    assert "Aftalt: prevention" in shown and "Version 1" in shown and CRISIS_LINE in shown
    assert "Ret planen" not in shown  # read-only for employees
    turn = press(employee, turn, "Eksportér")
    markdown = joined(turn)
    for section in SECTIONS:
        assert f"## {section}" in markdown, section
    for key in QUESTION_KEYS:
        assert f"Aftalt: {key}" in as_read(markdown)  # what the leaders wrote is escaped Markdown
    assert people.leader.name in markdown and CRISIS_LINE in markdown

    refused = joined(employee.say("beredskabsplan"))
    assert "Kun lederen, stedfortræderen og arbejdsmiljørepræsentanten (AMR)" in refused
    assert len(stored_plans(bot, people.unit_id)) == 1


def test_english_locale_gets_the_plan_in_english(bot, new_user: Callable[..., TeamsUser], people: UnitPeople) -> None:
    leader = new_user(**people.leader.teams_details(), locale="en-US")
    turn = leader.say("response plan")
    assert "Question 1 of 10" in joined(turn)
    assert "What will you do to prevent offensive behaviour?" in joined(turn)
    turn = press(leader, turn, "Save and stop")
    assert "draft" in joined(turn)
