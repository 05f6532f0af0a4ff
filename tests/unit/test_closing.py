"""The guideline's duties before a case closes, and the same offender across an employee's cases (domain/closing.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.authorization import Actor
from domain.case import Case, CaseStatus, Offender, Person
from domain.closing import closed_cases_with_offender, is_done, reason_field, same_offender, undone_duties
from domain.handling import (
    Duty,
    HrAdvice,
    HrEscalation,
    HrFunction,
    SafetyNetCategory,
    SafetyNetRegistration,
    Signed,
    WorkEnvironmentReview,
)
from domain.leader_actions import InvalidCommand, NotAllowed, Verb, execute
from domain.reporting import ReportDraft, to_case

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
EMPLOYEE = Person(user_id="29:employee", name="Mette Hansen", aad_object_id="aad-mette")
OTHER = Person(user_id="29:other", name="Ole Hansen", aad_object_id="aad-ole")
SIGNED = Signed(by="29:leader", by_name="Karen", at=NOW)


def _case(case_id: str = "a" * 32, offender: Offender | None = None, subject: Person = EMPLOYEE) -> Case:
    draft = ReportDraft(case_id=case_id, reporter=subject)
    draft.incident.offender = offender or Offender()
    return to_case(draft, reference=f"VK-{case_id[:4]}", evidence=[], now=NOW, status=CaseStatus.REPORTED)


def test_a_new_case_has_every_duty_but_hrs_undone() -> None:
    assert undone_duties(_case().handling) == [Duty.SAFETYNET, Duty.FIRST_AID, Duty.COLLEAGUES, Duty.WORK_ENVIRONMENT]
    assert [reason_field(duty) for duty in Duty] == [
        "safetynet_reason",
        "first_aid_reason",
        "colleagues_reason",
        "work_environment_reason",
        "hr_reason",
    ]


def test_recorded_duties_are_done() -> None:
    handling = _case().handling
    handling.safetynet = SafetyNetRegistration(
        **SIGNED.model_dump(), category=SafetyNetCategory.WORK_INJURY, registered_on=date(2026, 11, 25)
    )
    handling.first_aid.talked_through_on = date(2026, 11, 25)
    handling.first_aid.debriefing_held = True
    handling.work_environment = WorkEnvironmentReview(sent=SIGNED)  # sent: the group's analysis is not waited for
    assert undone_duties(handling) == []


def test_hr_is_a_duty_once_escalated_and_done_when_asked_or_advised() -> None:
    handling = _case().handling
    handling.hr_escalation = HrEscalation(by="vaern", at=NOW, automatic_reason="no_acknowledgement")
    assert Duty.HR in undone_duties(handling)
    handling.hr_response.advice.append(HrAdvice(**SIGNED.model_dump(), text="Ring til Jura."))
    assert is_done(handling, Duty.HR)
    asked = _case().handling
    asked.hr_escalation = HrEscalation(**SIGNED.model_dump(), function=HrFunction.JURA)
    assert is_done(asked, Duty.HR)


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        (Offender(name="Jens  Borger"), Offender(name="jens borger"), True),
        (Offender(profile="facebook.com/jb"), Offender(name="Anden", profile="facebook.com/jb"), True),
        (Offender(name="Jens Borger"), Offender(name="Jens"), False),
        (Offender(), Offender(), False),
    ],
)
def test_same_offender_by_name_or_profile(one: Offender, other: Offender, same: bool) -> None:
    assert same_offender(one, other) is same


def test_closed_cases_of_the_same_employee_with_the_same_offender_newest_first() -> None:
    offender = Offender(name="Jens Borger")
    new = _case("n" * 32, offender)
    older = _case("o" * 32, offender).model_copy(update={"status": CaseStatus.CLOSED})
    newer = _case("p" * 32, offender).model_copy(update={"status": CaseStatus.CLOSED, "created_at": NOW + timedelta(1)})
    still_open = _case("q" * 32, offender)
    someone_else = _case("r" * 32, offender, OTHER).model_copy(update={"status": CaseStatus.CLOSED})
    other_offender = _case("s" * 32, Offender(name="Anden")).model_copy(update={"status": CaseStatus.CLOSED})
    found = closed_cases_with_offender(new, [older, newer, still_open, someone_else, other_offender, new])
    assert [case.case_id for case in found] == [newer.case_id, older.case_id]


def _closed(case: Case, at: datetime) -> Case:
    leader = Person(user_id="29:leader", name="Karen", aad_object_id="aad-karen")
    case.leader = leader
    reasons = {reason_field(duty): "Ikke relevant" for duty in undone_duties(case.handling)}
    data = {"employee_informed": "true", "follow_up": "done", **reasons}
    return execute(case, Verb.CLOSE, data, Actor(leader), at, case.version)


def test_the_employee_asks_to_reopen_once_per_closure_and_nobody_else_may() -> None:
    closed = _closed(_case(), NOW)
    employee, leader = Actor(EMPLOYEE), Actor(closed.leader or EMPLOYEE)
    with pytest.raises(NotAllowed):
        execute(closed, Verb.ASK_REOPEN, {}, leader, NOW, 0)
    with pytest.raises(NotAllowed):
        execute(closed, Verb.ASK_REOPEN, {}, Actor(OTHER), NOW, 0)

    asked = execute(closed, Verb.ASK_REOPEN, {}, employee, NOW + timedelta(hours=1), 0)  # from another card
    assert asked.handling.reopen_asked() is not None and asked.version == closed.version + 1
    with pytest.raises(InvalidCommand, match="already_asked"):
        execute(asked, Verb.ASK_REOPEN, {}, employee, NOW + timedelta(hours=2), 0)

    reopened = execute(asked, Verb.REOPEN, {"reopen_reason": "Igen"}, leader, NOW + timedelta(days=1), asked.version)
    assert reopened.handling.reopen_asked() is None
    with pytest.raises(InvalidCommand, match="case_open"):
        execute(reopened, Verb.ASK_REOPEN, {}, employee, NOW + timedelta(days=1), 0)
    closed_again = _closed(reopened, NOW + timedelta(days=2))
    assert closed_again.handling.reopen_asked() is None  # the earlier ask was for the earlier closure
    assert execute(closed_again, Verb.ASK_REOPEN, {}, employee, NOW + timedelta(days=3), 0).handling.reopen_asked()


def test_a_closed_case_nobody_holds_has_nobody_to_ask() -> None:
    closed = _closed(_case(), NOW)
    closed.leader = None
    with pytest.raises(InvalidCommand, match="nobody_holds"):
        execute(closed, Verb.ASK_REOPEN, {}, Actor(EMPLOYEE), NOW, 0)
