"""Urgent means now: which cases are urgent, and who has them at once and around the clock.

A case is urgent when the employee is in danger or was threatened with violence (the safety question:
`incident.urgent`), or reported the strongest impact (5 of 5). An urgent case goes to its leader, its deputy and
Organisation og Personale's intake function the moment it is filed (an automatic HR escalation, reason `URGENT`),
whatever the working hours (one without a leader goes to the intake alone). If nobody, leadership or HR,
acknowledges it within the on-call time (`FollowUpPolicy.on_call_minutes`,
counted around the clock, not in working hours), the on-call contact is used: the on-call group gets the case
(`handling.on_call`, from which on the group's members may see and act on it: domain.authorization) and
the employee is given the on-call phone number.
"""

from __future__ import annotations

from datetime import datetime

from domain.case import Case, Incident
from domain.handling import HrEscalation, Signed
from domain.responsibility import SYSTEM_ACTOR, SYSTEM_NAME

URGENT = "urgent"  # the reason of Værn's own HR escalation of an urgent case
STRONGEST_IMPACT = 5


def is_urgent(incident: Incident) -> bool:
    """Danger or a threat of violence, or the employee's strongest impact."""
    return incident.urgent or (incident.impact is not None and incident.impact.score >= STRONGEST_IMPACT)


def hand_urgent_case_to_hr(case: Case, at: datetime) -> bool:
    """An urgent case goes to HR's intake at once (unless HR already has it); True when this escalated it."""
    if not is_urgent(case.incident) or case.handling.hr_escalation is not None:
        return False
    case.handling.hr_escalation = HrEscalation(by=SYSTEM_ACTOR, by_name=SYSTEM_NAME, at=at, automatic_reason=URGENT)
    return True


def alert_on_call(case: Case, at: datetime) -> bool:
    """Record that the on-call group has the case now (once); True when this recorded it."""
    if not needs_on_call(case):
        return False
    case.handling.on_call = Signed(by=SYSTEM_ACTOR, by_name=SYSTEM_NAME, at=at)
    return True


def needs_on_call(case: Case) -> bool:
    """Nobody has acknowledged the urgent case yet (neither leadership nor HR), and the on-call group does not have
    it yet. A case without a leader counts too: HR's intake holds it only in working hours."""
    h = case.handling
    return (
        is_urgent(case.incident) and h.acknowledged is None and h.hr_response.acknowledged is None and h.on_call is None
    )
