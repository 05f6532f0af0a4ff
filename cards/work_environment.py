"""The anonymised summary the unit's arbejdsmiljøgruppe analyses: what kind of harassment, where, how it
was handled — no names, no description, no links, no evidence (domain.work_environment.anonymised_summary). The
group records its analysis in the Overblik tab."""

from __future__ import annotations

from typing import Any

from adaptive_cards import card as ac

from cards.common import build_card, heading, paragraph
from content import Texts
from domain.case import Case
from domain.work_environment import anonymised_summary


def anonymised_facts(texts: Texts, case: Case) -> list[tuple[str, str]]:
    summary = anonymised_summary(case)
    missing = texts("summary.not_given")
    facts = [
        (texts("work_environment.month"), summary.month),
        (texts("summary.kinds"), ", ".join(texts(f"kinds.{kind}") for kind in summary.kinds) or missing),
        (texts("summary.channel"), texts(f"channel.{summary.channel}") if summary.channel else missing),
    ]
    if summary.during_work_hours is not None:
        context = "summary.during_work" if summary.during_work_hours else "summary.outside_work"
        facts.append((texts("summary.context"), texts(context)))
    if summary.colleagues_targeted:
        facts.append((texts("work_environment.colleagues"), texts("common.yes")))
    done = [texts(f"work_environment.done_{name}") for name in summary.done]
    facts.append((texts("work_environment.done"), ", ".join(done) or missing))
    return facts


def anonymised_summary_card(texts: Texts, case: Case) -> dict[str, Any]:
    facts = [ac.Fact(title=title, value=value) for title, value in anonymised_facts(texts, case)]
    return build_card(
        texts,
        [
            heading(texts("work_environment.title")),
            paragraph(texts("work_environment.intro")),
            ac.FactSet(facts=facts),
            paragraph(texts("work_environment.ask"), subtle=True),
        ],
    )
