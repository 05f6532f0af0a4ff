"""The unit's response plan (beredskabsplan): domain rules, valid cards in both languages, and the Markdown and
PDF export in the common plan layout."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cards.response_plan import (
    PLAN_EDIT_COMMAND,
    choose_unit_card,
    contacts_card,
    plan_card,
    question_card,
    revision_card,
    roles_card,
    summary_card,
)
from cards.response_plan_text import plan_markdown
from cards.validation import teams_card_problems
from content import SUPPORTED, Texts, texts_for
from dialogs.response_plan import markdown_messages, pick_unit
from domain.response_plan import (
    LAYOUT,
    MAX_ANSWER,
    MAX_ROLE,
    QUESTION_KEYS,
    Contacts,
    PlanError,
    ResponsePlan,
    RolesWhenItHappens,
    changed_fields,
    check_revision_date,
    may_read,
    who_may_edit,
)
from exports.response_plan import plan_pdf
from services.roles import Unit
from tests.support.markdown import shown
from tests.support.teams import card_elements
from tests.support.turns import RecordingTurn, message

CRISIS_LINE = "89 70 12 99"
LANGUAGES = list(SUPPORTED)
TODAY = date(2026, 3, 14)
UNIT = Unit(
    id="unit-x",
    name="Jobcenter Syd",
    leader="aad-leader",
    deputy="aad-deputy",
    safety_representatives=["aad-amr"],
    work_environment_group=["aad-amr", "aad-group"],
)

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (Debian poppler-utils) is not installed"
)


def _texts(language: str) -> Texts:
    return texts_for(language, CRISIS_LINE)


def plan(**changes: Any) -> ResponsePlan:
    values: dict[str, Any] = {
        "unit_id": UNIT.id,
        "unit_name": "Børne- og Ungeafdelingen Ørsted",
        "answers": {key: f"Svar på {key}: vi aftaler det i MED – æøå ÆØÅ" for key in QUESTION_KEYS},
        "contacts": Contacts(
            leader="Søren Ærø",
            deputy="Åse Øster",
            safety_representative="Bjørn Kræn",
            hr="Organisation og Personale",
            crisis_line=CRISIS_LINE,
        ),
        "roles_when_it_happens": RolesWhenItHappens(
            alarm="Medarbejderen ringer til lederen",
            responsible_leader="Søren Ærø",
            staffing="Kollega overtager borgerkontakten",
            communication="Lederen orienterer personalemødet",
        ),
        "revision_date": TODAY + timedelta(days=365),
        "version": 2,
        "updated_by": "Søren Ærø",
        "updated_by_id": "aad-leader",
        "updated_at": datetime(2026, 3, 14, 9, 30, tzinfo=UTC),
    }
    values.update(changes)
    return ResponsePlan(**values)


def _assert_valid(card: dict[str, Any]) -> None:
    assert teams_card_problems(card) == []
    assert "actions" not in card  # every button sits in an ActionSet in the body
    for element in card_elements(card):
        if element.get("type") == "ActionSet":
            assert len(element["actions"]) <= 2, element
    assert CRISIS_LINE in str(card)


# --- domain -------------------------------------------------------------------------------------------------------


def test_the_ten_questions_follow_the_guideline_order() -> None:
    assert len(QUESTION_KEYS) == 10 == len(set(QUESTION_KEYS))
    assert QUESTION_KEYS[0] == "prevention" and QUESTION_KEYS[-1] == "offender_handling"
    danish = _texts("da")
    assert danish("plan_questions.prevention").startswith("Hvilke tiltag skal tages for at forebygge")
    assert "genkende og finde" in danish("plan_questions.findability")
    assert "navneskilte" in danish("plan_questions.findability")


def test_the_layout_places_every_question_exactly_once() -> None:
    placed = [field for _, fields in LAYOUT for field in fields if field in QUESTION_KEYS]
    assert sorted(placed) == sorted(QUESTION_KEYS)
    assert [section for section, _ in LAYOUT] == [
        "situation",
        "alarm",
        "tasks",
        "actions",
        "responsible_leader",
        "staffing",
        "communication",
        "contacts",
        "revision",
    ]


@pytest.mark.parametrize(
    ("aad", "edits"),
    [("aad-leader", True), ("aad-deputy", True), ("aad-amr", True), ("aad-group", False), ("aad-other", False)],
)
def test_leader_deputy_and_safety_representative_may_edit(aad: str, edits: bool) -> None:
    assert who_may_edit(UNIT, aad) is edits


def test_employees_of_the_unit_read_but_others_do_not() -> None:
    assert may_read(UNIT, "aad-employee", UNIT.id)
    assert not who_may_edit(UNIT, "aad-employee")
    assert not may_read(UNIT, "aad-stranger", "unit-y")
    assert not may_read(UNIT, None, UNIT.id)
    assert not who_may_edit(UNIT, None)


def test_the_revision_date_must_lie_in_the_future_within_three_years() -> None:
    assert check_revision_date(TODAY + timedelta(days=1), TODAY) == TODAY + timedelta(days=1)
    for past in (TODAY, TODAY - timedelta(days=1)):
        with pytest.raises(PlanError, match="not_future"):
            check_revision_date(past, TODAY)
    with pytest.raises(PlanError, match="too_far"):
        check_revision_date(TODAY + timedelta(days=4 * 365), TODAY)


def test_answers_are_capped_and_only_known_questions_are_accepted() -> None:
    assert plan(answers={"prevention": "x" * MAX_ANSWER}).answer("prevention") == "x" * MAX_ANSWER
    with pytest.raises(ValidationError):
        plan(answers={"prevention": "x" * (MAX_ANSWER + 1)})
    with pytest.raises(ValidationError):
        plan(answers={"the_weather": "sunny"})
    with pytest.raises(ValidationError):
        plan(roles_when_it_happens=RolesWhenItHappens(alarm="x" * (MAX_ROLE + 1)))
    assert plan(answers={"prevention": "   "}).answers == {}  # blank answers are not kept


def test_changed_fields_names_what_a_new_version_changed() -> None:
    before = plan()
    after = plan(
        answers={**before.answers, "workflow": "Ny arbejdsgang"},
        contacts=before.contacts.model_copy(update={"hr": "Jura"}),
        revision_date=before.revision_date + timedelta(days=10),
    )
    assert changed_fields(before, after) == ["workflow", "contacts.hr", "revision_date"]
    assert "prevention" in changed_fields(None, before)
    assert changed_fields(before, before) == []


def test_the_revision_is_due_on_and_after_its_date() -> None:
    current = plan(revision_date=TODAY)
    assert current.revision_due(TODAY)
    assert not current.revision_due(TODAY - timedelta(days=1))


# --- cards --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_question_card_is_valid_and_prefilled(language: str) -> None:
    texts = _texts(language)
    for key in QUESTION_KEYS:
        card = question_card(texts, "Jobcenter Syd", key, f"svar {key}")
        _assert_valid(card)
        inputs = [e for e in card_elements(card) if e.get("type") == "Input.Text"]
        assert inputs[0]["value"] == f"svar {key}" and inputs[0]["isMultiline"] is True
        data = [a["data"] for e in card_elements(card) if e.get("type") == "ActionSet" for a in e["actions"]]
        assert {d["plan_action"] for d in data} == (
            {"next", "stop"} if key == "prevention" else {"next", "back", "stop"}
        )
        assert all(d["step"] == key for d in data)


@pytest.mark.parametrize("language", LANGUAGES)
def test_contacts_roles_and_revision_cards_are_valid(language: str) -> None:
    texts, current = _texts(language), plan()
    _assert_valid(contacts_card(texts, current.unit_name, current.contacts))
    _assert_valid(roles_card(texts, current.unit_name, current.roles_when_it_happens))
    card = revision_card(texts, current.unit_name, TODAY + timedelta(days=365), TODAY)
    _assert_valid(card)
    date_input = next(e for e in card_elements(card) if e.get("type") == "Input.Date")
    assert date_input["value"] == (TODAY + timedelta(days=365)).isoformat()
    assert date_input["min"] == (TODAY + timedelta(days=1)).isoformat()


@pytest.mark.parametrize("language", LANGUAGES)
def test_summary_and_plan_cards_stay_valid_with_the_longest_answers(language: str) -> None:
    texts = _texts(language)
    longest = plan(
        answers={key: "æ" * MAX_ANSWER for key in QUESTION_KEYS},
        roles_when_it_happens=RolesWhenItHappens(**{k: "ø" * MAX_ROLE for k in RolesWhenItHappens.model_fields}),
    )
    _assert_valid(summary_card(texts, longest))
    _assert_valid(plan_card(texts, longest, today=TODAY, can_edit=True, saved_on=TODAY))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_plan_card_shows_an_overdue_revision_and_edit_only_to_editors(language: str) -> None:
    texts = _texts(language)
    overdue = plan(revision_date=TODAY - timedelta(days=3))
    for can_edit in (True, False):
        card = plan_card(texts, overdue, today=TODAY, can_edit=can_edit, saved_on=TODAY)
        _assert_valid(card)
        commands = [
            a["data"]["command"] for e in card_elements(card) if e.get("type") == "ActionSet" for a in e["actions"]
        ]
        assert commands == (["plan_export", "plan_edit"] if can_edit else ["plan_export"])
        assert (TODAY - timedelta(days=3)).strftime("%d-%m-%Y") in str(card)


def test_the_plan_cards_buttons_name_the_plans_unit() -> None:
    card = plan_card(_texts("da"), plan(), today=TODAY, can_edit=True, saved_on=TODAY)
    data = [a["data"] for e in card_elements(card) if e.get("type") == "ActionSet" for a in e["actions"]]
    assert [d["unit_id"] for d in data] == [UNIT.id, UNIT.id]


# --- the choice of unit for someone with a plan role in several --------------------------------------------------

NORTH = UNIT.model_copy(update={"id": "unit-north", "name": "Jobcenter Nord"})


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_unit_choice_card_has_one_button_per_unit(language: str) -> None:
    card = choose_unit_card(_texts(language), [(UNIT.id, UNIT.name), (NORTH.id, NORTH.name)], PLAN_EDIT_COMMAND)
    _assert_valid(card)
    buttons = [a for e in card_elements(card) if e.get("type") == "ActionSet" for a in e["actions"]]
    assert [(b["title"], b["data"]) for b in buttons] == [
        (UNIT.name, {"command": PLAN_EDIT_COMMAND, "unit_id": UNIT.id}),
        (NORTH.name, {"command": PLAN_EDIT_COMMAND, "unit_id": NORTH.id}),
    ]


async def _pick(units: list[Unit], value: dict[str, Any] | None = None) -> tuple[Unit | None, list[tuple[str, Any]]]:
    turn = RecordingTurn(message("beredskabsplan", value=value, locale="da-DK"))
    return await pick_unit(turn, _texts("da"), units, PLAN_EDIT_COMMAND), turn.sent


async def test_with_several_units_and_none_named_a_card_asks_which() -> None:
    chosen, sent = await _pick([UNIT, NORTH])
    assert chosen is None and len(sent) == 1
    kind, card = sent[0]
    assert kind == "card"
    assert "Jobcenter Syd" in str(card) and "Jobcenter Nord" in str(card)


async def test_the_named_unit_is_taken_and_a_single_unit_needs_no_question() -> None:
    assert await _pick([UNIT, NORTH], {"command": PLAN_EDIT_COMMAND, "unit_id": NORTH.id}) == (NORTH, [])
    assert await _pick([UNIT]) == (UNIT, [])
    assert await _pick([]) == (None, [])


async def test_a_unit_that_is_not_among_the_persons_is_never_taken() -> None:
    chosen, sent = await _pick([UNIT, NORTH], {"command": PLAN_EDIT_COMMAND, "unit_id": "someone-elses-unit"})
    assert chosen is None and len(sent) == 1  # asked again, from their own units only
    assert await _pick([UNIT], {"unit_id": "someone-elses-unit"}) == (UNIT, [])


# --- export -------------------------------------------------------------------------------------------------------


def _section_titles(texts: Texts) -> list[str]:
    return [texts(f"plan_export.section_{section}") for section, _ in LAYOUT]


@pytest.mark.parametrize("language", LANGUAGES)
def test_markdown_has_every_section_in_layout_order_and_every_answer(language: str) -> None:
    texts, current = _texts(language), plan()
    markdown = plan_markdown(texts, current)
    positions = [markdown.index(f"## {title}") for title in _section_titles(texts)]
    assert positions == sorted(positions)
    for key in QUESTION_KEYS:
        assert texts(f"plan_questions.{key}") in markdown
        assert current.answer(key) in shown(markdown)
    for value in (*current.contacts.model_dump().values(), *current.roles_when_it_happens.model_dump().values()):
        assert value in shown(markdown)
    assert current.revision_date.strftime("%d-%m-%Y") in markdown
    assert CRISIS_LINE in markdown
    assert texts("plan_card.draft_marker") not in markdown
    assert texts("plan_card.draft_marker") in plan_markdown(texts, current, draft=True)


def test_markdown_marks_unanswered_questions_and_defuses_headings_in_answers() -> None:
    texts = _texts("da")
    markdown = plan_markdown(texts, plan(answers={"prevention": "# Ikke en overskrift\nlinje to"}))
    assert "\\# Ikke en overskrift  \nlinje to" in markdown
    assert markdown.count(texts("plan_export.not_answered")) == len(QUESTION_KEYS) - 1


def test_long_markdown_is_split_between_sections() -> None:
    texts = _texts("da")
    markdown = plan_markdown(texts, plan(answers={key: "æ" * MAX_ANSWER for key in QUESTION_KEYS}))
    messages = markdown_messages(markdown, limit=5000)
    assert len(messages) > 1
    assert all(len(message) <= 5000 for message in messages)
    assert "".join(messages).replace("## ", "").replace("\n", "") == markdown.replace("## ", "").replace("\n", "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_pdf_is_a_pdf(language: str) -> None:
    assert plan_pdf(_texts(language), plan()).startswith(b"%PDF-")


@needs_pdftotext
@pytest.mark.parametrize("language", LANGUAGES)
def test_pdf_text_has_every_section_and_danish_letters(language: str, tmp_path: Path) -> None:
    texts = _texts(language)
    path = tmp_path / "plan.pdf"
    path.write_bytes(plan_pdf(texts, plan()))
    extracted = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    text = " ".join(extracted.stdout.decode("utf-8").split())
    for title in _section_titles(texts):
        assert title in text
    assert "Børne- og Ungeafdelingen Ørsted" in text
    assert "æøå ÆØÅ" in text
    assert "Søren Ærø" in text and "Åse Øster" in text
    assert CRISIS_LINE in text
