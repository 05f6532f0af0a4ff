"""The welcome/help card: what Værn does, the menu, 112/114 and the crisis line with its opening hours.

The menu: report first (the one primary button), then the person's own cases and the unit's beredskabsplan
(the guideline: always follow the local plan), the advice before anything happens (safe behaviour online,
working with the citizen), the guides (removal, the law) and the privacy notice. Buttons two to a row, so no
title is cut on a phone; each sends a `command` the handler routes (bot/handler.py).
"""

from __future__ import annotations

from typing import Any

from adaptive_cards import card as ac

from cards.common import build_card, heading, paragraph, submit
from cards.guidance import CITIZEN_COMMAND, LAW_COMMAND, PREVENTION_COMMAND, REMOVAL_COMMAND, REPORT_COMMAND
from cards.markdown import escape_markdown
from cards.my_cases import MY_CASES_COMMAND
from cards.privacy import PRIVACY_COMMAND
from cards.response_plan import PLAN_SHOW_COMMAND
from content import Texts


def welcome_card(texts: Texts, name: str) -> dict[str, Any]:
    rows = [
        [submit(texts("welcome.report"), {"command": REPORT_COMMAND}, primary=True)],
        [
            submit(texts("welcome.my_cases"), {"command": MY_CASES_COMMAND}),
            submit(texts("welcome.plan_button"), {"command": PLAN_SHOW_COMMAND}),
        ],
        [
            submit(texts("welcome.prevention_button"), {"command": PREVENTION_COMMAND}),
            submit(texts("welcome.citizen_button"), {"command": CITIZEN_COMMAND}),
        ],
        [
            submit(texts("prevention.removal_button"), {"command": REMOVAL_COMMAND}),
            submit(texts("prevention.law_button"), {"command": LAW_COMMAND}),
        ],
        [submit(texts("privacy.button"), {"command": PRIVACY_COMMAND})],
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
            *(ac.ActionSet(actions=row) for row in rows),
            paragraph(texts("emergency.line"), subtle=True),
        ],
    )
