"""The dialogs' `Turn` (dialogs/turn.py) on the Agents SDK's turn context: say, show a card, type, the bot's token.

Rules: a reply in a person's turn (a message, or the bot added to a chat) is built as JSON once and posted through
the turn's own connector client (`KeptConnectorClient.reply`, bot/reply_clients.py), addressed as the SDK's
`send_activity` addresses a reply (from the bot to the sender, in the same conversation, `replyToId` the incoming
activity, its channel, serviceUrl and locale), and the turn is marked as responded. Anything else takes the SDK's
`send_activity`: a turn on another connector client (agentic requests), an activity without an id, delivery mode
"expectReplies" (the SDK buffers those replies into the HTTP answer), a conversation id the SDK would shorten, and a
sub-channel ("msteams:COPILOT", which the SDK writes as a ProductInfo entity).
So no `on_send_activities` handler sees these replies: the turns that need one (bot/proactive.py) do not use
`TeamsTurn`. The bot token is the one the turn's connector client sends with.
"""

from __future__ import annotations

from typing import Any, cast

from microsoft_agents.activity import Activity, Attachment, DeliveryModes
from microsoft_agents.hosting.core import CardFactory, MessageFactory, TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from bot.reply_clients import KeptConnectorClient

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
MAX_CONVERSATION_ID_CHARS = 150  # the SDK's connector client cuts longer ids: those replies take its path


def card_attachment(card: dict[str, Any]) -> Attachment:
    return CardFactory.adaptive_card(card)


def card_message(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(card_attachment(card))


PARTIES = "vaern.parties"  # turn_state key of `parties`


def parties(context: TurnContext) -> dict[str, Any]:
    """The turn's conversation reference as JSON, made once per turn: the incoming activity's user, bot,
    conversation, channel, locale and serviceUrl, as `Activity.get_conversation_reference()` names them, without the
    activity's id. The handler keeps it to reach the person later; a reply is addressed from it."""
    known = context.turn_state.get(PARTIES)
    if isinstance(known, dict):
        return cast(dict[str, Any], known)
    made = _reference_of(context.activity)
    context.turn_state[PARTIES] = made
    return made


def _reference_of(activity: Activity) -> dict[str, Any]:
    if ":" in str(activity.channel_id):  # a sub-channel: the SDK's own reference
        reference = dict(activity.get_conversation_reference().model_dump(by_alias=True, exclude_none=True))
        reference.pop("activityId", None)
        return reference
    reference: dict[str, Any] = {"channelId": str(activity.channel_id)}
    for name, model in (
        ("user", activity.from_property),
        ("bot", activity.recipient),
        ("conversation", activity.conversation),
    ):
        if model is not None:
            reference[name] = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    if activity.locale:
        reference["locale"] = activity.locale
    if activity.service_url:
        reference["serviceUrl"] = activity.service_url
    return reference


class TeamsTurn:
    def __init__(self, context: TurnContext) -> None:
        self.context = context
        self._addressing: dict[str, Any] | None = None

    @property
    def activity(self) -> Activity:
        return self.context.activity

    async def say(self, text: str, *, markdown: bool = False) -> None:
        body: dict[str, Any] = {"type": "message", "text": text}
        if markdown:
            body["textFormat"] = "markdown"
        await self._reply(body)

    async def show(self, card: dict[str, Any]) -> None:
        attachment = {"contentType": ADAPTIVE_CARD, "content": card}
        await self._reply({"type": "message", "attachmentLayout": "list", "attachments": [attachment]})

    async def typing(self) -> None:
        await self._reply({"type": "typing"})

    async def bot_token(self) -> str | None:
        client = self.context.services.get(ConnectorClientBase)
        if not isinstance(client, KeptConnectorClient):
            return None
        return await client.bearer_token() or None

    async def _reply(self, body: dict[str, Any]) -> None:
        client = self.context.services.get(ConnectorClientBase)
        activity = self.activity
        conversation_id = activity.conversation.id if activity.conversation else ""
        if (
            not isinstance(client, KeptConnectorClient)
            or not activity.id
            or not conversation_id
            or len(conversation_id) > MAX_CONVERSATION_ID_CHARS
            or activity.delivery_mode == DeliveryModes.expect_replies
            or ":" in str(activity.channel_id)  # a sub-channel: the SDK writes it as an entity of the reply
        ):
            await self.context.send_activity(Activity.model_validate(body))
            return
        await client.reply(conversation_id, activity.id, {**body, **self._addressed()})
        self.context.responded = True

    def _addressed(self) -> dict[str, Any]:
        """The reply's address, as `Activity.apply_conversation_reference` sets it from the incoming activity."""
        if self._addressing is None:
            reference = parties(self.context)
            addressing = {"inputHint": "acceptingInput", "replyToId": self.activity.id}
            addressing.update(
                (wire, reference[name])
                for name, wire in (
                    ("channelId", "channelId"),
                    ("serviceUrl", "serviceUrl"),
                    ("bot", "from"),
                    ("user", "recipient"),
                    ("conversation", "conversation"),
                    ("locale", "locale"),
                )
                if name in reference
            )
            self._addressing = addressing
        return self._addressing
