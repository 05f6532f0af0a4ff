"""The anonymised summary the unit's arbejdsmiljøgruppe analyses: what kind of harassment, where, how it
was handled — no names, no description, no links, no evidence."""

from __future__ import annotations

from typing import Any

from adaptive_cards import card as ac

from cards.common import build_card, heading, paragraph
from content import Texts
from domain.case import Case


def anonymised_facts(texts: Texts, case: Case) -> list[tuple[str, str]]:
    incident, handling = case.incident, case.handling
    missing = texts("summary.not_given")
    month = case.created_at.strftime("%m-%Y")
    facts = [
        (texts("work_environment.month"), month),
        (texts("summary.kinds"), ", ".join(texts(f"kinds.{k.value}") for k in incident.kinds) or missing),
        (texts("summary.channel"), texts(f"channel.{incident.channel.value}") if incident.channel else missing),
    ]
    if incident.during_work_hours is not None:
        facts.append(
            (
                texts("summary.context"),
                texts("summary.during_work" if incident.during_work_hours else "summary.outside_work"),
            )
        )
    if incident.colleagues_targeted:
        facts.append((texts("work_environment.colleagues"), texts("common.yes")))
    done = [
        texts(f"work_environment.done_{name}")
        for name, happened in (
            ("offender_contacted", bool(handling.offender_contacts)),
            ("restrictions", handling.restrictions is not None),
            ("removal", bool(handling.removals)),
            ("police", handling.police is not None and handling.police.employee_decided_to_report),
            ("safetynet", handling.safetynet is not None),
        )
        if happened
    ]
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
