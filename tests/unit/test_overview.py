"""The overview's rows: what a case's row holds (and never holds), its duties at a moment, who may open it, and the
register's filter, sort and pages."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.authorization import Actor, Role, roles_on
from domain.case import Case, CaseStatus, Incident
from domain.follow_ups import FollowUpPolicy, FollowUps
from domain.handling import Absence, Acknowledgement, HrAssignment, HrEscalation, HrFunction
from domain.overview import (
    PAGE_SIZE,
    CaseRow,
    Duty,
    DutyState,
    RegisterQuery,
    case_row,
    closed_since,
    duty_states,
    hr_may_open,
    is_overdue,
    leads,
    next_follow_up,
    register_page,
)
from domain.working_time import WorkingCalendar
from tests.support.case_samples import (
    DEPUTY,
    DESCRIPTION,
    EMPLOYEE,
    HR,
    LEADER,
    LEADER_NOTES,
    REPORTED_AT,
    STRANGER,
    TENANT,
    full_case,
)

FOLLOW_UPS = FollowUps(FollowUpPolicy(), WorkingCalendar())


def fresh_case(**changes: object) -> Case:
    """Reported on Friday 20 November 2026 09:30 local time, nothing done yet."""
    case = Case(
        case_id="case-fresh",
        reference="VK-2026-0007",
        subject=EMPLOYEE,
        reporter=EMPLOYEE,
        incident=Incident(),
        created_at=REPORTED_AT,
        tenant_id=TENANT,
        unit="Borgerservice Nord",
        unit_id="unit-1",
        leader=LEADER,
        deputy=DEPUTY,
    )
    return case.model_copy(update=changes)


def test_a_draft_has_no_row() -> None:
    assert case_row(fresh_case(status=CaseStatus.DRAFT), FOLLOW_UPS) is None


def test_a_fresh_case_has_its_duties_due_then_overdue_and_its_next_follow_up() -> None:
    row = case_row(fresh_case(), FOLLOW_UPS)
    assert row is not None

    assert set(row.duties) == {
        Duty.ACKNOWLEDGE,
        Duty.FIRST_AID,
        Duty.COLLEAGUES,
        Duty.SAFETYNET,
        Duty.RESTRICTIONS,
        Duty.WORK_ENVIRONMENT,
    }  # no absence, no planned police report: no EASY deadline, no police duty
    at_report = duty_states(row, REPORTED_AT)
    assert at_report[Duty.ACKNOWLEDGE] is DutyState.DUE and at_report[Duty.RESTRICTIONS] is DutyState.OPEN
    assert not is_overdue(row, REPORTED_AT)
    week_later = duty_states(row, REPORTED_AT + timedelta(days=7))
    assert week_later[Duty.ACKNOWLEDGE] is DutyState.OVERDUE and week_later[Duty.FIRST_AID] is DutyState.OVERDUE
    assert is_overdue(row, REPORTED_AT + timedelta(days=7))
    # The first follow-up: the acknowledgement reminder 4 working hours after 09:30 on a Friday, 13:30 local.
    assert next_follow_up(row, REPORTED_AT) == datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
    assert row.first_open_due == min(r.due_at for r in row.duties.values() if r.due_at is not None)


def test_an_acknowledged_case_has_that_duty_done_and_an_absence_brings_the_easy_deadline() -> None:
    acknowledged = Acknowledgement(by=LEADER.user_id, at=REPORTED_AT + timedelta(hours=1))
    absence = Absence(by=LEADER.user_id, at=REPORTED_AT, first_day=date(2026, 11, 23))
    case = fresh_case()
    case.handling.acknowledged = acknowledged
    case.handling.absence = absence
    row = case_row(case, FOLLOW_UPS)
    assert row is not None

    states = duty_states(row, datetime(2026, 12, 7, 12, tzinfo=UTC))  # the deadline is 14 days after the 23rd
    assert states[Duty.ACKNOWLEDGE] is DutyState.DONE and row.acknowledged_at == acknowledged.at
    assert states[Duty.EASY] is DutyState.DUE
    assert duty_states(row, datetime(2026, 12, 9, 12, tzinfo=UTC))[Duty.EASY] is DutyState.OVERDUE


def test_a_full_case_has_every_duty_done_and_the_row_holds_no_names_and_no_free_text() -> None:
    case = full_case(status=CaseStatus.ACKNOWLEDGED)
    row = case_row(case, FOLLOW_UPS)
    assert row is not None

    assert set(duty_states(row, REPORTED_AT + timedelta(days=30)).values()) == {DutyState.DONE}
    assert (row.leader_id, row.deputy_id) == (LEADER.aad_object_id, DEPUTY.aad_object_id)
    assert (row.escalated, row.escalated_to, row.channel, row.offender_relation) == (
        True,
        "jura",
        "facebook",
        "citizen",
    )
    assert "police_report" in row.actions and "offender_contacted" in row.actions
    stored = row.model_dump_json()
    for private in (DESCRIPTION, EMPLOYEE.name, LEADER.name, DEPUTY.name, case.incident.offender.name, *LEADER_NOTES):
        assert private not in stored
    assert EMPLOYEE.aad_object_id not in stored  # the employee is not named by id either


def test_a_closed_case_has_nothing_due_and_no_next_follow_up() -> None:
    row = case_row(fresh_case(status=CaseStatus.CLOSED), FOLLOW_UPS)
    assert row is not None

    later = REPORTED_AT + timedelta(days=30)
    assert set(duty_states(row, later).values()) == {DutyState.OPEN}
    assert not is_overdue(row, later) and next_follow_up(row, REPORTED_AT) is None


def hr_actor(function: HrFunction, *, intake: bool = False, tenant: str = TENANT) -> Actor:
    return Actor(HR, is_hr=True, tenant_id=tenant, hr_function=function, hr_intake=intake)


ESCALATIONS = [
    None,
    HrEscalation(by=LEADER.user_id, at=REPORTED_AT, function=HrFunction.JURA),
    HrEscalation(by="system", at=REPORTED_AT, automatic_reason="ack_hr"),
]
ASSIGNMENTS = [None, HrAssignment(by=HR.user_id, at=REPORTED_AT, function=HrFunction.WORK_ENVIRONMENT_COORDINATOR)]
ACTORS = [
    hr_actor(HrFunction.JURA),
    hr_actor(HrFunction.WORK_ENVIRONMENT_COORDINATOR),
    hr_actor(HrFunction.WORK_ENVIRONMENT_COORDINATOR, intake=True),
    hr_actor(HrFunction.JURA, tenant="another-tenant"),
    Actor(STRANGER, tenant_id=TENANT),
    Actor(LEADER, tenant_id=TENANT),
]


@pytest.mark.parametrize(
    ("escalation", "assignment", "actor"), list(itertools.product(ESCALATIONS, ASSIGNMENTS, ACTORS))
)
def test_hr_opens_a_case_from_its_row_exactly_when_the_domain_gives_them_the_hr_role(
    escalation: HrEscalation | None, assignment: HrAssignment | None, actor: Actor
) -> None:
    case = fresh_case()
    case.handling.hr_escalation = escalation
    case.handling.hr_response.assigned = assignment
    row = case_row(case, FOLLOW_UPS)
    assert row is not None

    assert hr_may_open(row, actor) is (Role.HR in roles_on(case, actor))
    assert leads(row, actor) is bool(roles_on(case, actor) & {Role.LEADER, Role.DEPUTY})


def many_rows(count: int) -> list[CaseRow]:
    rows = []
    for number in range(count):
        case = fresh_case(
            case_id=f"case-{number:03d}",
            reference=f"VK-2026-{number:04d}",
            created_at=REPORTED_AT + timedelta(hours=number),
            unit=["Borgerservice", "ældreplejen", "Jobcenter"][number % 3],
            unit_id=f"unit-{number % 3}",
            status=CaseStatus.CLOSED if number % 4 == 0 else CaseStatus.REPORTED,
        )
        if number % 5 == 0:
            case.handling.hr_escalation = HrEscalation(by="system", at=REPORTED_AT, automatic_reason="ack_hr")
        row = case_row(case, FOLLOW_UPS)
        assert row is not None
        rows.append(row)
    return rows


def test_the_register_pages_through_every_matching_row_once_in_order() -> None:
    rows = many_rows(130)
    now = REPORTED_AT + timedelta(days=60)

    pages = [register_page(rows, RegisterQuery(sort="unit", descending=False, page=n), now) for n in (1, 2, 3, 4)]

    assert [len(page.rows) for page in pages] == [PAGE_SIZE, PAGE_SIZE, 30, 0]
    assert {page.total for page in pages} == {130}
    seen = [row.case_id for page in pages for row in page.rows]
    assert sorted(seen) == sorted(row.case_id for row in rows)
    units = [row.unit.casefold() for page in pages for row in page.rows]
    assert units == sorted(units)  # "ældreplejen" after "jobcenter", whatever its case


def test_the_register_filters_by_unit_status_overdue_dates_and_reference() -> None:
    rows = many_rows(130)
    now = REPORTED_AT + timedelta(days=60)

    open_in_unit = register_page(rows, RegisterQuery(unit_id="unit-1", status=CaseStatus.REPORTED), now)
    assert open_in_unit.total == sum(1 for n in range(130) if n % 3 == 1 and n % 4 != 0)
    overdue = register_page(rows, RegisterQuery(overdue_only=True), now)
    assert overdue.total == sum(1 for n in range(130) if n % 4 != 0)  # every open one is late by now
    first_day = register_page(
        rows, RegisterQuery(reported_from=date(2026, 11, 20), reported_to=date(2026, 11, 20)), now
    )
    assert first_day.total == 15  # 09:30 to 23:30 local time on the 20th (08:30-22:30 UTC)
    by_reference = register_page(rows, RegisterQuery(reference="vk-2026-012"), now)
    assert [row.reference for row in by_reference.rows] == [f"VK-2026-012{n}" for n in range(9, -1, -1)]


def test_the_leaders_list_keeps_closed_cases_twelve_months_by_the_calendar() -> None:
    assert closed_since(datetime(2026, 12, 7, 20, 0, tzinfo=UTC)) == datetime(2025, 12, 7, 20, 0, tzinfo=UTC)
    assert closed_since(datetime(2028, 2, 29, 8, 0, tzinfo=UTC)) == datetime(2027, 2, 28, 8, 0, tzinfo=UTC)
    assert closed_since(datetime(2026, 1, 31, tzinfo=UTC)) == datetime(2025, 1, 31, tzinfo=UTC)
