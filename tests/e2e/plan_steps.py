"""Shared steps for beredskabsplan tests: read the cards of a turn, press a card button as Teams does, walk the
plan dialog from the first question to the summary."""

from __future__ import annotations

from typing import Any

from cards.validation import teams_card_problems
from domain.response_plan import QUESTION_KEYS
from tests.support.teams import TeamsUser, card_elements, cards, texts


def joined(turn: list[dict]) -> str:
    return "\n".join(texts(turn))


def last_card(turn: list[dict]) -> dict[str, Any]:
    found = cards(turn)
    assert found, joined(turn)
    for card in found:
        assert teams_card_problems(card) == []
    return found[-1]


def press(user: TeamsUser, turn: list[dict], title: str, **inputs: str) -> list[dict]:
    """Press the button `title` on the last card as Teams does: the card's input values (prefilled, or `inputs`
    typed over them) merged into the button's data."""
    card = last_card(turn)
    values = {e["id"]: e["value"] for e in card_elements(card) if e["type"].startswith("Input.") and "value" in e}
    buttons = [e for e in card_elements(card) if e["type"] == "Action.Submit" and e.get("title") == title]
    assert buttons, f"no button {title!r} in {joined(turn)}"
    return user.submit({**values, **inputs, **buttons[0]["data"]})


def walk_to_summary(user: TeamsUser, turn: list[dict], answers: dict[str, str]) -> list[dict]:
    """From the first question card to the summary, typing `answers` over the prefilled ones."""
    for key in QUESTION_KEYS:
        assert f"Spørgsmål {QUESTION_KEYS.index(key) + 1} af 10" in joined(turn)
        turn = press(user, turn, "Næste", **({"plan_answer": answers[key]} if key in answers else {}))
    assert "Kontaktpersoner" in joined(turn)
    turn = press(user, turn, "Næste")
    assert "Hvem gør hvad, når det sker" in joined(turn)
    turn = press(user, turn, "Næste")
    assert "Revisionsdato" in joined(turn)
    turn = press(user, turn, "Næste")
    assert "gennemse og gem" in joined(turn)
    return turn
