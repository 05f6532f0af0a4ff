"""Retention and legal holds as rules (domain/retention.py, the hold verbs of domain/leader_actions.py): when a
case is due, that a hold keeps it, who may place and lift one, and that a tombstone names nobody."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.authorization import Actor
from domain.case import Case, CaseStatus
from domain.follow_ups import Job, JobKind
from domain.handling import HrFunction
from domain.leader_actions import InvalidCommand, NotAllowed, Verb, execute
from domain.retention import (
    DeletionRule,
    RetentionPolicy,
    add_years,
    deletion_due_at,
    is_due,
    retention_job,
    tombstone_for,
)
from tests.support import case_samples as samples

POLICY = RetentionPolicy()
CLOSED_AT = samples.REPORTED_AT + timedelta(hours=10)  # full_case's closure
AS_HR = Actor(samples.HR, is_hr=True, tenant_id=samples.TENANT, hr_function=HrFunction.JURA)
# HR, but of the function the case did not go to (full_case went to Jura).
OTHER_HR = Actor(
    samples.STRANGER, is_hr=True, tenant_id=samples.TENANT, hr_function=HrFunction.WORK_ENVIRONMENT_COORDINATOR
)
AS_LEADER = Actor(samples.LEADER, tenant_id=samples.TENANT)


def closed() -> Case:
    return samples.full_case(status=CaseStatus.CLOSED)


def draft() -> Case:
    case = samples.full_case(status=CaseStatus.DRAFT)
    case.reference, case.leader, case.deputy = "", None, None
    return case


def hold(case: Case, actor: Actor = AS_HR, reason: str = "Verserende retssag", at: datetime | None = None) -> Case:
    return execute(case, Verb.LEGAL_HOLD, {"hold_reason": reason}, actor, at or CLOSED_AT, case.version)


def lift(case: Case, reason: str = "Retssagen er afsluttet", at: datetime | None = None) -> Case:
    return execute(case, Verb.LIFT_LEGAL_HOLD, {"hold_reason": reason}, AS_HR, at or CLOSED_AT, case.version)


def test_a_closed_case_is_due_five_years_after_closing_and_not_a_moment_before() -> None:
    case = closed()
    due = deletion_due_at(case, POLICY)

    assert due == CLOSED_AT.replace(year=CLOSED_AT.year + 5)
    assert not is_due(case, POLICY, due - timedelta(seconds=1))
    assert is_due(case, POLICY, due)


def test_the_period_is_the_setting() -> None:
    assert deletion_due_at(closed(), RetentionPolicy(closed_case_years=10)) == add_years(CLOSED_AT, 10)
    assert deletion_due_at(draft(), RetentionPolicy(draft_days=7)) == samples.REPORTED_AT + timedelta(days=7)


def test_a_draft_is_due_thirty_days_after_it_was_kept() -> None:
    assert deletion_due_at(draft(), POLICY) == samples.REPORTED_AT + timedelta(days=30)


@pytest.mark.parametrize("status", [CaseStatus.REPORTED, CaseStatus.ACKNOWLEDGED])
def test_an_open_case_is_never_due(status: CaseStatus) -> None:
    case = samples.full_case(status=status)
    assert deletion_due_at(case, POLICY) is None
    assert not is_due(case, POLICY, datetime(2099, 1, 1, tzinfo=UTC))
    assert retention_job(case, POLICY) is None


def test_a_leap_day_plus_years_is_the_28th_of_february() -> None:
    assert add_years(datetime(2028, 2, 29, 12, tzinfo=UTC), 5) == datetime(2033, 2, 28, 12, tzinfo=UTC)


def test_a_held_case_is_never_due_and_plans_no_deletion() -> None:
    held = hold(closed())
    far_future = datetime(2099, 1, 1, tzinfo=UTC)

    assert not is_due(held, POLICY, far_future)
    assert retention_job(held, POLICY) is None


def test_lifting_the_hold_makes_it_due_again_with_a_new_job() -> None:
    first = retention_job(closed(), POLICY)
    lifted = lift(hold(closed()))
    again = retention_job(lifted, POLICY)

    assert first is not None and again is not None
    assert first.kind is again.kind is JobKind.RETENTION
    assert again.id != first.id and again.due_at == first.due_at  # a new id: queued again, due as before
    assert is_due(lifted, POLICY, again.due_at)
    Job.model_validate(again.model_dump())  # a storable job id


def test_hr_places_a_hold_on_a_closed_case_with_a_reason_and_it_is_signed() -> None:
    held = hold(closed())
    standing = held.handling.active_hold()

    assert standing is not None and standing.reason == "Verserende retssag"
    assert standing.placed.by == samples.HR.user_id and standing.placed.at == CLOSED_AT
    assert held.version == closed().version + 1


def test_lifting_keeps_the_record_of_the_hold() -> None:
    lifted = lift(hold(closed()))

    assert lifted.handling.active_hold() is None
    [record] = lifted.handling.legal_holds
    assert record.lifted is not None and record.lift_reason == "Retssagen er afsluttet"


def test_a_hold_needs_a_reason() -> None:
    with pytest.raises(InvalidCommand) as raised:
        hold(closed(), reason="   ")
    assert raised.value.reason == "hold_reason_required"


def test_one_hold_at_a_time_and_nothing_to_lift_without_one() -> None:
    with pytest.raises(InvalidCommand) as twice:
        hold(hold(closed()))
    with pytest.raises(InvalidCommand) as nothing:
        lift(closed())
    assert (twice.value.reason, nothing.value.reason) == ("already_held", "not_held")


@pytest.mark.parametrize("actor", [AS_LEADER, OTHER_HR, Actor(samples.EMPLOYEE, tenant_id=samples.TENANT)])
def test_only_hr_with_the_case_may_place_a_hold(actor: Actor) -> None:
    """The leader, an HR member whose function the case never went to, and the employee may not."""
    with pytest.raises(NotAllowed):
        hold(closed(), actor=actor)


def test_no_hold_on_a_draft_which_is_its_reporters_alone() -> None:
    with pytest.raises(NotAllowed):
        hold(draft())


def test_the_tombstone_keeps_reference_unit_dates_and_rule_and_names_nobody() -> None:
    case = hold(closed())
    now = datetime(2032, 1, 1, tzinfo=UTC)
    stone = tombstone_for(case, DeletionRule.CLOSED_CASE, POLICY, now, {"case": 1, "evidence": 2})
    text = stone.model_dump_json()

    assert (stone.reference, stone.unit, stone.rule) == ("VK-2026-0042", "Borgerservice Nord", DeletionRule.CLOSED_CASE)
    assert (stone.reported_at, stone.closed_at, stone.deleted_at) == (samples.REPORTED_AT, CLOSED_AT, now)
    assert stone.deleted == {"case": 1, "evidence": 2} and stone.legal_holds == 1
    people = [samples.EMPLOYEE, samples.LEADER, samples.DEPUTY, samples.HR]
    personal = [p.name for p in people] + [p.user_id for p in people] + [str(p.aad_object_id) for p in people]
    personal += [*samples.free_texts(case).values(), case.incident.offender.name, samples.TENANT, "Verserende retssag"]
    personal += [w.phone for w in case.incident.witnesses]
    assert [value for value in personal if value in text] == []
