"""The employee's plain status view of their case: which of the guideline's steps are done."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.common import build_card, heading, paragraph
from cards.guidance import configured_link
from cards.leader.parts import (
    Card,
    _day,
    _local_day,
    _reference,
    _restrictions_text,
    _shown,
    _step,
    _with_refresh,
    removal_counts,
)
from cards.report import leader_handles_offender
from content import Texts
from domain.authorization import Role
from domain.case import Case, CaseStatus
from domain.responsibility import waits_for_a_leader


# --- the employee's view ----------------------------------------------------------------------------------
def _talk_step(texts: Texts, case: Case, for_reporter: bool) -> ac.TextBlock:
    talked = case.handling.first_aid.talked_through_on is not None
    if for_reporter:
        key = "employee_status.step_talked_other" if talked else "employee_status.step_talked_other_waiting"
        return _step(talked, texts(key, name=_shown(case.subject.name)))
    return _step(talked, texts("employee_status.step_talked" if talked else "employee_status.step_talked_waiting"))


def _police_step(texts: Texts, case: Case) -> ac.TextBlock | None:
    police = case.handling.police
    if police is None:
        return None
    if police.reported_on:
        return _step(True, texts("employee_status.step_police_reported", date=_day(police.reported_on)))
    key = "step_police_decided" if police.employee_decided_to_report else "step_police_not"
    return _step(police.employee_decided_to_report, texts(f"employee_status.{key}"))


def _safetynet_step(texts: Texts, case: Case) -> ac.TextBlock:
    registration = case.handling.safetynet
    if registration is None:
        return _step(False, texts("employee_status.step_safetynet_waiting"))
    category = texts(f"handling.category_{registration.category.value}")
    return _step(True, texts("employee_status.step_safetynet", category=category))


def _check_in_step(texts: Texts, case: Case, next_check_in: date | None) -> ac.TextBlock | None:
    """While the case is open: that the employee stopped the check-ins, or when Værn asks next."""
    if case.status is CaseStatus.CLOSED:
        return None
    if case.handling.check_ins_stopped is not None:
        return _step(True, texts("employee_status.step_check_ins_stopped"))
    if next_check_in is not None:
        return _step(False, texts("employee_status.step_next_check_in", date=_day(next_check_in)))
    return None


def _acknowledged_step(texts: Texts, case: Case, for_reporter: bool) -> ac.TextBlock:
    """Acknowledged by the leader, or waiting for them; without a leader, who has the case until one has it. To a
    colleague who reported for someone it is "the leader", not theirs."""
    if case.leader is None:
        key = "step_with_hr" if waits_for_a_leader(case) else "step_with_nobody"
        return _step(False, texts(f"employee_status.{key}"))
    acknowledged = case.handling.acknowledged is not None
    other = "_other" if for_reporter else ""
    return _step(acknowledged, texts(f"employee_status.step_acknowledged{other}{'' if acknowledged else '_waiting'}"))


def _status_steps(
    texts: Texts, case: Case, for_reporter: bool, next_check_in: date | None = None
) -> list[ac.TextBlock]:
    """Reported → acknowledged → talked → offender contacted → restrictions → removals → police → SafetyNet
    → check-ins → closed. A colleague who reported on someone's behalf does not see the police, SafetyNet
    or check-in steps."""
    handling = case.handling
    steps: list[ac.TextBlock | None] = [
        _step(True, texts("employee_status.step_reported", date=_local_day(case.created_at))),
        _acknowledged_step(texts, case, for_reporter),
        _talk_step(texts, case, for_reporter),
    ]
    other = "_other" if for_reporter else ""
    if handling.offender_contacts:
        steps.append(_step(True, texts(f"employee_status.step_offender{other}")))
    elif case.incident.offender.is_known:
        steps.append(_step(False, texts(f"employee_status.step_offender{other}_waiting")))
    if handling.restrictions and handling.restrictions.any:
        rules = _restrictions_text(texts, handling.restrictions)
        steps.append(_step(True, texts("employee_status.step_restrictions", rules=rules)))
    if handling.removals:
        steps.append(_step(True, texts("employee_status.step_removals", counts=removal_counts(texts, handling))))
    if not for_reporter:
        steps += [_police_step(texts, case), _safetynet_step(texts, case), _check_in_step(texts, case, next_check_in)]
    closed = case.status is CaseStatus.CLOSED
    steps.append(_step(closed, texts("employee_status.step_closed" if closed else "employee_status.step_open")))
    return [step for step in steps if step is not None]


def employee_status_card(
    texts: Texts,
    case: Case,
    refresh_user_ids: Sequence[str] = (),
    *,
    viewer: Role = Role.SUBJECT,
    next_check_in: date | None = None,
) -> Card:
    """What the harassed employee (or the colleague who reported for them) sees: plain status steps and
    advice; `next_check_in` (the day of the next planned check-in, if the caller knows it) shows as a step.
    Never the letter to the offender, outcome notes, HR messages or advice, or the work environment review."""
    for_reporter = viewer is Role.REPORTER and case.reported_on_behalf
    body: list[Any] = [heading(texts("employee_status.title", reference=_reference(case)))]
    if for_reporter:
        body.append(paragraph(texts("employee_status.on_behalf", name=_shown(case.subject.name))))
    body += _status_steps(texts, case, for_reporter, next_check_in)
    colleague = case.subject.name if for_reporter else ""
    body.append(paragraph(leader_handles_offender(texts, colleague), color=act.Colors.ATTENTION))
    if case.status in (CaseStatus.REPORTED, CaseStatus.ACKNOWLEDGED):  # only an open case takes new evidence
        body.append(paragraph(texts("employee_status.keep_messages")))
    body.append(paragraph(texts("employee_status.doctor")))
    unregistered = case.status is not CaseStatus.CLOSED and case.handling.safetynet is None
    safetynet = configured_link(texts, "safetynet") if unregistered and not for_reporter else None
    if safetynet is not None:  # the registration is still to be made (with the leader)
        body.append(ac.ActionSet(actions=[safetynet]))
    return _with_refresh(build_card(texts, body), case, refresh_user_ids)
