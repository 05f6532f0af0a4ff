"""The memoised cards (cards/memo.py) are byte for byte the cards a fresh build gives, each call hands out its
own copy, a person's own words are never kept, and the memo stays bounded."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cards import guidance, report
from cards.memo import CARDS_PER_BUILDER, clear_card_memos, memoised_cards
from content import SUPPORTED, Texts, texts_for
from domain.case import Channel, HarassmentKind, OffenderRelation

Card = dict[str, Any]
CRISIS_LINE = "89 70 12 99"

CALLS: dict[str, tuple[Callable[..., Card], tuple[Any, ...]]] = {
    "safety": (report.safety_card, ()),
    "subject": (report.subject_card, ()),
    "kinds-none": (report.kinds_card, ([],)),
    "kinds-two": (report.kinds_card, ([HarassmentKind.THREATS.value, HarassmentKind.FAKE_PROFILE.value],)),
    "context-empty": (report.context_card, (None, None)),
    "context-answered": (report.context_card, (True, False)),
    "channel-empty": (report.channel_card, (None,)),
    "channel-chosen": (report.channel_card, (Channel.SMS.value,)),
    "when": (report.when_card, ("2026-11-24",)),
    "description-empty": (report.description_card, ("",)),
    "description-filled": (report.description_card, ("Han skrev igen i aftes.",)),
    "offender-empty": (report.offender_card, ("", "", OffenderRelation.UNKNOWN.value, "")),
    "offender-relation": (report.offender_card, ("", "", OffenderRelation.PARENT.value, "")),
    "offender-filled": (report.offender_card, ("Ole", "@ole", OffenderRelation.PARENT.value, "")),
    "offender-on-behalf": (report.offender_card, ("", "", OffenderRelation.UNKNOWN.value, "Mette Hansen")),
    "links-empty": (report.links_card, ([],)),
    "links-filled": (report.links_card, (["https://example.com/a", "https://example.com/b"],)),
    "witnesses-empty": (report.witnesses_card, ([],)),
    "witnesses-added": (report.witnesses_card, (["Lars Nielsen", "Sofie Berg"],)),
    "impact-empty": (report.impact_card, (None,)),
    "impact-chosen": (report.impact_card, (3,)),
    "evidence-none": (report.evidence_card, (0,)),
    "evidence-some": (report.evidence_card, (3,)),
    "prevention": (guidance.prevention_card, ()),
    "removal-overview": (guidance.removal_overview_card, ()),
    **{f"removal-{platform}": (guidance.removal_platform_card, (platform,)) for platform in guidance.PLATFORMS},
    "law": (guidance.law_card, ()),
}
OWN_WORDS = ["description-filled", "offender-filled", "offender-on-behalf", "links-filled", "witnesses-added"]


@pytest.fixture(autouse=True)
def empty_memos() -> Iterator[None]:
    clear_card_memos()
    yield
    clear_card_memos()


def _texts(language: str, crisis_line: str = CRISIS_LINE) -> Texts:
    return texts_for(language, crisis_line)


def _text(card: Card) -> str:
    return json.dumps(card, ensure_ascii=False)


@pytest.mark.parametrize("language", SUPPORTED)
@pytest.mark.parametrize("name", CALLS)
def test_a_memoised_card_is_the_card_a_fresh_build_gives(language: str, name: str) -> None:
    builder, args = CALLS[name]
    fresh = _text(inspect.unwrap(builder)(_texts(language), *args))
    assert _text(builder(_texts(language), *args)) == fresh
    assert _text(builder(_texts(language), *args)) == fresh  # from the memo, with a new Texts as each turn has


def test_the_memo_tells_languages_crisis_lines_and_arguments_apart() -> None:
    danish, english = report.safety_card(_texts("da")), report.safety_card(_texts("en"))
    other_line = report.safety_card(_texts("da", "70 10 20 30"))
    assert danish != english
    assert CRISIS_LINE in _text(danish) and "70 10 20 30" in _text(other_line) and CRISIS_LINE not in _text(other_line)
    assert report.context_card(_texts("da"), True, None) != report.context_card(_texts("da"), None, None)
    assert report.impact_card(_texts("da"), 1) != report.impact_card(_texts("da"), True)  # type: ignore[arg-type]
    assert memoised_cards() == 7


def test_each_call_hands_out_its_own_copy() -> None:
    texts = _texts("da")
    first = guidance.removal_overview_card(texts)
    expected = _text(first)
    first["body"].append({"type": "TextBlock", "text": "changed"})
    first["body"][0]["text"] = "changed"
    first["msteams"]["width"] = "auto"
    second = guidance.removal_overview_card(texts)
    assert _text(second) == expected
    assert second is not first and second["body"] is not first["body"]


def test_cards_with_the_persons_own_words_are_not_kept() -> None:
    for name in OWN_WORDS:
        builder, args = CALLS[name]
        builder(_texts("da"), *args)
    assert memoised_cards() == 0


def test_the_memo_is_bounded_per_builder() -> None:
    texts = _texts("da")
    for count in range(3 * CARDS_PER_BUILDER):
        assert report.evidence_card(texts, count) == inspect.unwrap(report.evidence_card)(texts, count)
    assert memoised_cards() == CARDS_PER_BUILDER


def test_an_unknown_platform_still_raises() -> None:
    with pytest.raises(KeyError):
        guidance.removal_platform_card(_texts("da"), "myspace")
    assert memoised_cards() == 0
