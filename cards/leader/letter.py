"""The letter the leader may send the offender: in the card as a template (links that fit), and as plain text
(`offender_letter`); signed for the organisation the texts name (ORGANISATION_NAME)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.common import paragraph
from cards.markdown import escape_markdown
from content import Texts
from domain.case import Case

LETTER_LINKS_BUDGET = 2500  # characters of links shown in the card's letter template


def _links_within(links: Sequence[str], budget: int) -> list[str]:
    """The first links whose combined length fits the budget (the card has a 28 KB limit)."""
    kept: list[str] = []
    for link in links:
        if sum(map(len, kept)) + len(link) > budget:
            break
        kept.append(link)
    return kept


def _letter_block(texts: Texts, case: Case) -> list[Any]:
    """The letter template inside the card, with as many links as fit; the full text is `offender_letter`."""
    links = _links_within(case.incident.links, LETTER_LINKS_BUDGET)
    leader_name = escape_markdown(case.leader.name if case.leader else "") or texts("letter.leader_unknown")
    letter = _letter(texts, case, leader_name, links, written=escape_markdown)
    items: list[Any] = [ac.TextBlock(text=texts("actions.letter_title"), weight=act.FontWeight.BOLDER, wrap=True)]
    items += [paragraph(part) for part in letter.split("\n\n")]
    if len(links) < len(case.incident.links):
        note = texts("actions.letter_links_cut", shown=len(links), count=len(case.incident.links))
        items.append(paragraph(note, subtle=True))
    return [ac.Container(items=items, style=act.ContainerStyle.EMPHASIS)]


# --- texts ------------------------------------------------------------------------------------------------
def _letter(
    texts: Texts,
    case: Case,
    leader_name: str,
    links: Sequence[str],
    written: Callable[[str], str] = str,
    organisation: str | None = None,
) -> str:
    """The letter, signed for the organisation the texts name (`content.texts_for`) unless `organisation` is given;
    `written` is applied to every text someone wrote (names, links) before it goes in."""
    offender = case.incident.offender
    name = written(offender.name)
    greeting = texts("letter.greeting_named", name=name) if offender.name else texts("letter.greeting_unknown")
    employee = written(case.subject.name) or texts("letter.employee_unknown")
    if links:
        removal = texts("letter.removal_links", links="\n".join(f"- {written(link)}" for link in links))
    else:
        removal = texts("letter.removal_general")
    return texts(
        "letter.body",
        greeting=greeting,
        **({"organisation": organisation} if organisation else {}),
        employee=employee,
        removal=removal,
        leader_name=leader_name,
    ).strip()


def offender_letter(texts: Texts, case: Case, leader_name: str, organisation: str | None = None) -> str:
    """The letter or mail the leader may send the offender: stop, remove the posts (all the case's links),
    continued harassment may be reported to the police. Names the employee only if the case has the name;
    never phone numbers or witnesses."""
    return _letter(texts, case, leader_name, case.incident.links, organisation=organisation)
