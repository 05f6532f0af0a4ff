"""bot/teams_turn.py on the SDK's own adapter and bot/reply_clients.py: a reply in a person's turn is posted as the
SDK's `send_activity` would post it, a failed post raises as the SDK's does, and the turns it must not take (delivery
mode expectReplies, a sub-channel) go through the SDK."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
import pytest
from microsoft_agents.activity import Activity, DeliveryModes
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import ActivityHandler, MessageFactory, TurnContext
from microsoft_agents.hosting.core.authorization import ClaimsIdentity

from bot.authentication import sdk_configuration
from bot.config import Settings
from bot.reply_clients import ReplyClients
from bot.teams_turn import TeamsTurn, card_message, parties
from tests.support.connector_stub import ConnectorStub

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hej Mette, æøå"}]}


class Replies(ActivityHandler):
    """Says, shows and types through TeamsTurn, or (sdk=True) sends the same through the SDK's `send_activity`."""

    def __init__(self, *, sdk: bool = False) -> None:
        self.sdk = sdk
        self.responded: list[bool] = []
        self.failures: list[BaseException] = []

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        try:
            if self.sdk:
                markdown = MessageFactory.text("**hej**")
                markdown.text_format = "markdown"
                for activity in (MessageFactory.text("hej"), markdown, card_message(CARD), Activity(type="typing")):
                    await turn_context.send_activity(activity)
            else:
                turn = TeamsTurn(turn_context)
                await turn.say("hej")
                await turn.say("**hej**", markdown=True)
                await turn.show(CARD)
                await turn.typing()
        except aiohttp.ClientResponseError as error:
            self.failures.append(error)
        self.responded.append(turn_context.responded)


def incoming(connector: ConnectorStub, conversation_id: str, **extra: Any) -> Activity:
    return Activity.model_validate(
        {
            "type": "message",
            "id": "incoming-1",
            "text": "hej",
            "channelId": "msteams",
            "serviceUrl": connector.url,
            "locale": "da-DK",
            "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": "tenant-1"},
            "from": {"id": "29:user", "name": "Mette", "aadObjectId": "aad-mette"},
            "recipient": {"id": "28:bot", "name": "Værn"},
            **extra,
        }
    )


def run_turns(connector: ConnectorStub, bot: Replies, *activities: Activity) -> list[Any]:
    settings = Settings(_env_file=None, microsoft_app_id="", allow_unauthenticated=True)  # type: ignore[call-arg]
    clients = ReplyClients(MsalConnectionManager(**sdk_configuration(settings)))
    adapter = CloudAdapter(channel_service_client_factory=clients)
    answers: list[Any] = []

    async def run() -> None:
        for activity in activities:
            answers.append(await adapter.process_activity(ClaimsIdentity({}, False), activity, bot.on_turn))
        await clients.close()

    asyncio.run(run())
    return answers


def sent(connector: ConnectorStub, conversation_id: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    return [
        (call.path.replace(conversation_id, "<conversation>"), call.reply_to_id, call.body)
        for call in connector.calls
        if call.conversation_id == conversation_id
    ]


def in_conversation(body: dict[str, Any], conversation_id: str) -> dict[str, Any]:
    """The body as if sent in another conversation (the two runs use one each)."""
    return {**body, "conversation": {**body["conversation"], "id": conversation_id}}


def as_in(calls: list[tuple[str, str | None, dict[str, Any]]], conversation_id: str) -> list[Any]:
    return [(path, reply_to, in_conversation(body, conversation_id)) for path, reply_to, body in calls]


def test_a_reply_is_posted_exactly_as_the_sdk_posts_it(connector: ConnectorStub) -> None:
    ours, theirs = f"a:{uuid.uuid4()}", f"a:{uuid.uuid4()}"
    bot = Replies()
    run_turns(connector, bot, incoming(connector, ours))
    run_turns(connector, Replies(sdk=True), incoming(connector, theirs))
    posted = sent(connector, ours)
    assert len(posted) == 4
    assert posted == as_in(sent(connector, theirs), ours)
    assert posted[0][2]["replyToId"] == "incoming-1"
    assert posted[0][2]["from"] == {"id": "28:bot", "name": "Værn"}
    assert posted[2][2]["attachments"][0]["content"] == CARD
    assert bot.responded == [True]


def test_a_refused_reply_raises_as_the_sdks_does(connector: ConnectorStub) -> None:
    conversation_id = f"a:{uuid.uuid4()}"
    connector.fail_next(1, 403, conversation_id=conversation_id)
    bot = Replies()
    run_turns(connector, bot, incoming(connector, conversation_id))
    assert [getattr(error, "status", None) for error in bot.failures] == [403]
    assert bot.responded == [False]  # nothing reached the person


@pytest.mark.parametrize(
    "extra",
    [{"deliveryMode": DeliveryModes.expect_replies.value}, {"channelId": "msteams:COPILOT"}],
    ids=["expect-replies", "sub-channel"],
)
def test_turns_the_direct_path_must_not_take_go_through_the_sdk(connector: ConnectorStub, extra: dict) -> None:
    ours, theirs = f"a:{uuid.uuid4()}", f"a:{uuid.uuid4()}"
    answers = run_turns(connector, Replies(), incoming(connector, ours, **extra))
    expected = run_turns(connector, Replies(sdk=True), incoming(connector, theirs, **extra))
    assert sent(connector, ours) == as_in(sent(connector, theirs), ours)
    if "deliveryMode" in extra:  # the replies come back in the HTTP answer, none is posted
        assert sent(connector, ours) == []
        assert [a["text"] for a in answers[0].body["activities"][:2]] == ["hej", "**hej**"]
        assert answers[0].body == {
            "activities": [in_conversation(each, ours) for each in expected[0].body["activities"]]
        }


class References(ActivityHandler):
    def __init__(self) -> None:
        self.pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        sdk = turn_context.activity.get_conversation_reference().model_dump(by_alias=True, exclude_none=True)
        sdk.pop("activityId", None)
        self.pairs.append((parties(turn_context), sdk))


@pytest.mark.parametrize("channel", ["msteams", "msteams:COPILOT"])
def test_the_turns_reference_is_the_sdks_without_the_activity_id(connector: ConnectorStub, channel: str) -> None:
    bot = References()
    run_turns(connector, bot, incoming(connector, f"a:{uuid.uuid4()}", channelId=channel))
    [(ours, sdk)] = bot.pairs
    assert json.dumps(ours, sort_keys=True, default=str) == json.dumps(sdk, sort_keys=True, default=str)
    assert ours["user"]["aadObjectId"] == "aad-mette" and ours["conversation"]["tenantId"] == "tenant-1"
