"""Chat messages Teams reads as Markdown show what people wrote as written: HR's advice to the leader (with HR's
name), the follow-up reminders and the plan's revision reminder with the unit's name, as queued in the real
outbox on the local store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from domain.case import Case, CaseStatus, Incident, Person
from domain.follow_ups import FollowUpPolicy, FollowUps, JobKind
from domain.handling import HrAdvice, HrEscalation, HrFunction
from domain.leader_actions import Verb
from domain.response_plan import ResponsePlan
from domain.working_time import WorkingCalendar
from services.follow_up_planner import FollowUpPlanner
from services.follow_ups import FollowUpHandler
from services.notifications import CaseNotifications
from services.plan_reminders import PlanRevisionReminders
from storage.cases import CaseRepository
from storage.job_queue import LocalJobQueue
from storage.outbox import Outbox
from storage.response_plans import ResponsePlanRepository
from storage.sqlite_documents import SqliteDocumentStore
from tests.support.clock import MovableClock
from tests.support.markdown import live_constructs, shown
from tests.unit.test_card_markdown import HOSTILE

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
CASE_ID = "c0ffee"


def _plain(text: str) -> str:
    return ("Qzxvq" * len(text))[: len(text)]


def _case(written: str) -> Case:
    leader = Person(user_id="29:lone", name="Lone", aad_object_id="aad-lone")
    escalation = HrEscalation(by=leader.user_id, by_name="Lone", at=NOW, function=HrFunction.JURA)
    case = Case(
        case_id=CASE_ID,
        reference="VK-2026-0001",
        subject=Person(user_id="29:anne", name="Anne", aad_object_id="aad-anne"),
        reporter=Person(user_id="29:anne", name="Anne", aad_object_id="aad-anne"),
        incident=Incident(),
        created_at=NOW,
        status=CaseStatus.REPORTED,
        unit=written,
        leader=leader,
        deputy=Person(user_id="29:bo", name="Bo", aad_object_id="aad-bo"),
        version=2,
    )
    case.handling.hr_escalation = escalation
    case.handling.hr_response.advice = [HrAdvice(by="29:hr", by_name=written, at=NOW, text=written)]
    return case


async def _messages(store: SqliteDocumentStore, written: str) -> list[str]:
    """The text of every message queued for a case with `written` as the unit's name, HR's name and HR's
    advice (the advice to the leader, the leader's and the deputy's acknowledgement reminders), and the
    revision reminder of a plan for a unit of that name."""
    clock = MovableClock(NOW)
    follow_ups = FollowUps(FollowUpPolicy(), WorkingCalendar())
    queue = LocalJobQueue(store)
    planner = FollowUpPlanner(follow_ups, queue, clock)
    outbox = Outbox(store)
    worker = SimpleNamespace(wake=lambda: None)
    notifications = CaseNotifications(None, None, outbox, worker, clock, "89 70 12 99", planner)  # type: ignore[arg-type]
    case = _case(written)
    cases = CaseRepository(store)
    await cases.create(case)
    await notifications.after_action(case, Verb.HR_ADVICE.value, [])
    no_evidence = SimpleNamespace(list_items=lambda case_id: _nothing())
    handler = FollowUpHandler(cases, no_evidence, None, follow_ups, notifications, queue, clock, None)  # type: ignore[arg-type]
    for job in follow_ups.planned_jobs(case):
        if job.kind in (JobKind.ACK_REMINDER, JobKind.ACK_DEPUTY):
            assert await handler.handle(job)
    plans = ResponsePlanRepository(store)
    saved = await plans.save("unit-1", lambda version, _: _plan(written, version))
    leader = SimpleNamespace(as_person=lambda: case.leader, aad_object_id="aad-lone")
    directory = SimpleNamespace(unit=lambda _: SimpleNamespace(leader="aad-lone"), person=lambda _: leader)
    references = SimpleNamespace(get=lambda _: _reference())
    reminders = PlanRevisionReminders(plans, directory, references, notifications, follow_ups, queue)  # type: ignore[arg-type]
    assert await reminders.handle(follow_ups.plan_revision(saved.plan))
    queued = sorted(await outbox.pending(), key=lambda notification: notification.id)
    return [notification.payload["text"] for notification in queued if notification.payload.get("text")]


async def _nothing() -> list[object]:
    return []


async def _reference() -> dict[str, object]:
    return {"serviceUrl": "https://smba.example/emea/", "conversation": {"id": "a:1"}}


def _plan(unit_name: str, version: int) -> ResponsePlan:
    return ResponsePlan(
        unit_id="unit-1", unit_name=unit_name, revision_date=date(2026, 11, 1), version=version, updated_at=NOW
    )


@pytest.mark.parametrize("written", list(HOSTILE.values()), ids=list(HOSTILE))
async def test_messages_show_what_people_wrote_as_written(tmp_path: Path, written: str) -> None:
    hostile_store = SqliteDocumentStore(tmp_path / "hostile.sqlite3")
    plain_store = SqliteDocumentStore(tmp_path / "plain.sqlite3")
    try:
        hostile, plain = await _messages(hostile_store, written), await _messages(plain_store, _plain(written))
    finally:
        await hostile_store.close()
        await plain_store.close()
    assert len(hostile) == len(plain) == 4  # HR's advice, the leader's and deputy's reminders, the plan's
    for text, plain_text in zip(hostile, plain, strict=True):
        assert live_constructs(text) == live_constructs(plain_text)
        assert shown(text).count(written) == shown(plain_text).count(_plain(written)) > 0
