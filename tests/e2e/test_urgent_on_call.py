"""Urgent means now, over HTTP with moved time: an urgent case reported late on a Saturday night reaches the leader,
the deputy and HR's intake at once; nobody acknowledges it, and within the configured hour (counted around the
clock, not in working hours) the on-call group gets it and the employee the on-call phone. The on-call member can
then acknowledge it from their card.

The real app runs in this process with a clock the test moves (tests/support/in_process_bot.py); every proactive
message carries its outbox id, which is how the test finds them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.working_time import COPENHAGEN
from tests.e2e.report_walk import answer_from, start_report
from tests.e2e.test_follow_up_timeline import WAIT_SECONDS, text_of, wait_sent
from tests.support.clock import MovableClock
from tests.support.connector_stub import ConnectorStub
from tests.support.in_process_bot import InProcessBot
from tests.support.organisation import Member, Organisation
from tests.support.outbox_ids import outbox_id
from tests.support.stored import all_cases
from tests.support.teams import TeamsUser, card_texts, cards

pytestmark = pytest.mark.slow

SATURDAY_NIGHT = datetime(2027, 6, 12, 23, 30, tzinfo=COPENHAGEN).astimezone(UTC)
ON_CALL_MINUTES = 45
ON_CALL_PHONE = "70 12 34 56"
ON_CALL = Member(name="Vera Vagthavende", aad_object_id=str(uuid.uuid4()), teams_user_id=f"29:{uuid.uuid4().hex}")


@pytest.fixture
def urgent_bot(tmp_path: Path, organisation: Organisation) -> Iterator[InProcessBot]:
    directory = organisation.directory_json() | {
        "on_call": [{"aad_object_id": ON_CALL.aad_object_id, "upn": "vagt@test.dk", "name": ON_CALL.name}]
    }
    directory_file = tmp_path / "directory.json"
    directory_file.write_text(json.dumps(directory, ensure_ascii=False), encoding="utf-8")
    bot = InProcessBot(
        tmp_path / "data",
        directory_file,
        MovableClock(SATURDAY_NIGHT),
        on_call_phone=ON_CALL_PHONE,
        follow_up={"on_call_minutes": ON_CALL_MINUTES},
    )
    with bot:
        yield bot


def _sent_ids(connector: ConnectorStub, case_id: str) -> list[str]:
    return [outbox_id(call) for call in connector.calls if outbox_id(call).startswith(case_id)]


def test_an_urgent_case_on_a_saturday_night_reaches_the_on_call_group_within_the_hour(
    urgent_bot: InProcessBot, connector: ConnectorStub, organisation: Organisation
) -> None:
    unit = organisation.next_unit()
    leader = TeamsUser(urgent_bot.url, connector, **unit.leader.teams_details())
    employee = TeamsUser(urgent_bot.url, connector, **unit.employee.teams_details())
    on_call = TeamsUser(urgent_bot.url, connector, **ON_CALL.teams_details())

    # Saturday 23:30: "Are you in danger or threatened with violence?" Yes. The report is sent.
    start_report(employee)
    employee.submit({"q": "safety", "answer": "yes"})
    answer_from(employee, "subject", stop_before="summary")
    receipt = employee.submit({"q": "summary", "answer": "confirm"})
    receipt_text = " ".join(text for card in cards(receipt) for text in card_texts(card))
    assert "stedfortræder og Organisation og Personale (HR) får den med det samme" in receipt_text
    assert ON_CALL_PHONE in receipt_text and "112" in receipt_text and "114" in receipt_text

    # At once, on a Saturday night: the leader's card, the deputy's card and HR's intake card.
    leader_card = connector.wait_for(lambda _: (cards(leader.replies()) or [None])[-1], WAIT_SECONDS)
    case_id = leader_card["refresh"]["action"]["data"]["case_id"]
    (case,) = [c for c in all_cases(urgent_bot.storage) if c.case_id == case_id]
    assert cards([wait_sent(connector, f"{case_id}.urgent.deputy-card")])
    assert cards([wait_sent(connector, f"{case_id}.urgent.hr-{organisation.hr_coordinator.aad_object_id}")])
    assert not [i for i in _sent_ids(connector, case_id) if ".on_call." in i]

    # Nobody acknowledges. 44 minutes later nothing has gone to the on-call group yet ...
    urgent_bot.clock.advance(minutes=ON_CALL_MINUTES - 1)
    assert not [i for i in _sent_ids(connector, case_id) if ".on_call." in i]

    # ... and within the configured time (Sunday 00:15, far outside working hours) the on-call group has it.
    urgent_bot.clock.advance(minutes=1, seconds=1)
    on_call_id = f"{case_id}.on_call.1.on-call-{ON_CALL.aad_object_id}"
    assert case.reference in text_of(wait_sent(connector, on_call_id))
    on_call_card: dict[str, Any] = wait_sent(connector, f"{on_call_id}-card")
    assert cards([on_call_card])
    to_employee = text_of(wait_sent(connector, f"{case_id}.on_call.1.employee"))
    assert "vagten** har nu fået den" in to_employee and ON_CALL_PHONE in to_employee
    assert urgent_bot.clock.now() - SATURDAY_NIGHT <= timedelta(minutes=ON_CALL_MINUTES, seconds=1)

    # The on-call member acts on the case from the card: they acknowledge it.
    (stored,) = [c for c in all_cases(urgent_bot.storage) if c.case_id == case_id]
    assert stored.handling.on_call is not None
    status, body = on_call.execute("acknowledge", {"case_id": case_id, "version": stored.version})
    assert status == 200 and body["statusCode"] == 200, body
    (acknowledged,) = [c for c in all_cases(urgent_bot.storage) if c.case_id == case_id]
    assert acknowledged.handling.acknowledged is not None
    assert acknowledged.handling.acknowledged.by == ON_CALL.teams_user_id
