"""The leader's card when Teams does not take it: the case goes to the deputy and HR intake after 15 minutes and the
employee is told who has it once they do; and through an outage longer than the outbox's whole retry budget the
card is still delivered afterwards.

The real app runs in this process (real HTTP on 127.0.0.1, the connector stub answers 503 for as long as a test
says) with a clock the test moves, so two days of retries take seconds. Messages are found by their outbox id.
"""

from __future__ import annotations

import time as clock_time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from domain.case import Case
from storage.backends import StorageBackend
from storage.outbox import Outbox
from tests.e2e.report_walk import answer_until
from tests.support.clock import MovableClock
from tests.support.connector_stub import ConnectorStub, RecordedCall
from tests.support.in_process_bot import InProcessBot
from tests.support.organisation import Organisation
from tests.support.outbox_ids import outbox_id
from tests.support.stored import all_cases, with_backend
from tests.support.teams import TeamsUser

pytestmark = pytest.mark.slow  # left out of the quick loop: pytest -m "not slow"

WAIT_SECONDS = 10.0
QUIET_SECONDS = 0.6  # several worker rounds (0.05 s each)


@pytest.fixture
def outage_bot(tmp_path: Path, organisation: Organisation, connector: ConnectorStub) -> Iterator[InProcessBot]:
    bot = InProcessBot(
        tmp_path / "data", organisation.write(tmp_path / "directory.json"), MovableClock(datetime.now(UTC))
    )
    with bot:
        yield bot
    connector.clear()  # no outage outlives its test


def calls_for(connector: ConnectorStub, notification_id: str) -> list[RecordedCall]:
    return [call for call in connector.calls if outbox_id(call) == notification_id]


def delivered(connector: ConnectorStub, notification_id: str) -> list[RecordedCall]:
    return [call for call in calls_for(connector, notification_id) if call.succeeded]


def wait_delivered(connector: ConnectorStub, notification_id: str) -> RecordedCall:
    try:
        return connector.wait_for(lambda _: (delivered(connector, notification_id) or [None])[0], WAIT_SECONDS)
    except TimeoutError as error:
        raise AssertionError(f"{notification_id} was not delivered") from error


def recorded_attempts(bot: InProcessBot, notification_id: str) -> int:
    """Failed attempts the outbox recorded for the notification, pending or given up (-1: neither)."""

    async def read(backend: StorageBackend) -> int:
        outbox = Outbox(backend.documents)
        found = await outbox.get(notification_id)
        if found is None:
            found = next((n for n in await outbox.dead_letters() if n.id == notification_id), None)
        return found.attempts if found is not None else -1

    return with_backend(bot.storage, read)


def wait_attempts(bot: InProcessBot, notification_id: str, more_than: int) -> int:
    """Wait until the outbox recorded another failed attempt (recorded, so moving the clock on is safe)."""
    deadline = clock_time.monotonic() + WAIT_SECONDS
    while (attempts := recorded_attempts(bot, notification_id)) <= more_than:
        if clock_time.monotonic() > deadline:
            raise AssertionError(f"{notification_id}: no attempt after {more_than} within {WAIT_SECONDS} s")
        clock_time.sleep(0.05)
    return attempts


def report(employee: TeamsUser, bot: InProcessBot) -> Case:
    answer_until(employee, "summary")
    employee.submit({"q": "summary", "answer": "confirm"})
    (case,) = [c for c in all_cases(bot.storage) if c.subject.user_id == employee.user_id]
    return case


def text_of(call: RecordedCall) -> str:
    return str(call.body.get("text") or "")


def test_an_undelivered_leader_card_hands_the_case_to_the_deputy_and_hr(
    outage_bot: InProcessBot, connector: ConnectorStub, organisation: Organisation
) -> None:
    unit = organisation.next_unit()
    leader, deputy, employee = (
        TeamsUser(outage_bot.url, connector, **getattr(unit, role).teams_details())
        for role in ("leader", "deputy", "employee")
    )
    intake, not_intake = organisation.hr_coordinator, organisation.hr_jura  # HR_INTAKE_FUNCTION: the coordinator
    connector.start_outage(503, conversation_id=leader.conversation_id)  # Teams will not take the leader's card

    case = report(employee, outage_bot)
    card_id, prefix = f"{case.case_id}-reported", f"{case.case_id}.first_card.handover"
    wait_attempts(outage_bot, card_id, 0)

    # 14 minutes: still the leader's alone.
    outage_bot.clock.advance(minutes=14)
    clock_time.sleep(QUIET_SECONDS)
    assert not [call for call in connector.calls if outbox_id(call).startswith(prefix)]

    # 15 minutes: the deputy gets the leadership card, HR the case; the employee hears nothing yet.
    outage_bot.clock.advance(minutes=2)
    intro = wait_delivered(connector, f"{prefix}.deputy")
    assert case.reference in text_of(intro) and unit.leader.name in text_of(intro)
    deputy_card = wait_delivered(connector, f"{prefix}.deputy-card")
    assert deputy_card.conversation_id == deputy.conversation_id
    assert deputy_card.body["attachments"][0]["content"]["refresh"]["action"]["data"]["case_id"] == case.case_id
    wait_delivered(connector, f"{prefix}.hr-{intake.aad_object_id}")
    assert calls_for(connector, f"{prefix}.hr-{not_intake.aad_object_id}") == []  # need-to-know: intake only
    (stored,) = [c for c in all_cases(outage_bot.storage) if c.case_id == case.case_id]
    assert stored.handling.hr_escalation is not None
    assert stored.handling.hr_escalation.automatic_reason == "leader_card_undelivered"
    assert calls_for(connector, f"{prefix}.employee") == []

    # At the next check the employee is told plainly who has the case, in their chat.
    outage_bot.clock.advance(minutes=5)
    told = wait_delivered(connector, f"{prefix}.employee")
    assert told.conversation_id == employee.conversation_id
    assert unit.deputy.name in text_of(told) and "Organisation og Personale" in text_of(told)
    assert case.reference in text_of(told)
    assert delivered(connector, card_id) == [], "the leader still has not got it"

    # Teams takes the leader's messages again: the card arrives with the next retry, and nothing is sent twice.
    connector.end_outage(conversation_id=leader.conversation_id)
    outage_bot.clock.advance(minutes=5)
    assert wait_delivered(connector, card_id).conversation_id == leader.conversation_id
    outage_bot.clock.advance(hours=1)
    clock_time.sleep(QUIET_SECONDS)
    for notification_id in (card_id, f"{prefix}.employee", f"{prefix}.deputy-card"):
        assert len(delivered(connector, notification_id)) == 1, notification_id


def test_the_leader_card_arrives_after_an_outage_longer_than_the_whole_retry_budget(
    outage_bot: InProcessBot, connector: ConnectorStub, organisation: Organisation
) -> None:
    unit = organisation.next_unit()
    leader, employee = (
        TeamsUser(outage_bot.url, connector, **getattr(unit, role).teams_details()) for role in ("leader", "employee")
    )
    connector.start_outage(503, {"Retry-After": "86400"}, proactive_only=True)  # every message of the bot's own

    case = report(employee, outage_bot)
    card_id, prefix = f"{case.case_id}-reported", f"{case.case_id}.first_card.handover"
    attempts = wait_attempts(outage_bot, card_id, 0)

    # 50 hours of outage, past the 48-hour retry budget: the card is tried every hour (a capped Retry-After),
    # then given up, counted by /readyz, and tried again from the dead letters.
    for _ in range(50):
        outage_bot.clock.advance(hours=1)
        attempts = wait_attempts(outage_bot, card_id, attempts)
    assert attempts >= 50, "tried every hour for two days, not 8 times in 220 s"
    assert len([call for call in connector.calls if call.status == 503]) >= 50
    ready = requests.get(f"{outage_bot.url}/readyz", timeout=5)
    assert ready.status_code == 200 and ready.json()["dead_letters"] >= 1
    assert delivered(connector, card_id) == []
    assert calls_for(connector, f"{prefix}.employee") == [], "nobody has the case: the employee is not told so"

    # The connector is back: within the hour the card reaches the leader.
    connector.end_outage()
    outage_bot.clock.advance(hours=1)
    card = wait_delivered(connector, card_id)
    assert card.conversation_id == leader.conversation_id
    assert card.body["attachments"][0]["content"]["refresh"]["action"]["data"]["case_id"] == case.case_id
