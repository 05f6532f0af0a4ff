"""The overview of cases (the "Overblik" tab): one row per reported case with only what its lists and statistics
need, and the rules that read those rows.

A row (`CaseRow`) holds the reference, unit, dates, status, the guideline's duties (done, and when each is due),
who the case was escalated to, the ids of its leader and deputy, when it was sent to the arbejdsmiljøgruppe and
handled there, and category values for the statistics: no names, no free text. It is made from the case whenever
the case is written (`case_row`), so the lists never read case documents. What depends on the moment (due or
overdue, the next follow-up) is decided when a row is read (`duty_states`, `next_follow_up`). A draft has no row: it
is the reporter's own until it is sent.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.authorization import Actor, hr_function_reached, in_work_environment_group
from domain.case import Case, CaseStatus
from domain.follow_ups import FollowUps, JobKind, reported_as_work_injury
from domain.working_time import COPENHAGEN

PAGE_SIZE = 50
LEADER_CLOSED_MONTHS = 12  # the leader's list keeps a closed case this long after it was closed
LEADER_PAGES = 1_000  # the last page number the leader's list answers (50,000 cases)


class Duty(StrEnum):
    """The guideline's duties as the overview lists them."""

    ACKNOWLEDGE = "acknowledge"
    FIRST_AID = "first_aid"
    COLLEAGUES = "colleagues"
    SAFETYNET = "safetynet"
    EASY = "easy"
    POLICE = "police"
    RESTRICTIONS = "restrictions"
    WORK_ENVIRONMENT = "work_environment"


class DutyState(StrEnum):
    DONE = "done"
    OPEN = "open"  # not done, no deadline (or the case is closed)
    DUE = "due"  # not done, its deadline is ahead
    OVERDUE = "overdue"  # not done, its deadline passed


class DutyRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    done: bool = False
    due_at: datetime | None = None


class CaseRow(BaseModel):
    """A case as the overview keeps it."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    reference: str
    tenant_id: str = ""
    unit_id: str = ""
    unit: str = ""
    status: CaseStatus
    reported_at: datetime
    occurred_at: datetime | None = None
    acknowledged_at: datetime | None = None
    closed_at: datetime | None = None
    leader_id: str = ""
    deputy_id: str = ""
    escalated: bool = False
    escalated_to: str = ""  # the HR function named; "" with `escalated`: Værn's own escalation (the intake function)
    assigned_to: str = ""  # the HR function HR assigned it to since
    duties: dict[Duty, DutyRecord] = Field(default_factory=dict[Duty, DutyRecord])
    ban_until: date | None = None
    follow_ups: list[datetime] = Field(default_factory=list[datetime])  # when the planned follow-ups come due
    first_open_due: datetime | None = None  # the earliest deadline of a duty not done: overdue once it passed
    # For the statistics: categories only.
    channel: str = ""
    kinds: list[str] = Field(default_factory=list[str])
    offender_relation: str = ""
    actions: list[str] = Field(default_factory=list[str])
    safetynet: str = ""  # "", or the SafetyNet category it was registered in
    # The arbejdsmiljøgruppe's list: when leadership sent the case to the group, and when the group handled it.
    work_environment_sent_at: datetime | None = None
    work_environment_handled_at: datetime | None = None


# The job whose due time is each duty's deadline (the same times the follow-ups and HR's "overdue" use).
_DEADLINES: dict[Duty, JobKind] = {
    Duty.ACKNOWLEDGE: JobKind.ACK_HR,
    Duty.FIRST_AID: JobKind.FIRST_AID,
    Duty.COLLEAGUES: JobKind.DEBRIEF,
    Duty.SAFETYNET: JobKind.SAFETYNET,
    Duty.EASY: JobKind.EASY_MISSED,
    Duty.POLICE: JobKind.POLICE_HINT,
}
# Internal follow-ups that are not someone's next step.
_NOT_SHOWN = frozenset({JobKind.FIRST_CARD, JobKind.PLAN_REVISION})


def _done(case: Case) -> dict[Duty, bool]:
    """Each duty that applies to the case, and whether it is done."""
    h = case.handling
    done = {
        Duty.ACKNOWLEDGE: h.acknowledged is not None,
        Duty.FIRST_AID: h.first_aid.talked_through_on is not None,
        Duty.COLLEAGUES: h.first_aid.colleagues_informed_on is not None or h.first_aid.debriefing_held,
        Duty.SAFETYNET: h.safetynet is not None,
        Duty.RESTRICTIONS: h.restrictions is not None and h.restrictions.any,
        Duty.WORK_ENVIRONMENT: h.work_environment is not None,
    }
    if h.absence is not None:
        done[Duty.EASY] = reported_as_work_injury(case)
    if h.police is not None and h.police.employee_decided_to_report:
        done[Duty.POLICE] = h.police.reported_on is not None
    return done


def _actions(case: Case) -> list[str]:
    """What leadership did, by kind (for the statistics)."""
    h = case.handling
    taken = {
        "acknowledged": h.acknowledged is not None,
        "first_aid": h.first_aid.talked_through_on is not None,
        "offender_contacted": bool(h.offender_contacts),
        "restrictions": h.restrictions is not None and h.restrictions.any,
        "removal_requested": bool(h.removals),
        "police_report": h.police is not None and h.police.reported_on is not None,
        "safetynet": h.safetynet is not None,
        "hr_escalation": h.hr_escalation is not None,
        "work_environment": h.work_environment is not None,
    }
    return [name for name, done in taken.items() if done]


def case_row(case: Case, follow_ups: FollowUps) -> CaseRow | None:
    """The case's overview row (None for a draft). Deadlines come from the follow-up plan of the case as it is."""
    if case.status is CaseStatus.DRAFT:
        return None
    jobs = [job for job in follow_ups.planned_jobs(case) if follow_ups.still_applies(case, job, job.due_at)]
    first_due: dict[JobKind, datetime] = {}
    for job in sorted(jobs, key=lambda job: job.due_at):
        first_due.setdefault(job.kind, job.due_at)
    duties = {
        duty: DutyRecord(done=done, due_at=None if done or duty not in _DEADLINES else first_due.get(_DEADLINES[duty]))
        for duty, done in _done(case).items()
    }
    open_dues = [record.due_at for record in duties.values() if record.due_at is not None]
    h = case.handling
    escalation = h.hr_escalation
    return CaseRow(
        case_id=case.case_id,
        reference=case.reference,
        tenant_id=case.tenant_id or "",
        unit_id=case.unit_id,
        unit=case.unit,
        status=case.status,
        reported_at=case.created_at,
        occurred_at=case.incident.occurred_at,
        acknowledged_at=h.acknowledged.at if h.acknowledged else None,
        closed_at=h.closure.at if h.closure else None,
        leader_id=(case.leader.aad_object_id or "") if case.leader else "",
        deputy_id=(case.deputy.aad_object_id or "") if case.deputy else "",
        escalated=escalation is not None,
        escalated_to=escalation.function.value if escalation and escalation.function else "",
        assigned_to=h.hr_response.assigned.function.value if h.hr_response.assigned else "",
        duties=duties,
        ban_until=h.restrictions.ban_until if h.restrictions else None,
        follow_ups=sorted(job.due_at for job in jobs if job.kind not in _NOT_SHOWN),
        first_open_due=min(open_dues, default=None),
        channel=case.incident.channel.value if case.incident.channel else "",
        kinds=[kind.value for kind in case.incident.kinds],
        offender_relation=case.incident.offender.relation.value,
        actions=_actions(case),
        safetynet=h.safetynet.category.value if h.safetynet else "",
        work_environment_sent_at=h.work_environment.sent.at if h.work_environment else None,
        work_environment_handled_at=h.work_environment.analysis.at
        if h.work_environment and h.work_environment.analysis
        else None,
    )


def duty_states(row: CaseRow, now: datetime) -> dict[Duty, DutyState]:
    """Each duty done, open, due or overdue at `now`; a closed case has nothing due any more."""
    states: dict[Duty, DutyState] = {}
    for duty, record in row.duties.items():
        if record.done:
            states[duty] = DutyState.DONE
        elif record.due_at is None or row.status is CaseStatus.CLOSED:
            states[duty] = DutyState.OPEN
        else:
            states[duty] = DutyState.OVERDUE if record.due_at <= now else DutyState.DUE
    return states


def is_overdue(row: CaseRow, now: datetime) -> bool:
    """An open case with a duty past its deadline."""
    return row.status is not CaseStatus.CLOSED and row.first_open_due is not None and row.first_open_due <= now


def next_follow_up(row: CaseRow, now: datetime) -> datetime | None:
    """When the case's next follow-up comes due (None for a closed case or when none is planned)."""
    if row.status is CaseStatus.CLOSED:
        return None
    return min((moment for moment in row.follow_ups if moment > now), default=None)


def leads(row: CaseRow, actor: Actor) -> bool:
    """The actor is the case's leader or deputy (domain.authorization's leadership roles, from the row)."""
    aad = actor.person.aad_object_id
    return bool(aad) and aad in (row.leader_id, row.deputy_id)


def group_sees(row: CaseRow, actor: Actor) -> bool:
    """A case sent to the arbejdsmiljøgruppe the actor is in (domain.authorization.may_analyse, from the row; the row
    does not know the employee, so the case itself is asked before it is shown: never to the employee)."""
    sent = row.work_environment_sent_at is not None and row.status is not CaseStatus.DRAFT
    return sent and in_work_environment_group(row.unit_id, row.tenant_id or None, actor)


def hr_may_open(row: CaseRow, actor: Actor) -> bool:
    """HR sees the full case only when it was escalated to their function (domain.authorization, from the row)."""
    if not row.escalated or (row.tenant_id and actor.tenant_id != row.tenant_id):
        return False
    return hr_function_reached(row.escalated_to or None, row.assigned_to or None, actor)


def closed_since(now: datetime) -> datetime:
    """The leader's list shows cases closed at or after this moment (LEADER_CLOSED_MONTHS before `now`)."""
    months = now.year * 12 + now.month - 1 - LEADER_CLOSED_MONTHS
    year, month = divmod(months, 12)
    return now.replace(year=year, month=month + 1, day=min(now.day, monthrange(year, month + 1)[1]))


def leader_shows(row: CaseRow, aad_object_id: str, since: datetime) -> bool:
    """The leader's list: the cases this person leads or deputises for that are open, or were closed at or after
    `since` (a closed case without its closing time counts as closed long ago)."""
    led = bool(aad_object_id) and aad_object_id in (row.leader_id, row.deputy_id)
    recent = row.status is not CaseStatus.CLOSED or (row.closed_at is not None and row.closed_at >= since)
    return led and recent


def leader_order(row: CaseRow) -> tuple[datetime, str]:
    """The leader's list is newest first: by report time, then case id (sorted descending)."""
    return row.reported_at, row.case_id


@dataclass(frozen=True)
class LeaderPage:
    """One page of `PAGE_SIZE` rows of the leader's list; `more`: an older page follows."""

    rows: list[CaseRow]
    page: int
    more: bool


def leader_page(rows: list[CaseRow], aad_object_id: str, since: datetime, page: int) -> LeaderPage:
    """Select, sort and page the leader's list in memory (for a store that cannot do it itself)."""
    selected = sorted((row for row in rows if leader_shows(row, aad_object_id, since)), key=leader_order, reverse=True)
    start = (page - 1) * PAGE_SIZE
    return LeaderPage(selected[start : start + PAGE_SIZE], page, len(selected) > start + PAGE_SIZE)


SortKey = Literal["reported", "reference", "unit", "status"]


@dataclass(frozen=True)
class RegisterQuery:
    """HR's register: a filter, a sort and a page of `PAGE_SIZE` rows."""

    unit_id: str | None = None
    status: CaseStatus | None = None
    overdue_only: bool = False
    escalated_only: bool = False
    reported_from: date | None = None  # a local (Danish) day
    reported_to: date | None = None  # inclusive
    reference: str = ""  # a reference or its start, case-insensitive
    sort: SortKey = "reported"
    descending: bool = True
    page: int = 1


@dataclass(frozen=True)
class RegisterPage:
    rows: list[CaseRow]
    total: int
    page: int
    page_size: int = PAGE_SIZE


def reported_between(query: RegisterQuery) -> tuple[datetime | None, datetime | None]:
    """The query's local days as moments: from the start of the first day, until (not including) the day after
    the last."""
    start = datetime.combine(query.reported_from, time(0), COPENHAGEN) if query.reported_from else None
    end = datetime.combine(query.reported_to + timedelta(days=1), time(0), COPENHAGEN) if query.reported_to else None
    return start, end


def matches(row: CaseRow, query: RegisterQuery, now: datetime) -> bool:
    """Whether a row passes the register's filter (the SQL of the local index says the same)."""
    start, end = reported_between(query)
    return (
        (query.unit_id is None or row.unit_id == query.unit_id)
        and (query.status is None or row.status is query.status)
        and (not query.overdue_only or is_overdue(row, now))
        and (not query.escalated_only or row.escalated)
        and (start is None or row.reported_at >= start)
        and (end is None or row.reported_at < end)
        and row.reference.casefold().startswith(query.reference.casefold())
    )


def sort_value(row: CaseRow, sort: SortKey) -> tuple[str, str]:
    """The sort key of a row, with the reference as tie-breaker so pages never overlap."""
    match sort:
        case "reported":
            primary = row.reported_at.astimezone(UTC).isoformat()
        case "reference":
            primary = row.reference
        case "unit":
            primary = row.unit.casefold()
        case "status":
            primary = row.status.value
    return primary, row.case_id


def register_page(rows: list[CaseRow], query: RegisterQuery, now: datetime) -> RegisterPage:
    """Filter, sort and page rows in memory (for a store that cannot sort itself)."""
    selected = sorted(
        (row for row in rows if matches(row, query, now)),
        key=lambda row: sort_value(row, query.sort),
        reverse=query.descending,
    )
    start = (query.page - 1) * PAGE_SIZE
    return RegisterPage(selected[start : start + PAGE_SIZE], len(selected), query.page)
