"""Organisation og Personale's card on an escalated case: why it came, what is overdue, and HR's own actions beside the
leader's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.access_log import hr_access_section
from cards.common import build_card, paragraph
from cards.leader.forms import _actions_or_closed, _show_card_rows
from cards.leader.leader_view import _evidence_access
from cards.leader.parts import (
    NOTE_LIMIT,
    Card,
    Facts,
    _check_in_section,
    _done_section,
    _evidence_text,
    _execute,
    _fact_set,
    _hr_response_section,
    _reference,
    _shown,
    _step,
    _title_block,
    _with_refresh,
)
from cards.summary import format_time
from content import Texts
from domain.access_log import AccessEntry
from domain.case import Case, CaseStatus
from domain.evidence import EvidenceItem
from domain.follow_ups import OVERDUE_KINDS, JobKind
from domain.handling import (
    HrEscalation,
)
from domain.leader_actions import Verb
from domain.responsibility import NO_LEADER, waits_for_a_leader
from domain.urgency import URGENT

HR_SKIPS = frozenset({Verb.ACKNOWLEDGE, Verb.ESCALATE_HR, Verb.REOPEN})  # the leader's own, or HR asking itself


# --- HR -------------------------------------------------------------------------------------------------
def hr_automatic_reason(texts: Texts, escalation: HrEscalation) -> str:
    """Why Værn escalated on its own, in words (a general text for a reason it does not know)."""
    key = f"hr.reason_{escalation.automatic_reason}"
    return texts(key) if escalation.automatic_reason and texts.has(key) else texts("hr.reason_other")


def _escalation_facts(texts: Texts, escalation: HrEscalation) -> Facts:
    """Why HR has the case: the leader's request (function, message, who and when), or Værn's own reason."""
    if escalation.function is None:
        return [
            (texts("hr.why"), hr_automatic_reason(texts, escalation)),
            (texts("hr.sent"), format_time(escalation.at, texts)),
        ]
    requested = texts("handling.by_at", name=_shown(escalation.by_name), time=format_time(escalation.at, texts))
    return [
        (texts("hr.function"), texts(f"handling.function_{escalation.function.value}")),
        (texts("hr.message"), _shown(escalation.message, NOTE_LIMIT) or texts("hr.no_message")),
        (texts("hr.requested"), requested),
    ]


def _hr_facts(texts: Texts, case: Case, evidence: list[EvidenceItem]) -> Facts:
    incident, escalation = case.incident, case.handling.hr_escalation
    missing = texts("summary.not_given")
    facts: Facts = []
    if case.unit:
        facts.append((texts("leader.unit"), _shown(case.unit)))
    if incident.urgent:
        facts.append((texts("summary.urgent"), "⚠ " + texts("common.yes")))
    if escalation:
        facts += _escalation_facts(texts, escalation)
    for change in case.handling.leader_changes:
        value = texts(
            "hr.leader_change_value",
            before=_shown(change.from_leader.name) if change.from_leader else "-",
            after=_shown(change.to_leader.name),
            name=_shown(change.by_name) or "-",
            time=format_time(change.at, texts),
            reason=_shown(change.reason, NOTE_LIMIT),
        )
        facts.append((texts("hr.leader_changes"), value))
    kinds = ", ".join(texts(f"kinds.{kind.value}") for kind in incident.kinds) or missing
    channel = texts(f"channel.{incident.channel.value}") if incident.channel else missing
    impact = texts(f"impact.scale_{incident.impact.score}") if incident.impact else missing
    facts += [
        (texts("hr.kinds"), kinds),
        (texts("hr.channel"), channel),
        (texts("hr.when"), format_time(incident.occurred_at, texts)),
        (texts("leader.impact"), impact),
        (texts("leader.evidence"), _evidence_text(texts, evidence)),
    ]
    return facts


def _overdue_section(texts: Texts, overdue: Sequence[JobKind]) -> list[Any]:
    """The duties past their time, each once, in a warning box; nothing when nothing is late."""
    kinds = [kind for kind in dict.fromkeys(overdue) if kind in OVERDUE_KINDS]
    if not kinds:
        return []
    title = ac.TextBlock(text=f"⚠ {texts('overdue.title')}", weight=act.FontWeight.BOLDER, wrap=True)
    lines = [_step(False, texts(f"overdue.{kind.value}")) for kind in kinds]
    return [ac.Container(items=[title, *lines], style=act.ContainerStyle.WARNING, spacing=act.Spacing.MEDIUM)]


def _hr_actions(texts: Texts, case: Case) -> list[Any]:
    """HR's own answer to the leader: acknowledge, choose who helps, give advice (open cases only)."""
    if case.status is CaseStatus.CLOSED:
        return []
    body: list[Any] = []
    if case.handling.hr_response.acknowledged is None:
        acknowledge = _execute(texts("actions.hr_acknowledge"), Verb.HR_ACKNOWLEDGE.value, case, primary=True)
        body.append(ac.ActionSet(actions=[acknowledge]))
    return [*body, *_show_card_rows(texts, case, [Verb.HR_ASSIGN, Verb.HR_ADVICE, Verb.HR_REASSIGN])]


def _legal_hold_section(texts: Texts, case: Case) -> list[Any]:
    """The standing legal hold, if any, and the form that places or lifts one (closed cases too: the hold is about
    keeping the record, domain/retention.py)."""
    hold = case.handling.active_hold()
    body: list[Any] = []
    if hold is not None:
        by = _shown(hold.placed.by_name) or "-"
        value = texts(
            "hr.legal_hold_value",
            reason=_shown(hold.reason, NOTE_LIMIT),
            name=by,
            time=format_time(hold.placed.at, texts),
        )
        body.append(_fact_set([(texts("hr.legal_hold"), value)]))
    verb = Verb.LEGAL_HOLD if hold is None else Verb.LIFT_LEGAL_HOLD
    return [*body, *_show_card_rows(texts, case, [verb])]


def _intro_key(case: Case, automatic: bool) -> str:
    escalation = case.handling.hr_escalation
    if escalation is not None and escalation.automatic_reason == NO_LEADER:
        return "hr.intro_no_leader" if waits_for_a_leader(case) else "hr.intro_leader_named"
    if escalation is not None and escalation.automatic_reason == URGENT:  # the deputy got it too, if there is one
        return "hr.intro_urgent" if case.deputy is not None else "hr.intro_urgent_no_deputy"
    return "hr.intro_automatic" if automatic else "hr.intro"


def hr_escalation_card(
    texts: Texts,
    case: Case,
    evidence: list[EvidenceItem],
    refresh_user_ids: Sequence[str] = (),
    overdue: Sequence[JobKind] = (),
    easy_deadline: date | None = None,
    opened_by: tuple[Sequence[AccessEntry], int] | None = None,
) -> Card:
    """For Organisation og Personale: why the case came (the leader's question, or Værn's own reason when a
    deadline passed), a need-to-know summary, what is overdue (`FollowUps.overdue`), HR's answer so far with its
    actions (acknowledge, assign Jura or Arbejdsmiljøkoordinatoren, advise the leader), the legal hold (place or lift
    one, closed cases too), what has been done, the employee's latest check-in without their words, who opened the
    case (when given: the newest reads, domain.access_log.case_reads, and how many more) and leadership's actions."""
    escalation = case.handling.hr_escalation
    automatic = escalation is not None and escalation.function is None
    body = [
        _title_block(
            texts,
            case,
            texts("hr.title_no_leader" if waits_for_a_leader(case) else "hr.title", reference=_reference(case)),
        ),
        paragraph(texts(_intro_key(case, automatic))),
        _fact_set(_hr_facts(texts, case, evidence)),
        *_evidence_access(texts, case, evidence),
        *_overdue_section(texts, overdue),
        *_hr_response_section(texts, case, for_leader=False),
        *_hr_actions(texts, case),
        *_legal_hold_section(texts, case),
        *_done_section(texts, case, easy_deadline),
        *_check_in_section(texts, case, for_leader=False),
        *(hr_access_section(texts, *opened_by) if opened_by is not None else []),
    ]
    # HR's intake holding a case for want of a leader reopens it too (domain.responsibility: it holds the case).
    skip = HR_SKIPS - {Verb.REOPEN} if waits_for_a_leader(case) else HR_SKIPS
    card = build_card(texts, body, finished=_actions_or_closed(texts, case, skip=skip))
    return _with_refresh(card, case, refresh_user_ids)
