"""Follow-up planning on Danish working time: what a case needs when, and what a change of the case cancels."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from domain.case import Case, CaseStatus, Impact, Person
from domain.follow_ups import FollowUpPolicy, FollowUps, JobKind, work_injury_suggested
from domain.handling import (
    Absence,
    Acknowledgement,
    CheckInAnswer,
    ContactRestrictions,
    PoliceReport,
    Reopening,
    SafetyNetCategory,
    SafetyNetRegistration,
    Signed,
)
from domain.reporting import ReportDraft, to_case
from domain.response_plan import ResponsePlan
from domain.working_time import COPENHAGEN, WorkingCalendar

EMPLOYEE = Person(user_id="29:employee", name="Mette", aad_object_id="aad-mette")
LEADER = Person(user_id="29:leader", name="Karen", aad_object_id="aad-karen")
# Wednesday 23 December 2026, 14:00 in Copenhagen: Christmas (24–26 Dec) and a weekend follow.
BEFORE_CHRISTMAS = datetime(2026, 12, 23, 13, 0, tzinfo=UTC)
CALENDAR = WorkingCalendar()
FOLLOW_UPS = FollowUps(FollowUpPolicy(), CALENDAR)


def _case(created_at: datetime = BEFORE_CHRISTMAS) -> Case:
    draft = ReportDraft(case_id="a" * 32, reporter=EMPLOYEE, tenant_id="tenant-1")
    case = to_case(draft, reference="VK-2026-0001", evidence=[], now=created_at, status=CaseStatus.REPORTED)
    return case.model_copy(update={"leader": LEADER})


def _signed(at: datetime = BEFORE_CHRISTMAS) -> Signed:
    return Signed(by=LEADER.user_id, by_name=LEADER.name, at=at)


def _local(moment: datetime) -> tuple[date, time]:
    local = moment.astimezone(COPENHAGEN)
    return local.date(), local.time()


def _jobs(case: Case) -> dict[str, datetime]:
    return {f"{job.kind.value}.{job.sequence}": job.due_at for job in FOLLOW_UPS.planned_jobs(case)}


# Working time


def test_working_hours_skip_evenings_weekends_and_danish_holidays() -> None:
    # 2 h on Wed 23 Dec; 24 Dec (juleaftensdag), 25–26 Dec and the weekend are off; Mon 28 Dec 08:00 + 2 h.
    assert _local(CALENDAR.add_working_hours(BEFORE_CHRISTMAS, 4)) == (date(2026, 12, 28), time(10, 0))
    assert _local(CALENDAR.add_working_hours(BEFORE_CHRISTMAS, 8)) == (date(2026, 12, 28), time(14, 0))


def test_easter_and_ascension_come_from_the_holidays_library() -> None:
    maundy_thursday, good_friday, easter_monday = date(2027, 3, 25), date(2027, 3, 26), date(2027, 3, 29)
    ascension = date(2027, 5, 6)
    assert not any(CALENDAR.is_working_day(d) for d in (maundy_thursday, good_friday, easter_monday, ascension))
    assert CALENDAR.is_working_day(date(2027, 3, 24))


def test_a_report_at_night_counts_from_the_next_morning() -> None:
    night = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)  # Tuesday 23:00 local
    assert _local(CALENDAR.add_working_hours(night, 4)) == (date(2026, 11, 25), time(12, 0))
    assert _local(CALENDAR.within_hours(night)) == (date(2026, 11, 25), time(8, 0))


# Planning


def test_a_new_case_plans_acknowledgement_first_aid_check_ins_and_safetynet() -> None:
    jobs = _jobs(_case())
    assert set(jobs) == {
        "ack_reminder.1",
        "ack_deputy.1",
        "ack_hr.1",
        "first_aid.1",
        "debrief.1",
        "safetynet.1",
        "check_in.1",
        "check_in.3",
        "check_in.7",
        "check_in.21",
        "first_card.1",
    }
    assert _local(jobs["ack_hr.1"]) == (date(2026, 12, 30), time(14, 0))  # 24 working hours
    # Check-ins at 10:00 on a working day: day 1 (24 Dec) moves to Monday 28 Dec.
    assert _local(jobs["check_in.1"]) == (date(2026, 12, 28), time(10, 0))
    assert _local(jobs["check_in.7"]) == (date(2026, 12, 30), time(10, 0))


def test_job_ids_are_the_same_every_time_the_case_is_planned() -> None:
    case = _case()
    assert [j.id for j in FOLLOW_UPS.planned_jobs(case)] == [j.id for j in FOLLOW_UPS.planned_jobs(case)]
    assert len({j.id for j in FOLLOW_UPS.planned_jobs(case)}) == len(FOLLOW_UPS.planned_jobs(case))


def test_a_reopened_case_is_planned_again_from_the_day_it_was_reopened() -> None:
    """New ids per round (the queue takes them again); the check-ins and the undone duties' reminders count from
    the reopening; acknowledgement, first card and on-call are not watched again."""
    case = _case()
    case.handling.acknowledged = Acknowledgement(**_signed().model_dump())
    case.handling.check_ins = [CheckInAnswer(**_signed().model_dump(), day=1, score=2)]
    before = {job.id for job in FOLLOW_UPS.planned_jobs(case)}
    reopened_at = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)  # Monday 10:00 in Copenhagen
    case.handling.reopenings = [Reopening(**_signed(reopened_at).model_dump(), reason="Nye opslag")]
    jobs = FOLLOW_UPS.planned_jobs(case)
    assert not before & {job.id for job in jobs}
    assert all(job.id.startswith(f"{case.case_id}.r1.") for job in jobs)
    case.handling.absence = Absence(**_signed().model_dump(), first_day=date(2026, 12, 28))
    easy = [job for job in FOLLOW_UPS.planned_jobs(case) if job.kind is JobKind.EASY_MISSED]
    assert [job.id for job in easy] == [f"{case.case_id}.easy_missed.1.2026-12-28"]  # not missed twice
    kinds = {job.kind for job in jobs}
    assert {JobKind.CHECK_IN, JobKind.SAFETYNET, JobKind.FIRST_AID, JobKind.DEBRIEF} <= kinds
    assert not kinds & {JobKind.ACK_REMINDER, JobKind.ACK_DEPUTY, JobKind.ACK_HR, JobKind.FIRST_CARD}
    assert _local(_jobs(case)["check_in.1"]) == (date(2027, 2, 2), time(10, 0))
    check_in_1 = next(job for job in jobs if job.kind is JobKind.CHECK_IN and job.sequence == 1)
    assert FOLLOW_UPS.still_applies(case, check_in_1, reopened_at)  # the answer before the reopening was its own


@pytest.mark.parametrize("status", [CaseStatus.DRAFT, CaseStatus.CLOSED])
def test_drafts_and_closed_cases_plan_nothing(status: CaseStatus) -> None:
    assert FOLLOW_UPS.planned_jobs(_case().model_copy(update={"status": status})) == []


def test_absence_plans_easy_reminders_at_7_and_2_days_and_the_missed_deadline() -> None:
    case = _case()
    case.handling.absence = Absence(**_signed().model_dump(), first_day=date(2027, 1, 4))
    jobs = _jobs(case)
    assert FOLLOW_UPS.easy_deadline(case) == date(2027, 1, 18)
    assert _local(jobs["easy_7.1"])[0] == date(2027, 1, 11)
    assert _local(jobs["easy_2.1"])[0] == date(2027, 1, 15)  # 16 Jan is a Saturday: the Friday before
    assert _local(jobs["easy_missed.1"])[0] == date(2027, 1, 19)


@pytest.mark.parametrize(
    ("first_day", "deadline", "easy_7", "easy_2", "missed"),
    [
        # Christmas: 24 Dec (juleaftensdag) is off, so the 7-days-left reminder comes on 23 Dec, never on 28 Dec;
        # 1 Jan is off, so the missed deadline reaches HR on the next working day.
        (date(2026, 12, 17), date(2026, 12, 31), date(2026, 12, 23), date(2026, 12, 29), date(2027, 1, 4)),
        # Christmas and New Year both: 2 days left is 31 Dec (nytårsaftensdag, off): the last working day is 30 Dec.
        (date(2026, 12, 19), date(2027, 1, 2), date(2026, 12, 23), date(2026, 12, 30), date(2027, 1, 4)),
        # Easter 2027: 25 Mar is skærtorsdag, 26 Mar langfredag, 29 Mar 2. påskedag.
        (date(2027, 3, 18), date(2027, 4, 1), date(2027, 3, 24), date(2027, 3, 30), date(2027, 4, 2)),
        (date(2027, 3, 14), date(2027, 3, 28), date(2027, 3, 19), date(2027, 3, 24), date(2027, 3, 30)),
        # A weekend: 2 days left is a Sunday: the Friday before.
        (date(2027, 2, 2), date(2027, 2, 16), date(2027, 2, 9), date(2027, 2, 12), date(2027, 2, 17)),
    ],
    ids=["christmas", "new-year", "easter-thursday", "easter-sunday", "weekend"],
)
def test_easy_reminders_move_earlier_over_days_off_never_later(
    first_day: date, deadline: date, easy_7: date, easy_2: date, missed: date
) -> None:
    case = _case()
    case.handling.absence = Absence(**_signed().model_dump(), first_day=first_day)
    jobs = _jobs(case)
    assert FOLLOW_UPS.easy_deadline(case) == deadline  # counted in calendar days: days off do not move it
    assert [_local(jobs[f"{kind}.1"]) for kind in ("easy_7", "easy_2", "easy_missed")] == [
        (easy_7, time(9, 0)),
        (easy_2, time(9, 0)),
        (missed, time(9, 0)),
    ]
    assert all(day <= deadline - timedelta(days=n) for day, n in ((easy_7, 7), (easy_2, 2)))
    assert all(CALENDAR.is_working_day(day) for day in (easy_7, easy_2, missed))


def test_the_last_working_day_goes_back_over_holidays_and_weekends() -> None:
    assert CALENDAR.last_working_day(date(2026, 12, 27)) == date(2026, 12, 23)
    assert CALENDAR.last_working_day(date(2027, 3, 29)) == date(2027, 3, 24)
    assert CALENDAR.last_working_day(date(2027, 2, 14)) == date(2027, 2, 12)
    assert CALENDAR.last_working_day(date(2027, 2, 15)) == date(2027, 2, 15)


def test_easy_deadline_is_configurable() -> None:
    case = _case()
    case.handling.absence = Absence(**_signed().model_dump(), first_day=date(2027, 1, 4))
    assert FollowUps(FollowUpPolicy(easy_deadline_days=9), CALENDAR).easy_deadline(case) == date(2027, 1, 13)


def test_a_time_limited_ban_plans_a_reminder_three_days_before_it_ends() -> None:
    case = _case()
    case.handling.restrictions = ContactRestrictions(**_signed().model_dump(), ban_until=date(2027, 2, 12))
    assert _local(_jobs(case)["restriction_expiry.1"]) == (date(2027, 2, 9), time(9, 0))


def test_a_ban_ending_after_christmas_is_reminded_of_before_it_not_after() -> None:
    case = _case()  # ends Sun 27 Dec; three days before is 24 Dec (off): the reminder comes on Wed 23 Dec
    case.handling.restrictions = ContactRestrictions(**_signed().model_dump(), ban_until=date(2026, 12, 27))
    assert _local(_jobs(case)["restriction_expiry.1"]) == (date(2026, 12, 23), time(9, 0))


def test_a_planned_police_report_plans_a_hint_within_72_hours_of_the_incident() -> None:
    case = _case()
    case.handling.police = PoliceReport(**_signed().model_dump(), employee_decided_to_report=True)
    hint = _jobs(case)["police_hint.1"]
    assert hint == case.created_at + timedelta(hours=48)
    job = next(j for j in FOLLOW_UPS.planned_jobs(case) if j.kind is JobKind.POLICE_HINT)
    assert FOLLOW_UPS.still_applies(case, job, hint)
    assert not FOLLOW_UPS.still_applies(case, job, case.created_at + timedelta(hours=73))


# Still applies?


def _job(case: Case, kind: JobKind, sequence: int = 1):  # type: ignore[no-untyped-def]
    return next(j for j in FOLLOW_UPS.planned_jobs(case) if j.kind is kind and j.sequence == sequence)


def test_acknowledgement_cancels_the_acknowledgement_reminders() -> None:
    case = _case()
    jobs = [_job(case, kind) for kind in (JobKind.ACK_REMINDER, JobKind.ACK_DEPUTY, JobKind.ACK_HR)]
    case.handling.acknowledged = Acknowledgement(**_signed().model_dump())
    assert not any(FOLLOW_UPS.still_applies(case, job, BEFORE_CHRISTMAS) for job in jobs)


def test_closing_cancels_everything() -> None:
    case = _case()
    jobs = FOLLOW_UPS.planned_jobs(case)
    closed = case.model_copy(update={"status": CaseStatus.CLOSED})
    assert not any(FOLLOW_UPS.still_applies(closed, job, BEFORE_CHRISTMAS) for job in jobs)


def test_stopping_check_ins_cancels_the_rest_and_an_answer_cancels_its_own() -> None:
    case = _case()
    day3, day7 = _job(case, JobKind.CHECK_IN, 3), _job(case, JobKind.CHECK_IN, 7)
    case.handling.check_ins.append(CheckInAnswer(**_signed().model_dump(), day=3, score=2))
    assert not FOLLOW_UPS.still_applies(case, day3, BEFORE_CHRISTMAS)
    assert FOLLOW_UPS.still_applies(case, day7, BEFORE_CHRISTMAS)
    case.handling.check_ins_stopped = _signed()
    assert not FOLLOW_UPS.still_applies(case, day7, BEFORE_CHRISTMAS)


def test_safetynet_reminders_repeat_until_registered() -> None:
    case = _case()
    first = _job(case, JobKind.SAFETYNET)
    (second,) = FOLLOW_UPS.next_jobs(case, first, first.due_at)
    assert second.sequence == 2 and second.due_at > first.due_at and second.id != first.id
    case.handling.safetynet = SafetyNetRegistration(
        **_signed().model_dump(),
        category=SafetyNetCategory.MINOR_VIOLENCE_THREATS_HARASSMENT,
        registered_on=BEFORE_CHRISTMAS.date(),
    )
    assert not FOLLOW_UPS.still_applies(case, second, second.due_at)


def test_a_changed_ban_end_makes_the_old_reminder_obsolete() -> None:
    case = _case()
    case.handling.restrictions = ContactRestrictions(**_signed().model_dump(), ban_until=date(2027, 2, 12))
    old = _job(case, JobKind.RESTRICTION_EXPIRY)
    case.handling.restrictions = ContactRestrictions(**_signed().model_dump(), ban_until=date(2027, 3, 12))
    assert not FOLLOW_UPS.still_applies(case, old, old.due_at)
    assert _job(case, JobKind.RESTRICTION_EXPIRY).id != old.id


def test_work_injury_is_suggested_for_strong_reactions_at_report_or_check_in() -> None:
    case = _case()
    assert not work_injury_suggested(case)
    case.incident.impact = Impact(score=4)
    assert work_injury_suggested(case)
    calm = _case()
    calm.handling.check_ins.append(CheckInAnswer(**_signed().model_dump(), day=1, score=2, professional_help=True))
    assert work_injury_suggested(calm)


def test_overdue_lists_late_duties_for_hr() -> None:
    case = _case()
    three_weeks_later = BEFORE_CHRISTMAS + timedelta(days=21)
    assert FOLLOW_UPS.overdue(case, BEFORE_CHRISTMAS) == []
    overdue = FOLLOW_UPS.overdue(case, three_weeks_later)
    assert set(overdue) == {JobKind.ACK_HR, JobKind.FIRST_AID, JobKind.DEBRIEF, JobKind.SAFETYNET}


def _plan(revision_date: date) -> ResponsePlan:
    return ResponsePlan(
        unit_id="unit/7 nord",
        unit_name="Jobcenter Nord",
        revision_date=revision_date,
        version=1,
        updated_at=BEFORE_CHRISTMAS,
    )


def test_a_plan_revision_reminder_comes_on_the_next_working_morning_of_its_date() -> None:
    job = FOLLOW_UPS.plan_revision(_plan(date(2027, 12, 25)))  # Christmas Day
    assert _local(job.due_at) == (date(2027, 12, 27), time(9, 0))
    assert job.unit_id == "unit/7 nord" and job.id == "plan-unit_7_nord.plan_revision.1.2027-12-25"


def test_a_new_revision_date_makes_the_old_reminder_do_nothing() -> None:
    old = FOLLOW_UPS.plan_revision(_plan(date(2027, 6, 1)))
    assert FOLLOW_UPS.plan_needs_revision(_plan(date(2027, 6, 1)), old)
    assert not FOLLOW_UPS.plan_needs_revision(_plan(date(2028, 6, 1)), old)
    assert not FOLLOW_UPS.plan_needs_revision(None, old)


def test_after_downtime_only_the_latest_due_check_in_is_sent() -> None:
    case = _case(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # a Tuesday: day 1 and day 3 on different days
    day1, day3 = _job(case, JobKind.CHECK_IN, 1), _job(case, JobKind.CHECK_IN, 3)
    after_day3 = day3.due_at + timedelta(minutes=5)
    assert not FOLLOW_UPS.still_applies(case, day1, after_day3)
    assert FOLLOW_UPS.still_applies(case, day3, after_day3)
    assert FOLLOW_UPS.still_applies(case, day1, day1.due_at)


def test_check_ins_moved_to_the_same_working_morning_are_asked_once() -> None:
    case = _case()  # 23 December: day 1 and day 3 both fall on Monday 28 December
    day1, day3 = _job(case, JobKind.CHECK_IN, 1), _job(case, JobKind.CHECK_IN, 3)
    assert day1.due_at == day3.due_at
    assert [FOLLOW_UPS.still_applies(case, j, day1.due_at) for j in (day1, day3)] == [False, True]


def test_an_absence_recorded_late_sends_only_the_step_that_matters_now() -> None:
    case = _case()
    case.handling.absence = Absence(**_signed().model_dump(), first_day=date(2027, 1, 4))  # deadline 18 Jan
    easy_7, easy_2, missed = (_job(case, kind) for kind in (JobKind.EASY_7, JobKind.EASY_2, JobKind.EASY_MISSED))
    five_days_left = CALENDAR.local(date(2027, 1, 13), time(12, 0))
    assert FOLLOW_UPS.still_applies(case, easy_7, five_days_left)
    one_day_left = CALENDAR.local(date(2027, 1, 17), time(12, 0))
    assert not FOLLOW_UPS.still_applies(case, easy_7, one_day_left)
    assert FOLLOW_UPS.still_applies(case, easy_2, one_day_left)
    too_late = missed.due_at + timedelta(hours=1)
    assert [FOLLOW_UPS.still_applies(case, j, too_late) for j in (easy_7, easy_2, missed)] == [False, False, True]
