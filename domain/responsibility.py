"""Who holds a case at every moment, so no case is ever without a responsible person: its leader; while it has
none (the directory knows no leader for the employee and none was named), Organisation og Personale's intake
function, to which the case is escalated the moment it is filed (reason `NO_LEADER`), when the directory names
anyone in it; otherwise nobody holds it, and the employee is told so (services.reporting logs it as an error)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from domain.case import Case
from domain.handling import HrEscalation

SYSTEM_ACTOR = "vaern"  # Værn itself as the one who did something (an automatic escalation)
SYSTEM_NAME = "Værn"
NO_LEADER = "no_leader"


class Holder(StrEnum):
    """Who has the case now, as the employee is told (the values name their texts)."""

    LEADER = "leader"
    HR_INTAKE = "hr"
    NOBODY = "nobody"


def holder(case: Case) -> Holder:
    if case.leader is not None:
        return Holder.LEADER
    return Holder.HR_INTAKE if waits_for_a_leader(case) else Holder.NOBODY


def hand_leaderless_case_to_hr(case: Case, at: datetime) -> bool:
    """A case filed without a leader goes to HR's intake function at once; True when this escalated it."""
    if case.leader is not None or case.handling.hr_escalation is not None:
        return False
    case.handling.hr_escalation = HrEscalation(by=SYSTEM_ACTOR, by_name=SYSTEM_NAME, at=at, automatic_reason=NO_LEADER)
    return True


def waits_for_a_leader(case: Case) -> bool:
    """Held by HR's intake because no leader was found: a leader named later takes it over."""
    escalation = case.handling.hr_escalation
    return case.leader is None and escalation is not None and escalation.automatic_reason == NO_LEADER
