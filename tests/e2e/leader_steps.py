"""Shared steps for leader tests: an employee in a fresh unit reports, the leader's card arrives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.e2e.report_walk import answer_until
from tests.support.connector_stub import ConnectorStub
from tests.support.organisation import Organisation, UnitPeople
from tests.support.teams import TeamsUser, actions, cards

LEADER_CARD_TIMEOUT = 15.0


@dataclass
class ReportedCase:
    unit: UnitPeople
    employee: TeamsUser
    leader: TeamsUser
    deputy: TeamsUser
    leader_card: dict[str, Any]

    @property
    def case_id(self) -> str:
        return execute_data(self.leader_card)["case_id"]

    @property
    def version(self) -> int:
        return int(execute_data(self.leader_card)["version"])


def execute_data(card: dict[str, Any]) -> dict[str, Any]:
    """The data every Action.Execute of a case card carries (case id and version)."""
    executes = [action for action in actions([card]) if action.get("type") == "Action.Execute"]
    return dict(executes[0]["data"]) if executes else dict(card["refresh"]["action"]["data"])


def wait_for_card(connector: ConnectorStub, person: TeamsUser, since: int) -> dict[str, Any]:
    """The newest Adaptive Card the bot sent to this person's chat after `since`."""

    def arrived(_calls: list) -> dict[str, Any] | None:
        found = cards(connector.activities(person.conversation_id, since=since))
        return found[-1] if found else None

    return connector.wait_for(arrived, LEADER_CARD_TIMEOUT)


def report_case(
    organisation: Organisation, new_user, connector: ConnectorStub, pasted_sms: str | None = None
) -> ReportedCase:
    """An employee of a fresh unit reports (optionally with a pasted SMS as evidence); the leader's card arrives."""
    unit = organisation.next_unit()
    leader = new_user(**unit.leader.teams_details())
    deputy = new_user(**unit.deputy.teams_details())
    employee = new_user(**unit.employee.teams_details())
    mark = connector.mark()
    answer_until(employee, "evidence")
    if pasted_sms:
        employee.submit({"q": "evidence", "answer": "text", "pasted_text": pasted_sms})
    employee.submit({"q": "evidence", "answer": "done"})
    employee.submit({"q": "summary", "answer": "confirm"})
    card = wait_for_card(connector, leader, mark)
    return ReportedCase(unit, employee, leader, deputy, card)
