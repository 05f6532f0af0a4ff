"""The leader's first card: when it counts as late, the handover to the deputy and HR, and when the employee is
told who has the case (domain/follow_ups.py, `FollowUps.first_card_step`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.case import Case, CaseStatus, Person
from domain.follow_ups import HANDED_OVER, NOBODY_HAS_IT, FollowUpPolicy, FollowUps, Job, JobKind
from domain.handling import Acknowledgement, LeaderChange
from domain.reporting import ReportDraft, to_case
from domain.working_time import WorkingCalendar

EMPLOYEE = Person(user_id="29:employee", name="Mette", aad_object_id="aad-mette")
LEADER = Person(user_id="29:leader", name="Karen", aad_object_id="aad-karen")
FILED = datetime(2026, 3, 10, 21, 0, tzinfo=UTC)  # a Tuesday evening: plain minutes, not working hours
FOLLOW_UPS = FollowUps(FollowUpPolicy(), WorkingCalendar())


def _case(*, urgent: bool = False) -> Case:
    draft = ReportDraft(case_id="b" * 32, reporter=EMPLOYEE, tenant_id="tenant-1")
    case = to_case(draft, reference="VK-2026-0002", evidence=[], now=FILED, status=CaseStatus.REPORTED)
    case.incident.urgent = urgent
    return case.model_copy(update={"leader": LEADER})


def _first(case: Case) -> Job:
    return next(job for job in FOLLOW_UPS.planned_jobs(case) if job.kind is JobKind.FIRST_CARD)


def test_the_first_card_check_is_planned_15_minutes_after_filing_and_5_when_urgent() -> None:
    assert _first(_case()).due_at == FILED + timedelta(minutes=15)
    assert _first(_case(urgent=True)).due_at == FILED + timedelta(minutes=5)
    policy = FollowUpPolicy(first_card_minutes=30, first_card_urgent_minutes=2)
    assert FollowUps(policy, WorkingCalendar()).first_card_time(_case()) == timedelta(minutes=30)


def test_a_delivered_card_ends_the_watch() -> None:
    case = _case()
    job = _first(case)
    step = FOLLOW_UPS.first_card_step(case, job, job.due_at, queued_at=None, delivered=True, reached=set())
    assert not step.hand_over and step.tell == () and step.next_job is None


def test_an_undelivered_card_hands_the_case_over_and_is_watched() -> None:
    case = _case()
    job = _first(case)
    step = FOLLOW_UPS.first_card_step(case, job, job.due_at, queued_at=FILED, delivered=False, reached=set())
    assert step.hand_over and step.tell == ()
    assert step.next_job is not None and step.next_job.key == HANDED_OVER
    assert step.next_job.due_at == job.due_at + timedelta(minutes=5)
    assert step.next_job.id != job.id


def test_a_card_queued_late_gets_its_own_full_time() -> None:
    """The employee named the leader 40 minutes after filing: the card was queued then, not at filing."""
    case = _case()
    job = _first(case)
    queued = FILED + timedelta(minutes=40)
    now = queued + timedelta(seconds=2)
    step = FOLLOW_UPS.first_card_step(case, job, now, queued_at=queued, delivered=False, reached=set())
    assert not step.hand_over
    assert step.next_job is not None and step.next_job.due_at == queued + timedelta(minutes=15)
    assert step.next_job.key == ""


def test_the_employee_is_told_only_who_has_received_the_case() -> None:
    case = _case()
    job = _first(case)
    handed = FOLLOW_UPS.first_card_step(case, job, job.due_at, queued_at=FILED, delivered=False, reached=set())
    assert handed.next_job is not None
    later = handed.next_job
    nobody = FOLLOW_UPS.first_card_step(case, later, later.due_at, queued_at=FILED, delivered=False, reached=set())
    assert nobody.tell == () and not nobody.hand_over, "nothing said while nobody has it"
    assert nobody.next_job is not None and nobody.next_job.due_at == later.due_at + timedelta(minutes=10)
    hr_only = FOLLOW_UPS.first_card_step(case, later, later.due_at, queued_at=FILED, delivered=False, reached={"hr"})
    assert hr_only.tell == ("hr",) and hr_only.next_job is None
    both = FOLLOW_UPS.first_card_step(
        case, later, later.due_at, queued_at=None, delivered=True, reached={"hr", "deputy"}
    )
    assert both.tell == ("deputy", "hr") and not both.hand_over


def test_rechecks_double_up_to_an_hour_and_stop_after_the_watch() -> None:
    case = _case()
    job = _first(case)
    waits, now = [], job.due_at
    step = FOLLOW_UPS.first_card_step(case, job, now, queued_at=FILED, delivered=False, reached=set())
    while step.next_job is not None:
        waits.append(step.next_job.due_at - now)
        now = step.next_job.due_at
        step = FOLLOW_UPS.first_card_step(case, step.next_job, now, queued_at=FILED, delivered=False, reached=set())
    assert [w.total_seconds() / 60 for w in waits[:6]] == [5, 10, 20, 40, 60, 60]
    assert now <= job.due_at + timedelta(hours=48) and now > job.due_at + timedelta(hours=46)
    assert len(waits) < 60, "a few dozen checks, not one every five minutes for two days"


def test_an_acknowledged_or_closed_case_needs_no_first_card_check() -> None:
    case = _case()
    job = _first(case)
    assert FOLLOW_UPS.still_applies(case, job, job.due_at)
    case.handling.acknowledged = Acknowledgement(by=LEADER.user_id, by_name=LEADER.name, at=FILED)
    assert not FOLLOW_UPS.still_applies(case, job, job.due_at)
    closed = _case().model_copy(update={"status": CaseStatus.CLOSED})
    assert not FOLLOW_UPS.still_applies(closed, job, job.due_at)


def test_with_nobody_to_hand_it_to_the_employee_is_told_nobody_has_it_at_once() -> None:
    case = _case()
    job = _first(case)
    step = FOLLOW_UPS.first_card_step(
        case, job, job.due_at, queued_at=FILED, delivered=False, reached=set(), can_hand_over=False
    )
    assert not step.hand_over and step.tell == (NOBODY_HAS_IT,) and step.next_job is None


def test_when_the_watch_ends_with_no_card_delivered_the_employee_is_told_nobody_has_it() -> None:
    case = _case()
    job = _first(case)
    step = FOLLOW_UPS.first_card_step(case, job, job.due_at, queued_at=FILED, delivered=False, reached=set())
    last, now = step, job.due_at
    while step.next_job is not None:
        last, now = step, step.next_job.due_at
        step = FOLLOW_UPS.first_card_step(case, step.next_job, now, queued_at=FILED, delivered=False, reached=set())
    assert step.tell == (NOBODY_HAS_IT,) and last.tell == ()
    assert last.next_job is not None
    delivered_late = FOLLOW_UPS.first_card_step(case, last.next_job, now, queued_at=None, delivered=True, reached=set())
    assert delivered_late.tell == () and delivered_late.next_job is None, "the leader has it: nothing untrue is said"


def test_each_leader_the_case_is_given_to_has_their_first_card_watched() -> None:
    case = _case()
    first = _first(case)
    case.handling.acknowledged = Acknowledgement(by=LEADER.user_id, by_name=LEADER.name, at=FILED)
    given_at = FILED + timedelta(hours=3)
    new = Person(user_id="aad:aad-holm", name="Mette Holm", aad_object_id="aad-holm")
    case.handling.leader_changes.append(
        LeaderChange(by="29:hr", at=given_at, from_leader=LEADER, to_leader=new, reason="sygemeldt")
    )
    case.leader = new

    second = _first(case)
    assert second.id != first.id and second.due_at == given_at + timedelta(minutes=15)
    assert FOLLOW_UPS.still_applies(case, second, second.due_at), "acknowledged by the leader before: still watched"
    assert not FOLLOW_UPS.still_applies(case, first, second.due_at), "the leader before's watch is over"
    step = FOLLOW_UPS.first_card_step(case, second, second.due_at, queued_at=given_at, delivered=False, reached=set())
    assert step.hand_over and step.next_job is not None and step.next_job.id.startswith(f"{case.case_id}.c1.")
