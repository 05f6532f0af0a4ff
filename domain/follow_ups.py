"""The EFTER phase over days and weeks: which follow-ups a case needs, when, and whether one still applies.

Follow-ups are *state-driven*: `planned_jobs(case)` derives every job from the case as it is now, with a
deterministic id, so planning again (after each action, at start-up) never doubles anything; and when a job
comes due, `still_applies(case, job)` re-reads the case, so closing a case or the employee opting out
cancels every later follow-up without hunting down queued messages. A reopened case is planned again from the
moment it was reopened (new job ids per round): the reminders of duties still undone and the check-ins.

Jobs (all intervals in `FollowUpPolicy`):
  ack_reminder / ack_deputy / ack_hr   no acknowledgement within 4 / 8 / 24 working hours
  first_aid / debrief                  leader has not talked it through (1 day) / informed colleagues (2 days)
  check_in (day 1, 3, 7, 21)           "How are you now?" to the employee, unless they stopped check-ins
  safetynet (#1, #2, ...)              until the case is registered in SafetyNet (each one plans the next)
  easy_7 / easy_2 / easy_missed        work-injury (EASY) deadline after the first day of absence
  restriction_expiry                   a few days before a time-limited contact ban ends

A reminder *before* a deadline (EASY, a ban's end) that falls on a day off moves earlier, to the last working
day before it, never later. The deadline itself is counted in calendar days as the law counts it (days off do
not move it); what happens *after* a deadline (easy_missed) goes out on the next working day.
  police_hint                          a planned police report not yet made, within 72 h of the incident
  plan_revision                        a unit's beredskabsplan reached its revision date (about a unit, not a case)
  retention                            the case's retention period ended (domain/retention.py, services/retention.py)
  first_card (#1, #2, ...)             the leader's first card not delivered within 15 minutes (5 when urgent): the
                                       deputy and HR get the case; later ones wait until one of them has it, then the
                                       employee is told who, or that nobody has it (nobody to hand it to, or no card
                                       delivered in the watch) (`first_card_step`); a leader the case is given to
                                       later (HR, or the employee's choice) has their own card watched the same way
  on_call                              an urgent case (domain.urgency) nobody acknowledged within 60 minutes, counted
                                       around the clock: the on-call group gets it, the employee the on-call phone
  work_environment_reminder            the unit's arbejdsmiljøgruppe has not recorded its analysis 30 days after the
                                       case was sent to it: the group's members and the leader are reminded, once
  plan_change                          the group decided the beredskabsplan must change: its revision starts

The arbejdsmiljøgruppe's jobs (`work_environment_jobs`) are the group's, not leadership's: they stand whether the
case is open or closed (closing does not wait for the analysis, domain/closing.py), and only the analysis ends them.

Working hours are the case's unit's own (`unit_calendars`, by unit id), else the default calendar.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.case import Case, CaseStatus
from domain.handling import SafetyNetCategory
from domain.response_plan import ResponsePlan
from domain.urgency import is_urgent, needs_on_call
from domain.working_time import WorkingCalendar


class JobKind(StrEnum):
    ACK_REMINDER = "ack_reminder"
    ACK_DEPUTY = "ack_deputy"
    ACK_HR = "ack_hr"
    FIRST_AID = "first_aid"
    DEBRIEF = "debrief"
    CHECK_IN = "check_in"
    SAFETYNET = "safetynet"
    EASY_7 = "easy_7"
    EASY_2 = "easy_2"
    EASY_MISSED = "easy_missed"
    RESTRICTION_EXPIRY = "restriction_expiry"
    POLICE_HINT = "police_hint"
    PLAN_REVISION = "plan_revision"
    FIRST_CARD = "first_card"
    RETENTION = "retention"
    EVIDENCE_IMMUTABILITY = "evidence_immutability"
    ON_CALL = "on_call"
    WORK_ENVIRONMENT_REMINDER = "work_environment_reminder"
    PLAN_CHANGE = "plan_change"


class FollowUpPolicy(BaseModel):
    """Every interval, configurable (see bot.config: FOLLOW_UP_*)."""

    ack_reminder_working_hours: float = 4
    ack_deputy_working_hours: float = 8
    ack_hr_working_hours: float = 24
    first_aid_reminder_hours: float = 24
    debrief_reminder_hours: float = 48
    check_in_days: tuple[int, ...] = (1, 3, 7, 21)
    check_in_at: time = time(10, 0)
    reminder_at: time = time(9, 0)
    safetynet_first_working_hours: float = 16
    safetynet_repeat_working_hours: float = 24
    safetynet_max_reminders: int = 10
    easy_deadline_days: int = 14
    easy_reminder_days_left: tuple[int, int] = (7, 2)
    restriction_reminder_days: int = 3
    police_hint_hours: float = 48
    police_window_hours: float = 72
    first_card_minutes: float = 15
    first_card_urgent_minutes: float = 5
    first_card_recheck_minutes: float = 5
    first_card_watch_hours: float = 48
    on_call_minutes: float = Field(default=60, gt=0)
    work_environment_reminder_days: int = Field(default=30, ge=1, le=365)


HANDED_OVER = "handed-over"  # the key of the first_card jobs after the case was handed to the deputy and HR
NOBODY_HAS_IT = "nobody"  # FirstCardStep.tell: neither the leader nor anyone it was handed to has the case
LATEST_RECHECK = timedelta(hours=1)


@dataclass(frozen=True)
class FirstCardStep:
    """What a due first_card job does: hand the case to the deputy and HR, tell the employee who has it now
    (`tell`: "deputy", "hr"; or "nobody": neither could be given it), and which first_card job comes next (None: no
    more)."""

    hand_over: bool = False
    tell: tuple[str, ...] = ()
    next_job: Job | None = None


class Job(BaseModel):
    """One follow-up due at `due_at` (UTC). `id` is its idempotency key: the same job always has the same id.
    A job is about a case (`case_id`), or for plan_revision about a unit (`unit_id`)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
    kind: JobKind
    case_id: str = ""
    unit_id: str = ""
    due_at: datetime
    sequence: int = 1
    key: str = ""  # what the job was planned for (a ban's end date, a first day of absence)


def easy_deadline(case: Case, days: int) -> date | None:
    """The last day to report a work injury (EASY): `days` calendar days after the first day of absence."""
    absence = case.handling.absence
    return absence.first_day + timedelta(days=days) if absence else None


def reported_as_work_injury(case: Case) -> bool:
    safetynet = case.handling.safetynet
    return safetynet is not None and safetynet.category is SafetyNetCategory.WORK_INJURY


def work_injury_suggested(case: Case) -> bool:
    """Grave cases or a strong reaction are reported as arbejdsskade (guideline: Anmeldelse i SafetyNet): an
    urgent report, a strong impact at the report, or a check-in answer that says so."""
    impact = case.incident.impact
    strong_at_report = case.incident.urgent or bool(impact and impact.is_strong)
    return strong_at_report or any(answer.suggests_work_injury for answer in case.handling.check_ins)


def _job(case: Case, kind: JobKind, due_at: datetime, *, sequence: int = 1, key: str = "") -> Job:
    """A case's job. Once the case was reopened, the jobs counted from the reopening name the round in their ids
    (`.r1`, ...), so they are planned again; the others keep theirs (an EASY deadline is not missed twice)."""
    suffix = f".{key}" if key else ""
    rounds = len(case.handling.reopenings) if kind in ROUND_KINDS else 0
    prefix = f"{case.case_id}.r{rounds}" if rounds else case.case_id
    changes = len(case.handling.leader_changes) if kind is JobKind.FIRST_CARD else 0
    prefix = f"{prefix}.c{changes}" if changes else prefix  # each leader's first card is watched
    return Job(
        id=f"{prefix}.{kind.value}.{sequence}{suffix}",
        kind=kind,
        case_id=case.case_id,
        due_at=due_at,
        sequence=sequence,
        key=key,
    )


# The jobs counted from the start of the case, or from its reopening.
ROUND_KINDS = frozenset({JobKind.FIRST_AID, JobKind.DEBRIEF, JobKind.SAFETYNET, JobKind.CHECK_IN})


class FollowUps:
    """Plans and checks follow-up jobs for cases, on one working calendar and policy."""

    def __init__(
        self,
        policy: FollowUpPolicy,
        calendar: WorkingCalendar,
        unit_calendars: Mapping[str, WorkingCalendar] | None = None,
    ) -> None:
        self.policy = policy
        self.calendar = calendar
        self.unit_calendars: Mapping[str, WorkingCalendar] = unit_calendars or {}

    def calendar_of(self, unit_id: str) -> WorkingCalendar:
        """The unit's working hours, or the default ones."""
        return self.unit_calendars.get(unit_id, self.calendar) if unit_id else self.calendar

    # -- planning -------------------------------------------------------------------------------------------------

    def planned_jobs(self, case: Case) -> list[Job]:
        """Every job the case needs as it stands now (each still checked by `still_applies` when it comes due)."""
        if case.status in (CaseStatus.DRAFT, CaseStatus.CLOSED):
            return []
        p, calendar = self.policy, self.calendar_of(case.unit_id)
        reopened = case.handling.round_started()
        start = reopened or case.created_at
        first_aid_due = calendar.within_hours(start + timedelta(hours=p.first_aid_reminder_hours))
        debrief_due = calendar.within_hours(start + timedelta(hours=p.debrief_reminder_hours))
        jobs = [
            _job(case, JobKind.FIRST_AID, first_aid_due),
            _job(case, JobKind.DEBRIEF, debrief_due),
            self.safetynet_reminder(case, 1, start),
        ]
        jobs += [self._check_in(case, day) for day in p.check_in_days]
        jobs += self._easy_jobs(case)
        jobs += self._restriction_jobs(case)
        jobs += self._police_jobs(case)
        changes = case.handling.leader_changes
        if reopened is not None:  # the leader has had the case: no acknowledgement or on-call watch, and no first
            # card watch unless the case went to another leader since
            return jobs + ([self._first_card_job(case, 1, self._card_since(case) + self.first_card_time(case))]
                           if changes else [])  # fmt: skip
        jobs += [
            _job(case, JobKind.ACK_REMINDER, calendar.add_working_hours(start, p.ack_reminder_working_hours)),
            _job(case, JobKind.ACK_DEPUTY, calendar.add_working_hours(start, p.ack_deputy_working_hours)),
            _job(case, JobKind.ACK_HR, calendar.add_working_hours(start, p.ack_hr_working_hours)),
        ]
        jobs.append(_job(case, JobKind.FIRST_CARD, self._card_since(case) + self.first_card_time(case)))
        if is_urgent(case.incident):
            jobs.append(self.on_call_job(case))
        return jobs

    def work_environment_jobs(self, case: Case) -> list[Job]:
        """The arbejdsmiljøgruppe's jobs: the reminder while its analysis is missing (`work_environment_reminder_days`
        after the case was sent, on the next working day in the morning), and the plan's revision once the analysis
        decided the beredskabsplan must change. Open or closed case alike."""
        review = case.handling.work_environment
        if case.status is CaseStatus.DRAFT or review is None:
            return []
        if review.analysis is None:
            calendar = self.calendar_of(case.unit_id)
            day = review.sent.at.astimezone(calendar.zone).date() + timedelta(
                days=self.policy.work_environment_reminder_days
            )
            due = calendar.local(calendar.next_working_day(day), self.policy.reminder_at)
            return [_job(case, JobKind.WORK_ENVIRONMENT_REMINDER, due)]
        if review.analysis.plan_change:
            job = _job(case, JobKind.PLAN_CHANGE, review.analysis.at)
            return [job.model_copy(update={"unit_id": case.unit_id})]
        return []

    def on_call_job(self, case: Case) -> Job:
        """When an unacknowledged urgent case goes to the on-call group: `on_call_minutes` after it was filed,
        around the clock."""
        return _job(case, JobKind.ON_CALL, case.created_at + timedelta(minutes=self.policy.on_call_minutes))

    def safetynet_reminder(self, case: Case, sequence: int, after: datetime) -> Job:
        p = self.policy
        hours = p.safetynet_first_working_hours if sequence == 1 else p.safetynet_repeat_working_hours
        due = self.calendar_of(case.unit_id).add_working_hours(after, hours)
        return _job(case, JobKind.SAFETYNET, due, sequence=sequence)

    def next_jobs(self, case: Case, job: Job, now: datetime) -> list[Job]:
        """Jobs that follow from one that just took effect (the next SafetyNet reminder)."""
        if job.kind is JobKind.SAFETYNET and job.sequence < self.policy.safetynet_max_reminders:
            return [self.safetynet_reminder(case, job.sequence + 1, max(now, job.due_at))]
        return []

    def _check_in(self, case: Case, day: int) -> Job:
        calendar = self.calendar_of(case.unit_id)
        start = case.handling.round_started() or case.created_at
        local_day = start.astimezone(calendar.zone).date() + timedelta(days=day)
        due = calendar.local(calendar.next_working_day(local_day), self.policy.check_in_at)
        return _job(case, JobKind.CHECK_IN, due, sequence=day)

    def _before_deadline(self, case: Case, day: date) -> datetime:
        """A reminder meant for `day`, moved to the last working day on or before it."""
        calendar = self.calendar_of(case.unit_id)
        return calendar.local(calendar.last_working_day(day), self.policy.reminder_at)

    def easy_deadline(self, case: Case) -> date | None:
        """The last day to report a work injury: `easy_deadline_days` calendar days after the first day of absence."""
        return easy_deadline(case, self.policy.easy_deadline_days)

    def _easy_jobs(self, case: Case) -> list[Job]:
        deadline, absence = self.easy_deadline(case), case.handling.absence
        if deadline is None or absence is None:
            return []
        key, at, calendar = absence.first_day.isoformat(), self.policy.reminder_at, self.calendar_of(case.unit_id)
        first, second = self.policy.easy_reminder_days_left
        missed = calendar.local(calendar.next_working_day(deadline + timedelta(days=1)), at)
        return [
            _job(case, JobKind.EASY_7, self._before_deadline(case, deadline - timedelta(days=first)), key=key),
            _job(case, JobKind.EASY_2, self._before_deadline(case, deadline - timedelta(days=second)), key=key),
            _job(case, JobKind.EASY_MISSED, missed, key=key),
        ]

    def _restriction_jobs(self, case: Case) -> list[Job]:
        restrictions = case.handling.restrictions
        if restrictions is None or restrictions.ban_until is None:
            return []
        remind_on = restrictions.ban_until - timedelta(days=self.policy.restriction_reminder_days)
        due = self._before_deadline(case, remind_on)
        return [_job(case, JobKind.RESTRICTION_EXPIRY, due, key=restrictions.ban_until.isoformat())]

    def plan_revision(self, plan: ResponsePlan) -> Job:
        """The reminder on the plan's revision date (the next working day, in the morning)."""
        calendar = self.calendar_of(plan.unit_id)
        due = calendar.local(calendar.next_working_day(plan.revision_date), self.policy.reminder_at)
        unit_key = re.sub(r"[^A-Za-z0-9_-]", "_", plan.unit_id)[:80]
        return Job(
            id=f"plan-{unit_key}.{JobKind.PLAN_REVISION.value}.1.{plan.revision_date.isoformat()}",
            kind=JobKind.PLAN_REVISION,
            unit_id=plan.unit_id,
            due_at=due,
            key=plan.revision_date.isoformat(),
        )

    @staticmethod
    def plan_needs_revision(plan: ResponsePlan | None, job: Job) -> bool:
        """Still the plan the reminder was planned for (a new revision date makes a new reminder)."""
        return plan is not None and plan.revision_date.isoformat() == job.key

    def incident_time(self, case: Case) -> datetime:
        return case.incident.occurred_at or case.created_at

    def _police_jobs(self, case: Case) -> list[Job]:
        police = case.handling.police
        if police is None or not police.employee_decided_to_report or police.reported_on is not None:
            return []
        hint_at = self.incident_time(case) + timedelta(hours=self.policy.police_hint_hours)
        return [_job(case, JobKind.POLICE_HINT, max(hint_at, police.at))]

    # -- the leader's first card ------------------------------------------------------------------------------

    def first_card_time(self, case: Case) -> timedelta:
        """How long the leader's first card may take to reach them before the deputy and HR get the case."""
        p = self.policy
        return timedelta(minutes=p.first_card_urgent_minutes if is_urgent(case.incident) else p.first_card_minutes)

    def first_card_step(
        self,
        case: Case,
        job: Job,
        now: datetime,
        *,
        queued_at: datetime | None,
        delivered: bool,
        reached: set[str],
        can_hand_over: bool = True,
    ) -> FirstCardStep:
        """The rule for a due first_card job (the case is open and unacknowledged: `still_applies`), from where the
        leader's card is (`queued_at`: when it was queued, None if it never was; `delivered`) and which handover
        cards reached their people (`reached`: "deputy", "hr").

        Before the handover: a delivered card ends the watch; a card queued less than `first_card_time` ago (the
        employee named the leader late) is checked again when that time is up; else the case is handed over.
        After it: once the deputy or HR has their card the employee is told exactly who has the case; until then
        it is checked again (after `first_card_recheck_minutes`, doubling, at most hourly) for
        `first_card_watch_hours`. The employee hears only what is true when they hear it: with nobody to hand it to
        (`can_hand_over`: no deputy, nobody in HR's intake function) at once, and when the watch ends with neither
        the leader's card nor a handover card delivered, that nobody has the case ("nobody")."""
        if job.key != HANDED_OVER:
            if delivered or queued_at is None:
                return FirstCardStep()
            late_at = queued_at + self.first_card_time(case)
            if now < late_at:
                return FirstCardStep(next_job=self._first_card_job(case, job.sequence + 1, late_at))
            if not can_hand_over:
                return FirstCardStep(tell=(NOBODY_HAS_IT,))
            return FirstCardStep(hand_over=True, next_job=self._recheck(case, job, now))
        if reached:
            return FirstCardStep(tell=tuple(role for role in ("deputy", "hr") if role in reached))
        next_job = self._recheck(case, job, now)
        if next_job is None and not delivered:
            return FirstCardStep(tell=(NOBODY_HAS_IT,))
        return FirstCardStep(next_job=next_job)

    def _recheck(self, case: Case, job: Job, now: datetime) -> Job | None:
        """The next check after the handover: recheck minutes × 2^(sequence-1), at most an hour, within the watch."""
        doubling = 2 ** min(job.sequence - 1, 16)
        wait = min(LATEST_RECHECK, timedelta(minutes=self.policy.first_card_recheck_minutes) * doubling)
        watch = timedelta(hours=self.policy.first_card_watch_hours)
        watch_ends = self._card_since(case) + self.first_card_time(case) + watch
        if now + wait > watch_ends:
            return None
        return self._first_card_job(case, job.sequence + 1, now + wait, key=HANDED_OVER)

    @staticmethod
    def _card_since(case: Case) -> datetime:
        """When the current leader was given the case: filed, or the latest change of leader (HR's or the
        employee's), whose card is watched as the first one was."""
        changes = case.handling.leader_changes
        return changes[-1].at if changes else case.created_at

    def _first_card_job(self, case: Case, sequence: int, due_at: datetime, key: str = "") -> Job:
        return _job(case, JobKind.FIRST_CARD, due_at, sequence=sequence, key=key)

    # -- when a job comes due -------------------------------------------------------------------------------------

    def still_applies(self, case: Case, job: Job, now: datetime) -> bool:
        """Whether the follow-up is still needed for the case as it is now."""
        h = case.handling
        if job.kind in (JobKind.WORK_ENVIRONMENT_REMINDER, JobKind.PLAN_CHANGE):  # the group's: open or closed
            review = h.work_environment if case.status is not CaseStatus.DRAFT else None
            if job.kind is JobKind.WORK_ENVIRONMENT_REMINDER:
                return review is not None and review.analysis is None
            return review is not None and review.analysis is not None and review.analysis.plan_change
        if case.status in (CaseStatus.DRAFT, CaseStatus.CLOSED):
            return False
        match job.kind:
            case JobKind.ACK_REMINDER | JobKind.ACK_DEPUTY | JobKind.ACK_HR:
                return h.acknowledged is None
            case JobKind.FIRST_AID:
                return h.first_aid.talked_through_on is None
            case JobKind.DEBRIEF:
                return h.first_aid.colleagues_informed_on is None and not h.first_aid.debriefing_held
            case JobKind.CHECK_IN:
                open_ = h.check_ins_stopped is None and h.check_in(job.sequence) is None
                return open_ and not self._later_check_in_due(case, job.sequence, now)
            case JobKind.SAFETYNET:
                return h.safetynet is None
            case JobKind.EASY_7 | JobKind.EASY_2 | JobKind.EASY_MISSED:
                reported = reported_as_work_injury(case)
                same_absence = h.absence is not None and h.absence.first_day.isoformat() == job.key
                return not reported and same_absence and not self._later_easy_step_due(case, job, now)
            case JobKind.RESTRICTION_EXPIRY:
                ban_until = h.restrictions.ban_until if h.restrictions else None
                return ban_until is not None and ban_until.isoformat() == job.key
            case JobKind.POLICE_HINT:
                window_ends = self.incident_time(case) + timedelta(hours=self.policy.police_window_hours)
                planned = h.police is not None and h.police.employee_decided_to_report
                return planned and h.police is not None and h.police.reported_on is None and now < window_ends
            case JobKind.FIRST_CARD:  # the current leader's card (a job of a leader before is done), unacknowledged
                current = _job(case, job.kind, job.due_at, sequence=job.sequence, key=job.key).id == job.id
                given_since = (
                    bool(h.leader_changes)
                    and h.acknowledged is not None
                    and (h.leader_changes[-1].at >= h.acknowledged.at)
                )  # the acknowledgement was the leader before's
                return current and (h.acknowledged is None or given_since)
            case JobKind.ON_CALL:
                return needs_on_call(case)
            case JobKind.PLAN_REVISION:  # a unit's plan, not a case's (services.plan_reminders)
                return False
            case JobKind.RETENTION | JobKind.EVIDENCE_IMMUTABILITY:  # not follow-ups: domain.retention decides
                return False

    def next_check_in(self, case: Case, now: datetime) -> datetime | None:
        """When the employee will next be asked how they are (None: no more check-ins)."""
        upcoming = [
            job.due_at
            for job in self.planned_jobs(case)
            if job.kind is JobKind.CHECK_IN and job.due_at > now and self.still_applies(case, job, now)
        ]
        return min(upcoming, default=None)

    def _later_check_in_due(self, case: Case, day: int, now: datetime) -> bool:
        """A later check-in is due too (the bot was down, or the absence recorded late): ask once, not twice."""
        later = [d for d in self.policy.check_in_days if d > day]
        return any(self._check_in(case, d).due_at <= now for d in later)

    def _later_easy_step_due(self, case: Case, job: Job, now: datetime) -> bool:
        """The 7-day reminder is pointless once the 2-day one is due, and both once the deadline passed."""
        steps = [JobKind.EASY_7, JobKind.EASY_2, JobKind.EASY_MISSED]
        later = {j.kind: j for j in self._easy_jobs(case)}
        return any(later[kind].due_at <= now for kind in steps[steps.index(job.kind) + 1 :])

    def overdue(self, case: Case, now: datetime) -> list[JobKind]:
        """What is overdue on the case now, for HR's escalation card: past-due duties not yet done."""
        overdue: list[JobKind] = []
        for job in self.planned_jobs(case):
            late = job.kind in OVERDUE_KINDS and job.kind not in overdue and job.due_at <= now
            if late and self.still_applies(case, job, now):
                overdue.append(job.kind)
        return overdue


# Duties whose passed due time means something is late (reminders and check-ins are not duties).
OVERDUE_KINDS = frozenset(
    {JobKind.ACK_HR, JobKind.FIRST_AID, JobKind.DEBRIEF, JobKind.SAFETYNET, JobKind.EASY_MISSED, JobKind.POLICE_HINT}
)
