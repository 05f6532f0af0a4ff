"""The privacy notice end to end over HTTP: shown once at a person's first contact, before the answer (and before a
report's first question), again whenever they ask ("privatliv", "privacy", the welcome card's button), in their own
language."""

from __future__ import annotations

from collections.abc import Callable

from cards.validation import teams_card_problems
from tests.support.teams import TeamsUser, cards

TITLE_DA = "Sådan passer Værn på dine oplysninger"
TITLE_EN = "How Værn looks after your information"


def notices(turn: list[dict], title: str = TITLE_DA) -> list[dict]:
    found = [card for card in cards(turn) if title in str(card)]
    for card in found:
        assert teams_card_problems(card) == []
    return found


def test_the_first_message_gets_the_notice_once_and_asking_shows_it_again(user: TeamsUser) -> None:
    first = user.say("hej")
    assert len(notices(first)) == 1
    assert "Datatilsynet" in str(notices(first)[0]) and "89 70 12 99" in str(first)
    assert cards(first)[0] is notices(first)[0] and TITLE_DA not in str(cards(first)[-1])  # the answer stays last
    assert notices(user.say("hej")) == []
    assert len(notices(user.say("privatliv"))) == 1
    assert len(notices(user.submit({"command": "privacy"}))) == 1


def test_the_welcome_card_offers_the_notice(user: TeamsUser) -> None:
    welcome = user.say("hjælp")
    assert any(
        action.get("data", {}).get("command") == "privacy" for card in cards(welcome) for action in _actions(card)
    )


def test_a_report_at_first_contact_gets_the_notice_before_its_first_question(user: TeamsUser) -> None:
    started = user.say("anmeld")
    assert len(notices(started)) == 1  # informed before anything is asked or stored
    assert cards(started)[0] is notices(started)[0] and TITLE_DA not in str(cards(started)[-1])
    assert notices(user.say("annuller")) == []


def test_english_gets_the_english_notice(new_user: Callable[..., TeamsUser]) -> None:
    person = new_user(locale="en-GB")
    assert len(notices(person.say("privacy"), TITLE_EN)) == 1


def _actions(card: dict) -> list[dict]:
    found: list[dict] = []
    pending: list[object] = [card]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if item.get("type") == "Action.Submit":
                found.append(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found
