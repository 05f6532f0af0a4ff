"""The beredskabsplan's revision reminder through the durable follow-up worker: saved plan → on its revision date
the unit's leader and the plan's last editor are reminded, once each (the real app in-process, a moved clock)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.follow_ups import FollowUpPolicy, FollowUps
from domain.response_plan import QUESTION_KEYS, ResponsePlan
from domain.working_time import WorkingCalendar
from storage.response_plans import ResponsePlanRepository
from tests.e2e.plan_steps import joined, press, walk_to_summary
from tests.support.clock import MovableClock
from tests.support.connector_stub import ConnectorStub
from tests.support.in_process_bot import InProcessBot
from tests.support.organisation import Organisation
from tests.support.outbox_ids import outbox_id
from tests.support.stored import with_backend
from tests.support.teams import TeamsUser

FOLLOW_UPS = FollowUps(FollowUpPolicy(), WorkingCalendar())
WORKER_ROUNDS = 0.4  # several rounds of the follow-up worker (every 0.05 s here)
ANSWERS = {key: f"Vores svar om {key}" for key in QUESTION_KEYS}


@pytest.fixture
def plan_bot(tmp_path: Path, organisation: Organisation) -> Iterator[InProcessBot]:
    clock = MovableClock(datetime(2026, 12, 22, 9, 0, tzinfo=UTC))  # pinned: the same answer every day of the year
    bot = InProcessBot(tmp_path / "data", organisation.write(tmp_path / "directory.json"), clock)
    with bot:
        yield bot


def current_plan(bot: InProcessBot, unit_id: str) -> ResponsePlan:
    versioned = with_backend(bot.storage, lambda backend: ResponsePlanRepository(backend.documents).current(unit_id))
    assert versioned is not None
    return versioned.plan


def reminders(connector: ConnectorStub, job_id: str) -> list[str]:
    return [found for found in map(outbox_id, connector.calls) if found.startswith(job_id)]


def save_plan(user: TeamsUser) -> None:
    turn = walk_to_summary(user, user.say("beredskabsplan"), ANSWERS)
    assert "version" in joined(press(user, turn, "Gem planen"))


def test_leader_and_last_editor_are_reminded_once_on_the_revision_date(
    plan_bot: InProcessBot, connector: ConnectorStub, organisation: Organisation
) -> None:
    unit = organisation.next_unit()
    leader = TeamsUser(plan_bot.url, connector, **unit.leader.teams_details())
    safety_representative = TeamsUser(plan_bot.url, connector, **unit.colleague.teams_details())
    save_plan(leader)
    save_plan(safety_representative)  # version 2, same revision date: the same reminder
    plan = current_plan(plan_bot, unit.unit_id)
    assert plan.version == 2
    job = FOLLOW_UPS.plan_revision(plan)

    plan_bot.clock.move_to(job.due_at - timedelta(hours=1))
    time.sleep(WORKER_ROUNDS)  # nothing is due yet
    assert reminders(connector, job.id) == []

    plan_bot.clock.move_to(job.due_at + timedelta(seconds=1))
    connector.wait_for(lambda _: len(reminders(connector, job.id)) >= 2, 10.0)
    plan_bot.clock.advance(days=3)
    time.sleep(WORKER_ROUNDS)
    assert sorted(reminders(connector, job.id)) == [f"{job.id}.editor", f"{job.id}.leader"]
    leader_messages = [a.get("text") or "" for a in leader.replies()]
    assert any(
        unit.unit_name in text and "beredskabsplan" in text and "89 70 12 99" in text for text in leader_messages
    )
