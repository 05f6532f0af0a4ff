"""What the guideline asks done before a case closes, and when a new report concerns the offender of a closed case.

Closing ("EFTER"): each duty is either recorded on the case or given a reason by the leader who closes it
(`leader_actions.CloseCommand` refuses the close otherwise):
  * safetynet         the incident is registered in SafetyNet ("Alle hændelser … skal registreres");
  * first_aid         the leader talked it through with the employee ("Lederen skal … altid tale situationen igennem");
  * colleagues        the colleagues were informed or debriefed ("Kollegagruppen skal orienteres … evt. debriefing");
  * work_environment  leadership sent the case to the unit's arbejdsmiljøgruppe ("Arbejdsmiljøgruppen skal analysere
                      hændelsen"). Sending is leadership's duty; the analysis is the group's, recorded in its own time
                      (domain/work_environment.py, reminded after 30 days), so it never holds up closing the case;
  * hr                only when the case was escalated to HR (by Værn or the leader): Organisation og Personale was
                      consulted — the leader asked them for advice, or they gave some.
A reopened case closes by the same rule: duties recorded before still count.

The same offender: a report naming the offender (name or profile, compared without case or extra spaces) of one of
the employee's closed cases points leadership at that case, which they may reopen.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.case import Case, CaseStatus, Offender
from domain.handling import Duty, Handling


def reason_field(duty: Duty) -> str:
    """The closing form's field for the reason a duty was not done (`CloseCommand` has one per duty)."""
    return f"{duty.value}_reason"


def duties(handling: Handling) -> list[Duty]:
    """The duties that apply to the case: all but HR's, and HR's once the case was escalated to them."""
    return [duty for duty in Duty if duty is not Duty.HR or handling.hr_escalation is not None]


def is_done(handling: Handling, duty: Duty) -> bool:
    first_aid = handling.first_aid
    match duty:
        case Duty.SAFETYNET:
            return handling.safetynet is not None
        case Duty.FIRST_AID:
            return first_aid.talked_through_on is not None
        case Duty.COLLEAGUES:
            return first_aid.colleagues_informed_on is not None or first_aid.debriefing_held
        case Duty.WORK_ENVIRONMENT:
            return handling.work_environment is not None
        case Duty.HR:
            escalation = handling.hr_escalation
            asked = escalation is not None and escalation.function is not None
            return asked or bool(handling.hr_response.advice)


def undone_duties(handling: Handling) -> list[Duty]:
    """The duties that apply and are not recorded: closing needs a reason for each."""
    return [duty for duty in duties(handling) if not is_done(handling, duty)]


def _words(text: str) -> str:
    return " ".join(text.casefold().split())


def same_offender(one: Offender, other: Offender) -> bool:
    """Both name the same offender: the same name or the same profile (an empty one matches nothing)."""
    names = _words(one.name) and _words(one.name) == _words(other.name)
    profiles = _words(one.profile) and _words(one.profile) == _words(other.profile)
    return bool(names or profiles)


def closed_cases_with_offender(case: Case, others: Iterable[Case]) -> list[Case]:
    """The subject's closed cases (other than this one) naming the same offender, newest first."""
    found = [
        other
        for other in others
        if other.case_id != case.case_id
        and other.status is CaseStatus.CLOSED
        and other.subject.is_(case.subject)
        and same_offender(other.incident.offender, case.incident.offender)
    ]
    return sorted(found, key=lambda other: other.created_at, reverse=True)
