"""The welcome/help card: what Værn does, the three choices, 112/114 and the crisis line with its opening hours."""

from __future__ import annotations

from typing import Any

from adaptive_cards import card as ac

from cards.common import build_card, heading, paragraph, submit
from cards.markdown import escape_markdown
from content import Texts


def welcome_card(texts: Texts, name: str) -> dict[str, Any]:
    report = submit(texts("welcome.report"), {"command": "report"}, primary=True)
    more = [
        submit(texts("welcome.prevention_button"), {"command": "prevention"}),
        submit(texts("welcome.my_cases"), {"command": "my_cases"}),
    ]
    guides = [
        submit(texts("prevention.removal_button"), {"command": "removal"}),
        submit(texts("prevention.law_button"), {"command": "law"}),
        submit(texts("privacy.button"), {"command": "privacy"}),
    ]
    return build_card(
        texts,
        [
            heading(texts("welcome.title")),
            paragraph(
                f"{texts('welcome.greeting', name=escape_markdown(name))} {texts('welcome.intro')}"
                if name
                else texts("welcome.intro")
            ),
            ac.ActionSet(actions=[report]),
            ac.ActionSet(actions=more),
            ac.ActionSet(actions=guides),
            paragraph(texts("emergency.line"), subtle=True),
        ],
    )
