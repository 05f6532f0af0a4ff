"""Urgent means now (domain.urgency, domain.follow_ups, domain.working_time): which cases are urgent, the on-call
step counted around the clock, each unit's own working hours, and who may see a case the on-call group got."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from pydantic import ValidationError

from domain.authorization import Actor, Role, can_read_evidence, roles_on
from domain.case import Case, CaseStatus, Impact, Person
from domain.follow_ups import FollowUpPolicy, FollowUps, JobKind
from domain.handling import Acknowledgement
from domain.reporting import ReportDraft, to_case
from domain.responsibility import NO_LEADER, hand_leaderless_case_to_hr
from domain.urgency import URGENT, alert_on_call, hand_urgent_case_to_hr, is_urgent, needs_on_call
from domain.working_time import COPENHAGEN, WorkingCalendar, WorkingHours

EMPLOYEE = Person(user_id="29:employee", name="Mette", aad_object_id="aad-mette")
LEADER = Person(user_id="29:leader", name="Karen", aad_object_id="aad-karen")
ON_CALL = Person(user_id="aad:aad-vagt", name="Vagten", aad_object_id="aad-vagt")
# Saturday 12 June 2027, 23:30 in Copenhagen (21:30 UTC).
SATURDAY_NIGHT = datetime(2027, 6, 12, 21, 30, tzinfo=UTC)
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CARE_HOME = WorkingHours(days=EVERY_DAY, start=time(7, 0), end=time(23, 0), danish_holidays=False)
FOLLOW_UPS = FollowUps(FollowUpPolicy(), WorkingCalendar(), {"plejecenter": CARE_HOME.calendar()})


def _case(*, urgent: bool = False, score: int | None = None, unit_id: str = "", at: datetime = SATURDAY_NIGHT) -> Case:
    draft = ReportDraft(case_id="a" * 32, reporter=EMPLOYEE, tenant_id="tenant-1")
    draft.incident.urgent = urgent
    draft.incident.impact = Impact(score=score) if score else None
    case = to_case(draft, reference="VK-2027-0001", evidence=[], now=at, status=CaseStatus.REPORTED)
    return case.model_copy(update={"leader": LEADER, "unit_id": unit_id})


def _due(case: Case, kind: JobKind) -> datetime:
    return next(job.due_at for job in FOLLOW_UPS.planned_jobs(case) if job.kind is kind)


@pytest.mark.parametrize(
    ("urgent", "score", "expected"), [(True, None, True), (False, 5, True), (False, 4, False), (False, None, False)]
)
def test_danger_a_threat_of_violence_or_the_strongest_impact_is_urgent(
    urgent: bool, score: int | None, expected: bool
) -> None:
    assert is_urgent(_case(urgent=urgent, score=score).incident) is expected


def test_an_urgent_case_goes_to_the_on_call_group_an_hour_later_even_on_a_saturday_night() -> None:
    case = _case(urgent=True)

    assert _due(case, JobKind.ON_CALL) == SATURDAY_NIGHT + timedelta(hours=1)
    assert FOLLOW_UPS.first_card_time(case) == timedelta(minutes=5)
    # The ordinary working-hours escalation still waits for Monday: the on-call step is what covers the night.
    assert _due(case, JobKind.ACK_DEPUTY).astimezone(COPENHAGEN).date() == date(2027, 6, 14)


def test_the_on_call_time_is_configurable() -> None:
    follow_ups = FollowUps(FollowUpPolicy(on_call_minutes=20), WorkingCalendar())
    (job,) = [job for job in follow_ups.planned_jobs(_case(score=5)) if job.kind is JobKind.ON_CALL]
    assert job.due_at == SATURDAY_NIGHT + timedelta(minutes=20)


def test_a_case_that_is_not_urgent_has_no_on_call_step() -> None:
    assert JobKind.ON_CALL not in {job.kind for job in FOLLOW_UPS.planned_jobs(_case(score=4))}


def test_the_on_call_step_stops_applying_once_someone_acknowledges_or_the_group_has_it() -> None:
    case = _case(urgent=True)
    (job,) = [job for job in FOLLOW_UPS.planned_jobs(case) if job.kind is JobKind.ON_CALL]
    later = job.due_at + timedelta(seconds=1)
    assert FOLLOW_UPS.still_applies(case, job, later)

    acknowledged = case.model_copy(deep=True)
    acknowledged.handling.acknowledged = Acknowledgement(by=LEADER.user_id, at=SATURDAY_NIGHT)
    assert not FOLLOW_UPS.still_applies(acknowledged, job, later)

    assert alert_on_call(case, later) and case.handling.on_call is not None
    assert not needs_on_call(case) and not FOLLOW_UPS.still_applies(case, job, later)
    assert not alert_on_call(case, later)  # once


def test_an_urgent_case_goes_to_hr_intake_at_once_but_a_leaderless_one_stays_hrs_to_hold() -> None:
    urgent = _case(urgent=True)
    assert hand_urgent_case_to_hr(urgent, SATURDAY_NIGHT)
    assert urgent.handling.hr_escalation is not None and urgent.handling.hr_escalation.automatic_reason == URGENT
    assert not hand_urgent_case_to_hr(urgent, SATURDAY_NIGHT)

    leaderless = _case(urgent=True).model_copy(update={"leader": None})
    hand_leaderless_case_to_hr(leaderless, SATURDAY_NIGHT)
    assert not hand_urgent_case_to_hr(leaderless, SATURDAY_NIGHT)
    assert leaderless.handling.hr_escalation is not None
    assert leaderless.handling.hr_escalation.automatic_reason == NO_LEADER
    assert not hand_urgent_case_to_hr(_case(score=3), SATURDAY_NIGHT)


def test_a_shift_workplace_escalates_on_its_own_clock() -> None:
    office, care_home = _case(), _case(unit_id="plejecenter")

    # 8 working hours after Saturday 23:30: Monday 16:00 at the office (8–16), Sunday 15:00 at the care home (7–23).
    assert _due(office, JobKind.ACK_DEPUTY) == datetime(2027, 6, 14, 16, 0, tzinfo=COPENHAGEN)
    assert _due(care_home, JobKind.ACK_DEPUTY) == datetime(2027, 6, 13, 15, 0, tzinfo=COPENHAGEN)


def test_working_hours_default_to_monday_to_friday_8_to_16_with_danish_holidays() -> None:
    calendar = WorkingHours().calendar()
    assert (calendar.start, calendar.end, calendar.zone.key) == (time(8, 0), time(16, 0), "Europe/Copenhagen")
    assert calendar.is_working_day(date(2027, 6, 11)) and not calendar.is_working_day(date(2027, 6, 12))
    assert not calendar.is_working_day(date(2027, 5, 6))  # Kristi himmelfartsdag
    assert CARE_HOME.calendar().is_working_day(date(2027, 5, 6))


def test_working_hours_in_another_time_zone_count_in_that_zone() -> None:
    calendar = WorkingHours(zone="Atlantic/Faroe").calendar()
    friday_evening = datetime(2027, 6, 11, 14, 30, tzinfo=UTC)  # 15:30 in Tórshavn, 16:30 in Copenhagen
    assert calendar.add_working_hours(friday_evening, 0.25) == datetime(2027, 6, 11, 14, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    "hours",
    [{"zone": "Europe/Nowhere"}, {"start": "16:00", "end": "08:00"}, {"days": []}, {"days": ["someday"]}],
)
def test_working_hours_that_make_no_sense_are_refused(hours: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        WorkingHours.model_validate(hours)


def test_the_on_call_group_sees_and_acts_on_a_case_only_once_it_has_it() -> None:
    case = _case(urgent=True)
    member = Actor(ON_CALL, tenant_id="tenant-1", on_call=True)
    assert roles_on(case, member) == set()

    alert_on_call(case, SATURDAY_NIGHT + timedelta(hours=1))
    assert roles_on(case, member) == {Role.ON_CALL}
    assert can_read_evidence(case, member, uploaded_by=EMPLOYEE.user_id)
    assert roles_on(case, Actor(ON_CALL, tenant_id="another-tenant", on_call=True)) == set()
    assert roles_on(case, Actor(ON_CALL, tenant_id="tenant-1")) == set()  # not in the group
