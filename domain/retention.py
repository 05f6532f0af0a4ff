"""How long a case is kept, when it goes, and what stays of it (GDPR art. 5(1)(e): no longer than needed).

  * A closed case goes `closed_case_years` after it was closed (the municipality's journal plan says how long;
    default 5 years).
  * A draft (a report never sent, kept for its evidence) goes `draft_days` after it was kept (default 30); its
    author is told.
  * A draft also goes at once when its author deletes it ("Mine sager"); only its author may (domain.authorization).
  * An open case (reported, acknowledged) never goes: its handling is not done.
  * A case under a legal hold (retshold, `domain.handling.LegalHold`, placed and lifted by HR) never goes. When the
    hold is lifted the case goes when its period says, at once if that has passed.
What stays is a `Tombstone`: the reference, the unit, the dates, what was deleted and by which rule; no person's
name or id and no free text. A time-based immutability policy on the evidence container must not outlast these
periods (`immutability_conflicts`; docs/production-storage.md).

Evidence immutability per blob (`evidence_immutable_until`, `EVIDENCE_IMMUTABILITY`): a filed case's evidence
cannot be changed or deleted before the earliest date the case could be deleted. While the case is open that is
`closed_case_years` after it was created (closed at once, it would go no earlier), once closed `closed_case_years`
after closing (its deletion date exactly). An expiry is only ever extended, never shortened (`extends`): a reopened
case keeps the one its closing gave. A draft gets none, so it can go after `draft_days` or when its author deletes it.
A legal hold in Værn is an Azure legal hold on the evidence as well (`immutability_job` carries it), lifted with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.case import Case, CaseStatus
from domain.follow_ups import Job, JobKind


class EvidenceImmutability(StrEnum):
    """Whether evidence blobs get an immutability policy of their own (setting EVIDENCE_IMMUTABILITY): none;
    unlocked (an administrator can still shorten or remove it in Azure: for trying it out); locked (nobody can,
    until it ends)."""

    NONE = "none"
    UNLOCKED = "unlocked"
    LOCKED = "locked"


class RetentionPolicy(BaseModel):
    """The retention periods (settings RETENTION__CLOSED_CASE_YEARS, RETENTION__DRAFT_DAYS)."""

    closed_case_years: int = Field(default=5, ge=1, le=100)
    draft_days: int = Field(default=30, ge=1, le=3650)


class DeletionRule(StrEnum):
    """Why a case was deleted."""

    CLOSED_CASE = "closed_case_retention"
    DRAFT = "draft_never_sent"
    DRAFT_DELETED_BY_AUTHOR = "draft_deleted_by_author"


def add_years(moment: datetime, years: int) -> datetime:
    """The same moment `years` later; 29 February becomes 28 February in a year without it."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def deletion_rule(case: Case) -> DeletionRule | None:
    """The rule a case falls under by its status (None: an open case, kept while it is handled)."""
    if case.status is CaseStatus.CLOSED:
        return DeletionRule.CLOSED_CASE
    if case.status is CaseStatus.DRAFT:
        return DeletionRule.DRAFT
    return None


def closed_at(case: Case) -> datetime | None:
    """When the case was closed (None while it is open)."""
    if case.status is not CaseStatus.CLOSED:
        return None
    closure = case.handling.closure
    return closure.at if closure is not None else case.created_at


def deletion_due_at(case: Case, policy: RetentionPolicy) -> datetime | None:
    """When the case's retention period ends, whatever holds it (None: an open case)."""
    rule = deletion_rule(case)
    if rule is DeletionRule.DRAFT:
        return case.created_at + timedelta(days=policy.draft_days)
    closed = closed_at(case)
    if rule is DeletionRule.CLOSED_CASE and closed is not None:
        return add_years(closed, policy.closed_case_years)
    return None


def is_held(case: Case) -> bool:
    return case.handling.active_hold() is not None


def is_due(case: Case, policy: RetentionPolicy, now: datetime) -> bool:
    """Whether the case is to be deleted now: its period has ended and no legal hold stands."""
    due_at = deletion_due_at(case, policy)
    return due_at is not None and due_at <= now and not is_held(case)


def retention_job(case: Case, policy: RetentionPolicy) -> Job | None:
    """The job that deletes the case when its period ends (None while it is open or held). Each lifted hold makes
    a new job (its sequence), so a hold lifted after the period ended plans a deletion that comes due at once."""
    due_at = deletion_due_at(case, policy)
    if due_at is None or is_held(case):
        return None
    sequence = 1 + sum(1 for hold in case.handling.legal_holds if hold.lifted is not None)
    return Job(
        id=f"{case.case_id}.{JobKind.RETENTION.value}.{sequence}.{due_at:%Y%m%d}",
        kind=JobKind.RETENTION,
        case_id=case.case_id,
        due_at=due_at,
        sequence=sequence,
        key=due_at.date().isoformat(),
    )


class Tombstone(BaseModel):
    """What stays of a deleted case: no person's name or id, no free text, no evidence. `deleted` counts what
    was removed, by kind (case, evidence, audit, outbox, jobs, ...)."""

    case_id: str
    reference: str
    unit: str
    unit_id: str
    status: CaseStatus
    reported_at: datetime
    closed_at: datetime | None
    deleted_at: datetime
    rule: DeletionRule
    retention_period: str
    legal_holds: int
    deleted: dict[str, int]


def tombstone_for(
    case: Case, rule: DeletionRule, policy: RetentionPolicy, now: datetime, deleted: dict[str, int]
) -> Tombstone:
    periods = {
        DeletionRule.CLOSED_CASE: f"{policy.closed_case_years} years after closing",
        DeletionRule.DRAFT: f"{policy.draft_days} days after the draft was kept",
        DeletionRule.DRAFT_DELETED_BY_AUTHOR: "deleted by its author before it was sent",
    }
    period = periods[rule]
    return Tombstone(
        case_id=case.case_id,
        reference=case.reference,
        unit=case.unit,
        unit_id=case.unit_id,
        status=case.status,
        reported_at=case.created_at,
        closed_at=closed_at(case),
        deleted_at=now,
        rule=rule,
        retention_period=period,
        legal_holds=len(case.handling.legal_holds),
        deleted=dict(deleted),
    )


class ImmutabilityConflict(StrEnum):
    """Where a time-based immutability policy on the evidence container outlasts a deletion Værn must make.

    Such a policy keeps every evidence blob `days` after it was written, for every case alike (it is set on the
    container). Evidence is written while a case is open, so a closed case's evidence is free by the time its period
    after closing ends as long as the policy is no longer than that period (`closed_case_years` x 365 days, the
    shortest such period). A draft's evidence is due `draft_days` after the draft was kept, or at once when its author
    deletes it: any longer policy keeps those files until it ends (the deletion is refused and tried again).
    """

    CLOSED_CASES = "closed_cases"
    DRAFTS = "drafts"


def immutability_conflicts(policy_days: int, policy: RetentionPolicy) -> list[ImmutabilityConflict]:
    """What a policy of `policy_days` (0: none) on the evidence container would keep beyond its deletion date."""
    if policy_days <= 0:
        return []
    conflicts: list[ImmutabilityConflict] = []
    if policy_days > policy.closed_case_years * 365:
        conflicts.append(ImmutabilityConflict.CLOSED_CASES)
    if policy_days > policy.draft_days:
        conflicts.append(ImmutabilityConflict.DRAFTS)
    return conflicts


def evidence_immutable_until(case: Case, policy: RetentionPolicy) -> datetime | None:
    """Until when a case's evidence must stay as it is: never past the earliest moment the case could be deleted.
    None for a draft (deleted after `draft_days`, or at once by its author)."""
    if case.status is CaseStatus.DRAFT:
        return None
    closed = closed_at(case)
    return add_years(closed if closed is not None else case.created_at, policy.closed_case_years)


def extends(current: datetime | None, wanted: datetime) -> bool:
    """Whether setting `wanted` on a blob whose expiry is `current` (None: none) lengthens it. An expiry is never
    shortened: a reopened case keeps the one its closing gave, until it is closed again."""
    return current is None or wanted > current


def immutability_job(case: Case, policy: RetentionPolicy) -> Job | None:
    """The job that sets the case's evidence expiry and its legal hold (None: a draft with no hold ever). Its id
    names what it sets (the expiry to the second, how much evidence, the holds), so a change to any of them plans a
    new job and the same state never plans one twice. Due at once (at the case's creation)."""
    until = evidence_immutable_until(case, policy)
    holds = case.handling.legal_holds
    if until is None and not holds:
        return None
    held = "held" if is_held(case) else "free"
    key = f"{until:%Y%m%dT%H%M%S}" if until is not None else "none"
    state = f"{key}.{len(case.evidence)}.{len(holds)}{held}"
    return Job(
        id=f"{case.case_id}.{JobKind.EVIDENCE_IMMUTABILITY.value}.{state}",
        kind=JobKind.EVIDENCE_IMMUTABILITY,
        case_id=case.case_id,
        due_at=case.created_at,
        key=state,
    )
