"""The case's leader's (or deputy's) card: the report (and the employee's closed cases naming the same offender), what
has been done, the EFTER phase and the duties as actions, refreshed per viewer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.case_package import package_button
from cards.common import build_card, paragraph
from cards.leader.forms import _actions_or_closed
from cards.leader.parts import (
    Card,
    _check_in_section,
    _done_section,
    _execute,
    _fact_set,
    _hr_response_section,
    _incident_facts,
    _reference,
    _title_block,
    _with_refresh,
)
from cards.markdown import escape_markdown
from content import Texts
from domain.case import Case
from domain.evidence import EvidenceItem
from domain.leader_actions import OPEN_EVIDENCE


def leader_card(
    texts: Texts,
    case: Case,
    evidence: list[EvidenceItem],
    refresh_user_ids: Sequence[str],
    easy_deadline: date | None = None,
) -> Card:
    """What the case's leader or deputy sees: the report, what has been done (with the EASY deadline once
    absence is recorded, as `domain.follow_ups.FollowUps.easy_deadline` gives it), the employee's latest
    check-in, HR's answer and advice, and the duties as actions."""
    body = [
        _title_block(texts, case, texts("leader.title", reference=_reference(case))),
        paragraph(texts("leader.intro")),
        *_same_offender(texts, case),
        _fact_set(_incident_facts(texts, case, evidence)),
        *_evidence_access(texts, case, evidence),
        *_done_section(texts, case, easy_deadline),
        *_check_in_section(texts, case, for_leader=True),
        *_hr_response_section(texts, case, for_leader=True),
    ]
    card = build_card(texts, body, finished=_actions_or_closed(texts, case))
    return _with_refresh(card, case, refresh_user_ids)


def _same_offender(texts: Texts, case: Case) -> list[Any]:
    """The employee's closed cases that name the same offender (found when this one was filed): reopen one there."""
    if not case.same_offender_closed:
        return []
    references = ", ".join(escape_markdown(reference) for reference in case.same_offender_closed)
    text = texts("leader.same_offender", references=references, count=len(case.same_offender_closed))
    return [paragraph(text, color=act.Colors.ATTENTION)]


def _evidence_access(texts: Texts, case: Case, evidence: list[EvidenceItem]) -> list[Any]:
    """The note that every opening is logged, and the button that opens the evidence through the bot."""
    note = paragraph(texts("leader.evidence_access"), subtle=True)
    actions = [_execute(texts("leader.open_evidence"), OPEN_EVIDENCE, case)] if evidence else []
    return [note, ac.ActionSet(actions=[*actions, package_button(texts, case)])]
