"""bot/reply_clients.py on the Agents SDK's own adapter: replies reach the connector over one kept client and pool,
turns get no user-token client of their own, and shutdown closes everything."""

from __future__ import annotations

import asyncio
import uuid

from microsoft_agents.activity import Activity
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import ActivityHandler, TurnContext
from microsoft_agents.hosting.core.authorization import ClaimsIdentity

from bot.authentication import sdk_configuration
from bot.config import Settings
from bot.reply_clients import ReplyClients
from tests.support.connector_stub import ConnectorStub


class Echo(ActivityHandler):
    def __init__(self) -> None:
        self.user_token_clients: list[object] = []

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        self.user_token_clients.append(turn_context.turn_state.get(turn_context.adapter.USER_TOKEN_CLIENT_KEY))
        await turn_context.send_activity(f"Echo: {turn_context.activity.text}")


def message(connector: ConnectorStub, conversation_id: str, text: str) -> Activity:
    return Activity.model_validate(
        {
            "type": "message",
            "id": str(uuid.uuid4()),
            "text": text,
            "channelId": "msteams",
            "serviceUrl": connector.url,
            "conversation": {"id": conversation_id, "conversationType": "personal"},
            "from": {"id": "29:user", "aadObjectId": str(uuid.uuid4())},
            "recipient": {"id": "28:bot"},
        }
    )


def test_replies_go_through_one_kept_client_and_no_user_token_client_per_turn(connector: ConnectorStub) -> None:
    settings = Settings(_env_file=None, microsoft_app_id="", allow_unauthenticated=True)  # type: ignore[call-arg]
    clients = ReplyClients(MsalConnectionManager(**sdk_configuration(settings)))
    adapter = CloudAdapter(channel_service_client_factory=clients)
    echo = Echo()
    conversation_id = f"a:{uuid.uuid4()}"

    async def run() -> None:
        identity = ClaimsIdentity({}, False)
        for number in range(5):
            await adapter.process_activity(identity, message(connector, conversation_id, f"hej {number}"), echo.on_turn)
        assert clients.kept_clients == 1
        await clients.close()
        assert clients.kept_clients == 0

    asyncio.run(run())
    texts = [activity.get("text") for activity in connector.activities(conversation_id)]
    assert texts == [f"Echo: hej {number}" for number in range(5)]
    assert len({id(client) for client in echo.user_token_clients}) == 1  # one idle client, not one a turn


def test_the_sdks_own_factory_builds_a_user_token_client_every_turn(connector: ConnectorStub) -> None:
    """The gap ReplyClients closes, as the SDK ships it."""
    settings = Settings(_env_file=None, microsoft_app_id="", allow_unauthenticated=True)  # type: ignore[call-arg]
    adapter = CloudAdapter(connection_manager=MsalConnectionManager(**sdk_configuration(settings)))
    echo = Echo()
    conversation_id = f"a:{uuid.uuid4()}"

    async def run() -> None:
        for number in range(3):
            activity = message(connector, conversation_id, f"hej {number}")
            await adapter.process_activity(ClaimsIdentity({}, False), activity, echo.on_turn)

    asyncio.run(run())
    assert len(connector.activities(conversation_id)) == 3
    assert len({id(client) for client in echo.user_token_clients}) == 3
