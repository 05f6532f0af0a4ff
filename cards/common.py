"""Pieces every card shares: the card frame (schema 1.5, full width), headings, and the crisis-line footer."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act
from pydantic import BaseModel

from content import Texts

CARD_VERSION = "1.5"
ATTACHMENT_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def heading(text: str) -> ac.TextBlock:
    return ac.TextBlock(text=text, wrap=True, size=act.FontSize.MEDIUM, weight=act.FontWeight.BOLDER)


def paragraph(text: str, *, subtle: bool = False, color: act.Colors | None = None) -> ac.TextBlock:
    return ac.TextBlock(text=text, wrap=True, is_subtle=subtle or None, color=color)


def crisis_footer(texts: Texts) -> ac.TextBlock:
    """The HR crisis line, shown on every card (guideline: EFTER, psykisk førstehjælp)."""
    return ac.TextBlock(
        text=f"☎ {texts('common.crisis_line')}",
        wrap=True,
        size=act.FontSize.SMALL,
        separator=True,
        spacing=act.Spacing.MEDIUM,
    )


def submit(title: str, data: dict[str, Any], *, primary: bool = False) -> ac.ActionSubmit:
    return ac.ActionSubmit(title=title, data=data, style=act.ActionStyle.POSITIVE if primary else None)


def open_url(title: str, url: str) -> ac.ActionOpenUrl:
    """A button that opens a web page (a public service's form or advice); the url comes from content."""
    return ac.ActionOpenUrl(title=title, url=url)


def choices(pairs: Sequence[tuple[str, str]]) -> list[ac.InputChoice]:
    return [ac.InputChoice(title=title, value=value) for value, title in pairs]


def prepare_card_models() -> int:
    """Build the validators of every adaptive-cards model now, at start-up, instead of on first use.

    The library's models have forward references, so pydantic builds each one's schema the first time it is
    used: 20 ms for a TextBlock, 40 ms for the first question card, 85 ms for the first leader card, about
    0.36 s for all 26. Done here, the first people after a start do not wait for it, and the schemas exist
    before `bot/gc_tuning.py` freezes start-up objects, so the collector never walks them. Returns how many
    models were built.
    """
    built = 0
    for model in vars(ac).values():
        is_card_model = inspect.isclass(model) and issubclass(model, BaseModel) and model.__module__ == ac.__name__
        if is_card_model and not model.__pydantic_complete__:
            model.model_rebuild()
            built += 1
    return built


def card_json(card: ac.AdaptiveCard) -> dict[str, Any]:
    """The card as `json.loads(card.to_json())` gives it (enums as their values, no None fields, camelCase
    names), without the JSON text in between: 60 -> 46 us for a report question, 648 -> 518 us for the
    leader's card (tests/unit/test_cards.py compares both on every sample card). Not `card.to_dict()`: that
    keeps enum objects, which the Bot Framework serialiser would send as "FontSize.MEDIUM" instead of "medium".
    """
    return element_json(card)


def element_json(element: BaseModel) -> dict[str, Any]:
    """One card element as `card_json` writes it inside a card."""
    return element.model_dump(mode="json", exclude_none=True, by_alias=True, warnings=False)


def build_card(
    texts: Texts,
    body: Sequence[Any],
    actions: Sequence[Any] = (),
    *,
    with_crisis_line: bool = True,
    finished: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Assemble a Teams card as a dict ready to send; the crisis line closes every card. `finished`: elements
    already in JSON (`element_json`, or memoised), placed after `body`."""
    items = [*body, crisis_footer(texts)] if with_crisis_line else list(body)
    builder = ac.AdaptiveCard.new().version(CARD_VERSION).add_items(items)
    if actions:
        builder = builder.add_actions(list(actions))
    card = card_json(builder.create())
    if finished:
        at = len(body)
        card["body"][at:at] = finished
    card["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json"
    card["msteams"] = {"width": "Full"}
    return card
