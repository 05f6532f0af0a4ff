"""Installing Værn for a person through Microsoft Graph (a local Graph over real HTTPS, tests/support/graph_stub.py):
the installation (201, or 409 when it is there already), the installation's id and the 1:1 chat's id, throttling,
and a permission the administrator has not granted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from directory.graph_client import GraphClient, GraphError
from directory.teams_app_installation import TeamsAppInstaller
from tests.support.graph_stub import CATALOG_APP_ID, GraphStub, graph_session


@pytest.fixture
def stub() -> Iterator[GraphStub]:
    with GraphStub() as server:
        yield server


@pytest.fixture
async def client(stub: GraphStub) -> AsyncIterator[GraphClient]:
    async def no_wait(_: float) -> None:
        await asyncio.sleep(0)

    async with graph_session(stub) as (session, token):
        yield GraphClient(stub.graph_base_url, token, session, sleep=no_wait)


async def test_installs_the_app_for_the_user_and_names_their_chat_with_it(stub: GraphStub, client) -> None:
    leader = stub.add_user("Lone Kjær", "Jobcenter Syd")
    told: list[tuple[str, str]] = []
    stub.on_install = lambda user, chat: told.append((user, chat))

    chat = await TeamsAppInstaller(client, CATALOG_APP_ID).personal_chat(leader)

    assert chat == stub.chat_id_for(leader) and chat.startswith("19:")
    assert stub.installed_for(leader) and told == [(leader, chat)]
    calls = [(call.method, call.path, call.status) for call in stub.graph_calls()]
    base = f"/v1.0/users/{leader}/teamwork/installedApps"
    installation = next(iter(stub.installations.values()))
    assert calls == [("POST", base, 201), ("GET", base, 200), ("GET", f"{base}/{installation}/chat", 200)]
    listed = stub.graph_calls()[1].query
    assert listed == {"$expand": "teamsApp", "$filter": f"teamsApp/id eq '{CATALOG_APP_ID}'"}


async def test_an_app_installed_already_is_a_conflict_that_still_gives_the_chat(stub: GraphStub, client) -> None:
    leader = stub.add_user("Lone Kjær", "Jobcenter Syd")
    installer = TeamsAppInstaller(client, CATALOG_APP_ID)
    first = await installer.personal_chat(leader)

    assert await installer.personal_chat(leader) == first
    assert [call.status for call in stub.graph_calls() if call.method == "POST"] == [201, 409]
    assert len(stub.installations) == 1


async def test_throttling_is_waited_out(stub: GraphStub, client) -> None:
    leader = stub.add_user("Lone Kjær", "Jobcenter Syd")
    stub.fail_next(429, count=2, retry_after="1")

    assert await TeamsAppInstaller(client, CATALOG_APP_ID).personal_chat(leader) == stub.chat_id_for(leader)
    assert [call.status for call in stub.graph_calls()][:3] == [429, 429, 201]


async def test_a_permission_not_granted_is_an_error_with_its_status(stub: GraphStub, client) -> None:
    leader = stub.add_user("Lone Kjær", "Jobcenter Syd")
    stub.installing_forbidden = True

    with pytest.raises(GraphError) as refused:
        await TeamsAppInstaller(client, CATALOG_APP_ID).personal_chat(leader)
    assert refused.value.status == 403 and "Forbidden" in str(refused.value)
    assert not stub.installed_for(leader)


async def test_an_app_missing_from_the_catalog_is_an_error(stub: GraphStub, client) -> None:
    leader = stub.add_user("Lone Kjær", "Jobcenter Syd")

    with pytest.raises(GraphError) as missing:
        await TeamsAppInstaller(client, "00000000-0000-4000-8000-000000000000").personal_chat(leader)
    assert missing.value.status == 404


def test_the_catalog_id_is_required(client) -> None:
    with pytest.raises(ValueError, match="app catalog"):
        TeamsAppInstaller(client, "")
