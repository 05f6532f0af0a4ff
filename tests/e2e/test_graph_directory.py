"""The real bot (`python app.py`) reads its directory from Microsoft Graph (a local Graph over HTTPS,
tests/support/graph_stub.py): an employee's report goes to her own manager in Entra ID, who can act on it; an
employee with no manager is asked to name a leader, as without a directory. Graph's calls are those of the timed
read, none per case. A leader who never opened Værn (Teams refuses the bot a chat with them) gets it installed through
Graph and the case card in their chat with it; their Teams id, learned then, is on their next cards."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from tests.e2e.leader_steps import execute_data, wait_for_card
from tests.e2e.report_walk import answer_until
from tests.support import graph_stub
from tests.support.bot_process import BotProcess
from tests.support.graph_stub import GraphStub
from tests.support.teams import DEFAULT_TENANT_ID, TeamsUser, card_texts, texts

UNIT = "Jobcenter Syd"
NEW_UNIT = "Borgerservice"


class Org:
    def __init__(self, stub: GraphStub) -> None:
        self.director = stub.add_user("Birgitte Direktør", "Arbejdsmarked")
        self.leader = stub.add_user("Lone Leder", UNIT, self.director)
        self.deputy = stub.add_user("Mads Stedfortræder", UNIT, self.leader)
        self.employee = stub.add_user("Sara Medarbejder", UNIT, self.leader)
        self.colleague = stub.add_user("Jens Kollega", UNIT, self.leader)
        self.lonely = stub.add_user("Ulla Udenleder", UNIT)  # no manager in Entra ID
        self.jura = stub.add_user("Karen Jura", "HR", self.director)
        self.coordinator = stub.add_user("Henrik Koordinator", "HR", self.director)
        self.new_leader = stub.add_user("Nina Nyleder", NEW_UNIT, self.director)  # has never opened Værn
        self.first_reporter = stub.add_user("Ole Borger", NEW_UNIT, self.new_leader)
        self.second_reporter = stub.add_user("Pia Skranke", NEW_UNIT, self.new_leader)
        self.groups = {
            "GRAPH_HR_JURA_GROUP_ID": stub.add_group([self.jura]),
            "GRAPH_HR_WORK_ENVIRONMENT_COORDINATOR_GROUP_ID": stub.add_group([self.coordinator]),
            "GRAPH_UNIT_GROUPS": json.dumps(
                {
                    UNIT: {
                        "deputies": stub.add_group([self.deputy]),
                        "work_environment_group": stub.add_group([self.leader, self.colleague]),
                    }
                }
            ),
        }
        self.names = {user_id: user.displayName for user_id, user in stub.users.items()}


@pytest.fixture(scope="module")
def graph() -> Iterator[GraphStub]:
    with GraphStub(page_size=3) as stub:
        yield stub


@pytest.fixture(scope="module")
def org(graph: GraphStub) -> Org:
    return Org(graph)


@pytest.fixture(scope="module")
def graph_bot(graph: GraphStub, org: Org, bot_env, tmp_path_factory) -> Iterator[BotProcess]:
    storage = bot_env("local")
    env = storage.env(**graph.bot_env(**org.groups), ALLOWED_TENANT_IDS=DEFAULT_TENANT_ID)
    process = BotProcess(env, workdir=tmp_path_factory.mktemp("bot-graph-process"))
    process.start()
    try:
        yield process
    finally:
        process.stop()


def person(graph_bot: BotProcess, connector, org: Org, aad_object_id: str) -> TeamsUser:
    return TeamsUser(graph_bot.url, connector, name=org.names[aad_object_id], aad_object_id=aad_object_id)


def test_the_report_goes_to_the_employees_own_manager_from_graph(graph_bot, graph, org, connector) -> None:
    ready = requests.get(f"{graph_bot.url}/readyz", timeout=5).json()
    assert ready["status"] == "ready"
    assert ready["directory"]["source"] == "graph" and ready["directory"]["age_seconds"] is not None
    read = [call.path for call in graph.graph_calls()]
    assert "/v1.0/users" in read and len(graph.token_requests) >= 1

    leader = person(graph_bot, connector, org, org.leader)
    employee = person(graph_bot, connector, org, org.employee)
    graph.clear_calls()
    mark = connector.mark()
    answer_until(employee, "summary")
    employee.submit({"q": "summary", "answer": "confirm"})
    card = wait_for_card(connector, leader, mark)
    seen = "\n".join(card_texts(card))
    assert "Kvittér" in seen and UNIT in seen
    assert graph.graph_calls() == []  # the case was answered from the directory read, no Graph call of its own

    data = {"case_id": execute_data(card)["case_id"], "version": execute_data(card)["version"]}
    status, body = leader.execute("acknowledge", data)
    assert status == 200 and body["statusCode"] == 200  # she is the case's leader by her Entra object id
    deputy = person(graph_bot, connector, org, org.deputy)
    assert deputy.execute("refresh", {**data, "version": int(data["version"]) + 1})[1]["statusCode"] == 200
    stranger = person(graph_bot, connector, org, org.colleague)
    assert stranger.execute("refresh", {**data, "version": int(data["version"]) + 1})[1]["statusCode"] == 403


def test_an_employee_with_no_manager_in_graph_is_asked_for_a_leader(graph_bot, org, connector) -> None:
    """No manager in Entra ID: HR's intake group (from Graph) has the case at once, and the employee is told so and
    asked for their leader's name."""
    intake = person(graph_bot, connector, org, org.coordinator)  # HR_INTAKE_FUNCTION: the coordinator's group
    lonely = person(graph_bot, connector, org, org.lonely)
    mark = connector.mark()
    answer_until(lonely, "summary")
    seen = "\n".join(texts(lonely.submit({"q": "summary", "answer": "confirm"})))
    assert "Kender du din leders navn" in seen and "ligger allerede hos Organisation og Personale" in seen
    hr_card = "\n".join(card_texts(wait_for_card(connector, intake, mark)))
    assert "ingen leder fundet" in hr_card


@pytest.fixture
def teams_requires_installation(connector, graph: GraphStub) -> Iterator[None]:
    """As in a real tenant: the bot may open a chat only with people who have Værn; Graph's installation gives it."""
    connector.require_installation = True
    graph.on_install = lambda user_id, _chat_id: connector.app_installed(user_id)
    try:
        yield
    finally:
        connector.require_installation = False
        graph.on_install = None


def report(employee: TeamsUser) -> None:
    answer_until(employee, "summary")
    employee.submit({"q": "summary", "answer": "confirm"})


def test_a_leader_who_never_opened_vaern_gets_it_installed_and_the_case_card(
    graph_bot, graph, org, connector, teams_requires_installation
) -> None:
    chat_id = graph.chat_id_for(org.new_leader)
    leader = TeamsUser(
        graph_bot.url, connector, name=org.names[org.new_leader], aad_object_id=org.new_leader, conversation_id=chat_id
    )
    graph.clear_calls()
    mark = connector.mark()
    report(person(graph_bot, connector, org, org.first_reporter))

    card = wait_for_card(connector, leader, mark)
    assert "Kvittér" in "\n".join(card_texts(card)) and NEW_UNIT in "\n".join(card_texts(card))
    assert graph.installed_for(org.new_leader)
    installed = f"/v1.0/users/{org.new_leader}/teamwork/installedApps"
    assert [(call.method, call.path) for call in graph.graph_calls()] == [
        ("POST", installed),
        ("GET", installed),
        ("GET", f"{installed}/{graph.installations[(org.new_leader, graph_stub.CATALOG_APP_ID)]}/chat"),
    ]
    refused = [call.status for call in connector.calls[mark:] if call.kind == "create_conversation"]
    assert refused == [403], "the chat could not be opened before Værn was installed"

    graph.clear_calls()
    mark = connector.mark()
    report(person(graph_bot, connector, org, org.second_reporter))
    second = wait_for_card(connector, leader, mark)
    assert leader.user_id in second["refresh"]["userIds"], "her Teams id, learned with the chat, refreshes her card"
    assert graph.graph_calls() == [], "installed once: the chat serves from then on"
    assert not [call for call in connector.calls[mark:] if call.kind == "create_conversation"]
