"""The Microsoft Graph directory against a local Graph (tests/support/graph_stub.py) over real HTTPS, with the real
azure-identity client-credentials flow: managers, units, deputies, HR and AMG groups, paging, Retry-After, the last
good snapshot when Graph is down, and a changed manager picked up by the timed refresh."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from directory.graph import GraphDirectory, GraphDirectoryConfig, UnitGroups
from directory.graph_client import GraphClient, GraphError, GraphUnavailable
from directory.graph_token import GraphToken
from tests.support.graph_stub import GraphStub, graph_session

JOBCENTER = "Jobcenter Syd"
FORVALTNING = "Arbejdsmarkedsforvaltningen"


@pytest.fixture
def stub() -> Iterator[GraphStub]:
    with GraphStub(page_size=2) as server:
        yield server


class Org:
    """Birgitte leads the forvaltning; Lone leads Jobcenter Syd (Mads is her deputy); Sara, Jens and Ida work
    there; Ulla has no manager; Karen is Jura, Henrik the coordinator."""

    def __init__(self, stub: GraphStub) -> None:
        self.director = stub.add_user("Birgitte Holm", FORVALTNING)
        self.leader = stub.add_user("Lone Kjær", JOBCENTER, self.director)
        self.deputy = stub.add_user("Mads Nørgaard", JOBCENTER, self.leader)
        self.employee = stub.add_user("Sara Ahmadi", JOBCENTER, self.leader)
        self.colleague = stub.add_user("Jens Vestergaard", JOBCENTER, self.leader)
        self.other = stub.add_user("Ida Lund", JOBCENTER, self.leader)
        self.no_manager = stub.add_user("Ulla Udenfor", JOBCENTER)
        self.jura = stub.add_user("Karen Juul", "HR", self.director)
        self.coordinator = stub.add_user("Henrik Bach", "HR", self.director)
        self.jura_group = stub.add_group([self.jura])
        self.coordinator_group = stub.add_group([self.coordinator])
        self.amg_group = stub.add_group([self.leader, self.colleague, self.other])
        self.deputy_group = stub.add_group([self.deputy])
        self.on_call_group = stub.add_group([self.director, self.no_manager])

    def config(self, refresh_seconds: float = 900.0, deputies: bool = True) -> GraphDirectoryConfig:
        groups = UnitGroups(
            deputies=self.deputy_group if deputies else None,
            work_environment_group=self.amg_group,
            safety_representatives=None,
        )
        return GraphDirectoryConfig(
            unit_property="department",
            hr_groups={"jura": self.jura_group, "work_environment_coordinator": self.coordinator_group},
            unit_groups={JOBCENTER: groups},
            on_call_group=self.on_call_group,
            refresh_seconds=refresh_seconds,
        )


@pytest.fixture
def org(stub: GraphStub) -> Org:
    return Org(stub)


class Waits:
    """The pauses the client was asked to make (Retry-After), made short."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
async def graph(stub: GraphStub) -> AsyncIterator[tuple[aiohttp.ClientSession, GraphToken]]:
    async with graph_session(stub) as pair:
        yield pair


def directory_for(stub: GraphStub, graph, config: GraphDirectoryConfig, waits: Waits | None = None) -> GraphDirectory:
    session, token = graph
    client = GraphClient(stub.graph_base_url, token, session, sleep=waits or Waits())
    return GraphDirectory(client, config)


async def test_reads_managers_units_deputies_hr_and_amg_page_by_page(stub, org, graph) -> None:
    directory = directory_for(stub, graph, org.config())
    await directory.refresh()

    employee = directory.find(org.employee)
    assert employee is not None and employee.name == "Sara Ahmadi"
    responsibles = directory.responsibles_for(employee)
    assert responsibles is not None
    assert responsibles.leader.aad_object_id == org.leader  # her own manager
    assert responsibles.deputy is not None and responsibles.deputy.aad_object_id == org.deputy  # the deputies group
    assert responsibles.unit.name == JOBCENTER
    assert responsibles.unit.work_environment_group == [org.leader, org.colleague, org.other]  # 3 members, 2 pages
    # The unit's leader is led by the forvaltning's leader, in her unit (the unit above).
    above = directory.responsibles_for(directory.person(org.leader))
    assert above is not None and above.leader.aad_object_id == org.director and above.unit.name == FORVALTNING
    assert directory.units_with_role(org.leader)[0].name == JOBCENTER
    assert [m.aad_object_id for m in directory.hr_members("jura")] == [org.jura]
    assert [m.aad_object_id for m in directory.hr_members("work_environment_coordinator")] == [org.coordinator]
    assert directory.is_hr(org.jura) and not directory.is_hr(org.employee)
    assert [m.aad_object_id for m in directory.on_call_members()] == [org.director, org.no_manager]
    assert [p.aad_object_id for p in directory.search("sara")] == [org.employee]

    users = [call for call in stub.graph_calls() if call.path == "/v1.0/users"]
    assert len(users) == 5  # 9 people, 2 a page: every @odata.nextLink followed
    assert users[0].query["$expand"] == "manager($select=id)" and "department" in users[0].query["$select"]
    assert [call.query.get("$skiptoken") for call in users] == [None, "2", "4", "6", "8"]
    amg = [call for call in stub.graph_calls() if call.path == f"/v1.0/groups/{org.amg_group}/members"]
    assert len(amg) == 2
    assert len(stub.token_requests) == 1  # one token for the whole read (azure-identity caches it)
    assert stub.token_requests[0]["grant_type"] == "client_credentials"
    assert stub.token_requests[0]["scope"] == f"{stub.https_url}/.default"


async def test_no_manager_in_graph_means_no_leader(stub, org, graph) -> None:
    directory = directory_for(stub, graph, org.config())
    await directory.refresh()
    person = directory.find(org.no_manager)
    assert person is not None
    assert directory.responsibles_for(person) is None  # the employee is asked to name their leader, as before


async def test_without_a_deputies_group_the_deputy_is_the_leaders_own_manager(stub, org, graph) -> None:
    directory = directory_for(stub, graph, org.config(deputies=False))
    await directory.refresh()
    responsibles = directory.responsibles_for(directory.person(org.employee))
    assert responsibles is not None and responsibles.deputy is not None
    assert responsibles.deputy.aad_object_id == org.director


async def test_a_person_new_since_the_last_read_is_looked_up_alone(stub, org, graph) -> None:
    directory = directory_for(stub, graph, org.config())
    await directory.refresh()
    newcomer = stub.add_user("Nina Ny", JOBCENTER, org.leader)
    lonely = stub.add_user("Otto Alene", JOBCENTER)
    stub.clear_calls()
    assert directory.find(newcomer) is None and directory.find(lonely) is None  # not read yet: looked up meanwhile
    for _ in range(100):
        if directory.person(newcomer) and directory.person(lonely):
            break
        await asyncio.sleep(0.05)
    responsibles = directory.responsibles_for(directory.person(newcomer))
    assert responsibles is not None and responsibles.leader.aad_object_id == org.leader
    assert directory.responsibles_for(directory.person(lonely)) is None
    calls = {(call.path, call.status) for call in stub.graph_calls()}
    assert (f"/v1.0/users/{newcomer}/manager", 200) in calls
    assert (f"/v1.0/users/{lonely}/manager", 404) in calls  # Graph's answer for a user with no manager
    assert directory.find("not-an-object-id/../groups") is None  # never put into a Graph path


async def test_throttling_waits_as_long_as_graph_says(stub, org, graph) -> None:
    waits = Waits()
    directory = directory_for(stub, graph, org.config(), waits)
    stub.fail_next(429, retry_after="7")
    stub.fail_next(503, retry_after="2")
    await directory.refresh()
    assert waits.asked == [7.0, 2.0]
    assert directory.responsibles_for(directory.person(org.employee)) is not None
    statuses = [call.status for call in stub.graph_calls()][:3]
    assert statuses == [429, 503, 200]


async def test_the_last_good_snapshot_answers_while_graph_is_down(stub, org, graph) -> None:
    waits = Waits()
    directory = directory_for(stub, graph, org.config(), waits)
    assert directory.find(org.employee) is None and directory.age_seconds() is None  # nothing read yet
    await directory.refresh()
    stub.down_status = 503
    with pytest.raises(GraphUnavailable):
        await directory.refresh()
    assert len(waits.asked) == 3  # four attempts, then given up
    assert not await directory._refresh_logged()
    assert "503" in (directory.last_error or "")
    responsibles = directory.responsibles_for(directory.person(org.employee))
    assert responsibles is not None and responsibles.leader.aad_object_id == org.leader
    health = directory.health()
    assert health["age_seconds"] is not None and not health["stale"] and "503" in health["last_error"]


async def test_a_wrong_secret_is_a_clear_error(stub, org) -> None:
    async with graph_session(stub, client_secret="wrong") as (session, token):
        directory = GraphDirectory(GraphClient(stub.graph_base_url, token, session), org.config())
        with pytest.raises(GraphError, match="no token for Graph"):
            await directory.refresh()


async def test_the_timed_refresh_picks_up_a_changed_manager(stub, org, graph) -> None:
    directory = directory_for(stub, graph, org.config(refresh_seconds=0.2))
    await directory.start()
    try:
        assert directory.responsibles_for(directory.person(org.employee)).leader.aad_object_id == org.leader
        stub.set_manager(org.employee, org.director)
        for _ in range(100):
            responsibles = directory.responsibles_for(directory.person(org.employee))
            if responsibles and responsibles.leader.aad_object_id == org.director:
                break
            await asyncio.sleep(0.05)
        assert responsibles is not None and responsibles.leader.aad_object_id == org.director
        assert responsibles.unit.name == FORVALTNING
        assert directory.refreshes >= 2
    finally:
        await directory.close()


async def test_the_unit_can_come_from_an_extension_attribute(stub, graph) -> None:
    boss = stub.add_user("Chef", onPremisesExtensionAttributes={"extensionAttribute3": "Borgerservice"})
    worker = stub.add_user("Ansat", manager=boss, onPremisesExtensionAttributes={"extensionAttribute3": None})
    config = GraphDirectoryConfig(unit_property="onPremisesExtensionAttributes/extensionAttribute3")
    directory = directory_for(stub, graph, config)
    await directory.refresh()
    assert "onPremisesExtensionAttributes" in stub.graph_calls()[0].query["$select"]
    assert directory.unit(directory.person(boss).unit).name == "Borgerservice"
    assert directory.person(worker).unit == directory.person(boss).unit  # no value of her own: her manager's


async def test_disabled_accounts_are_left_out(stub, org, graph) -> None:
    stub.users[org.leader].accountEnabled = False
    directory = directory_for(stub, graph, org.config())
    await directory.refresh()
    assert directory.person(org.leader) is None
    assert directory.responsibles_for(directory.person(org.employee)) is None  # the card could not reach her


async def test_graph_down_at_start_holds_nothing_up_and_the_directory_fills_in_later(stub, org, graph) -> None:
    stub.down_status = 503
    directory = directory_for(stub, graph, org.config(refresh_seconds=0.2))
    await directory.start(first_read_timeout=5)
    try:
        assert directory.find(org.employee) is None  # knows nobody yet, as without a directory
        assert directory.health()["stale"] and "503" in directory.health()["last_error"]
        stub.down_status = None
        for _ in range(100):
            if directory.find(org.employee) is not None:
                break
            await asyncio.sleep(0.05)
        assert directory.responsibles_for(directory.person(org.employee)).leader.aad_object_id == org.leader
        assert directory.health()["last_error"] is None
    finally:
        await directory.close()
