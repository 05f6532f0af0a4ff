"""The beredskabsplan's revision through the durable follow-up worker (the real app in-process, a moved clock): on
its revision date the unit's leader and the plan's last editor are reminded, once each; and the arbejdsmiljøgruppe's
chain that can start a revision early: the leader sends a case to the unit's group from the card, the group's
members get the anonymised summary, they and the leader are reminded once when the analysis is late (nobody before),
a member records the analysis in the Overblik tab (its API served by a second app on the same local storage, signed
in with tokens from a local JWKS) deciding the plan must change, and the leader's card and list say "behandlet"
while the plan's leader and last editor are asked to revise it; nothing comes after that."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from app import create_app
from bot.config import Settings
from bot.runtime import RUNTIME
from bot.tab_auth import issuers
from domain.case import Case
from domain.follow_ups import FollowUpPolicy, FollowUps, JobKind
from domain.response_plan import QUESTION_KEYS, ResponsePlan
from domain.working_time import COPENHAGEN, WorkingCalendar
from storage.outbox import Outbox
from storage.response_plans import ResponsePlanRepository
from tests.e2e.leader_steps import report_case, wait_for_card
from tests.e2e.plan_steps import joined, press, walk_to_summary
from tests.e2e.test_overview_api import ANALYSIS, WORK_ENVIRONMENT, Bot, get, post, tab_settings, token
from tests.support.clock import MovableClock
from tests.support.connector_stub import ConnectorStub
from tests.support.in_process_bot import InProcessBot
from tests.support.jwks_server import JwksServer
from tests.support.organisation import Organisation, UnitPeople
from tests.support.outbox_ids import outbox_id
from tests.support.stored import all_cases, with_backend
from tests.support.teams import DEFAULT_TENANT_ID, TeamsUser, card_texts, cards

CALENDAR = WorkingCalendar()
FOLLOW_UPS = FollowUps(FollowUpPolicy(), CALENDAR)
CRISIS_LINE = "89 70 12 99"
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


class TabApi(Bot):
    """The Overblik tab's API as a second app on the bot's local storage and clock. It has an app id (the tab's
    sign-in needs one), so it gets no token to reach the connector stub: its outbox worker stops at start-up and the
    bot's worker sends what it queues, as another instance of the bot sharing the outbox would."""

    def __init__(self, settings: Settings, clock: MovableClock) -> None:
        super().__init__(settings)
        self.clock = clock

    def build_app(self) -> web.Application:
        app = create_app(self.settings, self.clock)
        app.on_startup.append(_sends_nothing)  # after the runtime is built (cleanup_ctx starts first)
        return app


async def _sends_nothing(app: web.Application) -> None:
    await app[RUNTIME].outbox_worker.stop()


@pytest.fixture
def tab_api(plan_bot: InProcessBot) -> Iterator[tuple[TabApi, JwksServer]]:
    with JwksServer(issuer=issuers(DEFAULT_TENANT_ID)[0]) as jwks:
        settings = tab_settings(jwks, DEFAULT_TENANT_ID, plan_bot.settings.data_dir, plan_bot.settings.directory_file)
        with TabApi(settings, plan_bot.clock) as tab:
            yield tab, jwks


def seed_plan(bot: InProcessBot, unit: UnitPeople) -> None:
    """The unit's plan, last saved by its safety representative (stored as the plan dialog stores it)."""

    def plan(version: int, _before: ResponsePlan | None) -> ResponsePlan:
        editor = unit.colleague
        return ResponsePlan(unit_id=unit.unit_id, unit_name=unit.unit_name,
                            revision_date=date(2027, 12, 1), version=version, updated_by=editor.name,
                            updated_by_id=editor.aad_object_id, updated_at=bot.clock.now())  # fmt: skip

    with_backend(bot.storage, lambda backend: ResponsePlanRepository(backend.documents).save(unit.unit_id, plan))


def stored_case(bot: InProcessBot, case_id: str) -> Case:
    (case,) = [c for c in all_cases(bot.storage) if c.case_id == case_id]
    return case


def delivered_text(connector: ConnectorStub, notification_id: str) -> str:
    (text,) = [call.body.get("text") or "" for call in connector.calls if outbox_id(call) == notification_id]
    return text


def tab_token(jwks: JwksServer, aad_object_id: str) -> str:
    return token(jwks, aad_object_id, tid=DEFAULT_TENANT_ID, iss=issuers(DEFAULT_TENANT_ID)[0])


def local_day(bot: InProcessBot) -> date:
    return bot.clock.now().astimezone(COPENHAGEN).date()


def test_the_work_environment_group_is_reminded_records_its_analysis_and_the_plan_revision_starts(
    plan_bot: InProcessBot,
    tab_api: tuple[TabApi, JwksServer],
    connector: ConnectorStub,
    organisation: Organisation,
) -> None:
    tab, jwks = tab_api
    reported = report_case(organisation, functools.partial(TeamsUser, plan_bot.url, connector), connector)
    unit, case_id, leader = reported.unit, reported.case_id, reported.leader
    member = TeamsUser(plan_bot.url, connector, **unit.colleague.teams_details())  # the unit's arbejdsmiljøgruppe
    seed_plan(plan_bot, unit)

    # The leader sends the case to the group from the card; the group's member gets the anonymised summary.
    mark = connector.mark()
    sent_day = local_day(plan_bot)
    status, body = leader.execute("work_environment", {"case_id": case_id, "version": reported.version})
    assert status == 200 and body["statusCode"] == 200, body
    assert f"Sendt {sent_day:%d-%m-%Y} · venter på gruppens analyse" in "\n".join(card_texts(body["value"]))
    summary = "\n".join(card_texts(wait_for_card(connector, member, mark)))
    assert "anonymiserede" in summary and CRISIS_LINE in summary
    for private in (unit.employee.name, "inkompetent", "facebook.com"):
        assert private not in summary, private
    reference = stored_case(plan_bot, case_id).reference

    # 30 days on (the next working day, in the morning) the member and the leader are reminded; nobody before.
    (reminder,) = FOLLOW_UPS.work_environment_jobs(stored_case(plan_bot, case_id))
    due_day = reminder.due_at.astimezone(COPENHAGEN).date()
    assert reminder.kind is JobKind.WORK_ENVIRONMENT_REMINDER and CALENDAR.is_working_day(due_day)
    assert 30 <= (due_day - sent_day).days < 35
    plan_bot.clock.move_to(reminder.due_at - timedelta(hours=1))
    time.sleep(WORKER_ROUNDS)
    assert reminders(connector, reminder.id) == []
    plan_bot.clock.move_to(reminder.due_at + timedelta(seconds=1))
    connector.wait_for(lambda _: len(reminders(connector, reminder.id)) >= 2, 10.0)
    to_member = delivered_text(connector, f"{reminder.id}.{unit.colleague.aad_object_id}")
    assert "Påmindelse til arbejdsmiljøgruppen" in to_member and reference in to_member and "30 dage" in to_member
    to_leader = delivered_text(connector, f"{reminder.id}.{unit.leader.aad_object_id}")
    assert "endnu ikke registreret sin analyse" in to_leader and CRISIS_LINE in to_leader

    # The member records the analysis in the tab: the plan must change.
    mark = connector.mark()
    member_token = tab_token(jwks, unit.colleague.aad_object_id)
    status, listed, _ = asyncio.run(get(tab, WORK_ENVIRONMENT, member_token))
    assert status == 200 and [(c["reference"], c["analysis"]) for c in listed["cases"]] == [(reference, None)]
    status, answer = asyncio.run(post(tab, f"{WORK_ENVIRONMENT}/{case_id}/analysis", member_token, ANALYSIS))
    assert status == 200 and answer["case"]["analysis"]["by"] == unit.colleague.name
    handled_day = local_day(plan_bot)

    # The leader's list and card say "behandlet" with the day, and the leader hears it.
    led = asyncio.run(get(tab, "/api/overview/leader", tab_token(jwks, unit.leader.aad_object_id)))[1]["cases"]
    assert [(c["reference"], c["workEnvironmentHandledAt"][:10]) for c in led] == [(reference, str(handled_day))]
    handled = f"Sendt {sent_day:%d-%m-%Y} · behandlet {handled_day:%d-%m-%Y}"
    connector.wait_for(
        lambda _: any(handled in "\n".join(card_texts(c)) for c in cards(leader.replies(since=mark))), 10.0
    )
    connector.wait_for(
        lambda _: any("beredskabsplanen skal ændres" in (a.get("text") or "") for a in leader.replies(since=mark)),
        10.0,
    )

    # The plan's revision starts: its leader and its last editor are asked to revise it, with what was decided.
    case = stored_case(plan_bot, case_id)
    analysis = case.handling.work_environment.analysis if case.handling.work_environment else None
    assert analysis is not None and analysis.plan_change and analysis.plan_change_text == ANALYSIS["planChangeText"]
    (revision,) = FOLLOW_UPS.work_environment_jobs(case)
    assert revision.kind is JobKind.PLAN_CHANGE
    connector.wait_for(lambda _: len(reminders(connector, revision.id)) >= 2, 10.0)
    for role in ("leader", "editor"):
        text = delivered_text(connector, f"{revision.id}.{role}")
        for part in ("Beredskabsplanen skal ændres", reference, unit.unit_name, ANALYSIS["planChangeText"]):
            assert part in text, (role, part)
        assert CRISIS_LINE in text
    asked = with_backend(plan_bot.storage, lambda backend: Outbox(backend.documents).sent(f"{revision.id}.editor"))
    assert asked is not None and asked.kind == "plan_revision"
    assert asked.recipient.aad_object_id == unit.colleague.aad_object_id

    # Nothing more, however long: no second reminder, no second request, nothing sent twice.
    plan_bot.clock.advance(days=2 * FOLLOW_UPS.policy.work_environment_reminder_days)
    time.sleep(WORKER_ROUNDS)
    group_ids = sorted(reminders(connector, reminder.id) + reminders(connector, revision.id))
    assert group_ids == sorted(
        [f"{reminder.id}.{unit.colleague.aad_object_id}", f"{reminder.id}.{unit.leader.aad_object_id}",
         f"{revision.id}.editor", f"{revision.id}.leader"]
    )  # fmt: skip
