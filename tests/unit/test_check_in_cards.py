"""The employee's check-in card: valid for Teams in Danish and English, wired to the check-in commands, kind
in every state, always with the crisis line and the advice to see one's own doctor, never about the offender."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cards.check_in import check_in_card
from cards.validation import TEAMS_MAX_BYTES, teams_card_problems
from content import SUPPORTED, Texts, texts_for
from domain.case import Case, Incident, Person
from domain.handling import CheckInAnswer
from domain.leader_actions import COMMANDS, Verb
from tests.support.teams import card_elements

CRISIS_LINE = "89 70 12 99"
LANGUAGES = list(SUPPORTED)
CASE_ID = "0123456789abcdef0123456789abcdef"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
EMPLOYEE = Person(user_id="29:employee", name="Mette Hansen", aad_object_id="aad-mette")
LEADER = Person(user_id="29:leader", name="Karen Leder", aad_object_id="aad-karen")
OFFENDER_WORDS = ("krænker", "offender")

Card = dict[str, Any]


def _texts(language: str) -> Texts:
    return texts_for(language, CRISIS_LINE)


def _case(**changes: Any) -> Case:
    case = Case(
        case_id=CASE_ID,
        reference="VAERN-2026-0042",
        subject=EMPLOYEE,
        reporter=EMPLOYEE,
        incident=Incident(description="En borger truede Mette på Facebook."),
        created_at=NOW,
        tenant_id="tenant-1",
        leader=LEADER,
        version=7,
    )
    return case.model_copy(update=changes)


def _answer(score: int, text: str = "", **wishes: bool) -> CheckInAnswer:
    at = NOW + timedelta(days=3)
    return CheckInAnswer(by=EMPLOYEE.user_id, by_name=EMPLOYEE.name, at=at, day=3, score=score, text=text, **wishes)


STATES: dict[str, dict[str, Any]] = {
    "open": {},
    "answered-fine": {"answer": _answer(1)},
    "answered-hard": {"answer": _answer(5, "Jeg sover dårligt.", talk_to_leader=True, professional_help=True)},
    "answered-long-words": {"answer": _answer(3, "Æøå " * 500)},
    "stopped": {"stopped": True},
}


def _card(language: str, state: str, case: Case | None = None) -> Card:
    return check_in_card(_texts(language), case or _case(), 3, **STATES[state])


def _of_type(node: Any, kind: str) -> list[dict[str, Any]]:
    return [element for element in card_elements(node) if element["type"] == kind]


def _inputs(card: Card) -> list[dict[str, Any]]:
    return [element for element in card_elements(card) if element["type"].startswith("Input.")]


def _text(card: Card) -> str:
    return json.dumps(card, ensure_ascii=False)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("state", STATES)
def test_every_state_is_valid_for_teams_with_the_crisis_line_and_the_doctor(state: str, language: str) -> None:
    texts = _texts(language)
    card = _card(language, state)
    assert teams_card_problems(card) == []
    assert len(_text(card).encode("utf-8")) <= TEAMS_MAX_BYTES
    assert CRISIS_LINE in card["body"][-1]["text"]
    assert texts("employee_status.doctor") in _text(card)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("state", STATES)
def test_no_state_speaks_of_the_offender(state: str, language: str) -> None:
    shown = _text(_card(language, state)).lower()
    assert not [word for word in OFFENDER_WORDS if word in shown]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_question_names_the_case_and_asks_on_the_reports_scale(language: str) -> None:
    texts = _texts(language)
    card = _card(language, "open")
    assert card["body"][0]["text"] == texts("check_in.title")
    assert texts("check_in.intro", reference="VAERN-2026-0042", date="25-11-2026") in _text(card)
    score = next(element for element in _inputs(card) if element["id"] == "score")
    assert (score["type"], score["style"], score["isRequired"]) == ("Input.ChoiceSet", "expanded", True)
    assert [(c["value"], c["title"]) for c in score["choices"]] == [
        (str(n), texts(f"impact.scale_{n}")) for n in range(1, 6)
    ]
    toggles = {element["id"]: element["title"] for element in _inputs(card) if element["type"] == "Input.Toggle"}
    assert toggles == {
        "talk_to_leader": texts("check_in.talk_to_leader"),
        "professional_help": texts("check_in.professional_help"),
    }
    assert texts("check_in.who_sees") in _text(card)


@pytest.mark.parametrize("language", LANGUAGES)
def test_answer_and_stop_carry_the_case_its_version_and_the_day(language: str) -> None:
    texts = _texts(language)
    card = _card(language, "open")
    executes = {action["verb"]: action for action in _of_type(card, "Action.Execute")}
    assert set(executes) == {Verb.CHECK_IN, Verb.STOP_CHECK_INS}
    data = {"case_id": CASE_ID, "version": 7, "day": 3}
    assert executes[Verb.CHECK_IN]["data"] == data
    assert executes[Verb.CHECK_IN]["title"] == texts("check_in.send")
    assert executes[Verb.STOP_CHECK_INS]["data"] == data
    assert executes[Verb.STOP_CHECK_INS]["title"] == texts("check_in.stop")
    # stopping needs no score: the required scale must not hold the button back
    assert executes[Verb.STOP_CHECK_INS]["associatedInputs"] == "none"
    assert executes[Verb.CHECK_IN].get("associatedInputs", "auto") == "auto"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_inputs_as_teams_sends_them_make_a_valid_check_in(language: str) -> None:
    """Teams merges the input values into the action's data; the command must accept exactly that."""
    card = _card(language, "open")
    action = next(a for a in _of_type(card, "Action.Execute") if a["verb"] == Verb.CHECK_IN)
    values = {element["id"]: element.get("value", "") for element in _inputs(card)}
    assert set(values) <= COMMANDS[Verb.CHECK_IN].model_fields.keys()
    sent = action["data"] | values | {"score": "4", "text": "Svært", "professional_help": "true"}
    command = COMMANDS[Verb.CHECK_IN].model_validate({key: value for key, value in sent.items() if value != ""})
    assert command.model_dump(include={"day", "score", "talk_to_leader", "professional_help"}) == {
        "day": 3,
        "score": 4,
        "talk_to_leader": False,
        "professional_help": True,
    }
    text_input = next(element for element in _inputs(card) if element["id"] == "text")
    assert text_input["isMultiline"] is True and text_input["maxLength"] == 2000


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_hard_answer_tells_the_employee_their_leader_will_call_and_about_work_injury(language: str) -> None:
    texts = _texts(language)
    card = _card(language, "answered-hard")
    text = _text(card)
    assert card["body"][0]["text"] == texts("check_in.thanks_title")
    facts = {fact["title"]: fact["value"] for fact in _of_type(card, "FactSet")[0]["facts"]}
    assert facts[texts("check_in.your_answer")] == texts("impact.scale_5")
    wishes = f"{texts('check_in.wish_talk_to_leader')}, {texts('check_in.wish_professional_help')}"
    assert facts[texts("check_in.your_wishes")] == wishes
    assert facts[texts("check_in.your_words")] == "Jeg sover dårligt."
    assert texts("check_in.leader_informed") in text
    assert texts("check_in.work_injury") in text
    assert texts("check_in.call_now") in text and CRISIS_LINE in texts("check_in.call_now")
    assert texts("check_in.doing_fine") not in text
    assert not _inputs(card)
    assert [a["verb"] for a in _of_type(card, "Action.Execute")] == [Verb.STOP_CHECK_INS]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wish_to_talk_alone_reaches_the_leader_without_work_injury(language: str) -> None:
    texts = _texts(language)
    card = check_in_card(texts, _case(), 3, answer=_answer(2, talk_to_leader=True))
    text = _text(card)
    assert texts("check_in.leader_informed") in text
    assert texts("check_in.work_injury") not in text
    assert texts("check_in.call_now") not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_fine_answer_is_thanked_without_alarm(language: str) -> None:
    texts = _texts(language)
    card = _card(language, "answered-fine")
    text = _text(card)
    assert texts("check_in.doing_fine") in text
    assert texts("check_in.leader_informed") not in text
    assert texts("check_in.work_injury") not in text
    facts = {fact["title"] for fact in _of_type(card, "FactSet")[0]["facts"]}
    assert facts == {texts("check_in.your_answer")}


@pytest.mark.parametrize("language", LANGUAGES)
def test_long_words_are_shortened_on_the_thank_you(language: str) -> None:
    card = _card(language, "answered-long-words")
    words = _of_type(card, "FactSet")[0]["facts"][-1]["value"]
    assert len(words) == 600 and words.endswith("…")


@pytest.mark.parametrize("language", LANGUAGES)
def test_stopped_confirms_and_names_the_leader_to_talk_to(language: str) -> None:
    texts = _texts(language)
    card = _card(language, "stopped")
    text = _text(card)
    assert card["body"][0]["text"] == texts("check_in.stopped_title")
    assert texts("check_in.stopped", reference="VAERN-2026-0042") in text
    assert texts("check_in.stopped_contact_named", name=LEADER.name) in text
    assert not _inputs(card) and not _of_type(card, "Action.Execute")
    # stopped wins over an answer given earlier
    assert _text(check_in_card(texts, _case(), 3, answer=_answer(5), stopped=True)) == text


@pytest.mark.parametrize("language", LANGUAGES)
def test_stopped_without_a_named_leader_still_points_to_the_leader(language: str) -> None:
    texts = _texts(language)
    card = _card(language, "stopped", _case(leader=None, reference=None))
    text = _text(card)
    assert texts("check_in.stopped_contact") in text
    assert texts("check_in.stopped", reference=CASE_ID[:8]) in text


def test_danish_and_english_cards_differ_only_in_words() -> None:
    danish, english = _card("da", "open"), _card("en", "open")
    assert danish["body"][0]["text"] == "Hvordan har du det nu?"
    assert english["body"][0]["text"] == "How are you now?"
    shape = [(element["type"], element.get("id")) for element in card_elements(danish)]
    assert shape == [(element["type"], element.get("id")) for element in card_elements(english)]
