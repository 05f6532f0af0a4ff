"""The dialogs' `Turn` (dialogs/turn.py) on the Agents SDK's turn context: say, show a card, type, the bot's token.

Rules: every reply goes through the SDK's `send_activity`, so the adapter's pipeline and reply clients apply;
the bot token is the one the turn's connector client sends with (bot/reply_clients.py).
"""

from __future__ import annotations

from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes, Attachment
from microsoft_agents.hosting.core import CardFactory, MessageFactory, TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from bot.reply_clients import KeptConnectorClient

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def card_attachment(card: dict[str, Any]) -> Attachment:
    return CardFactory.adaptive_card(card)


def card_message(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(card_attachment(card))


class TeamsTurn:
    def __init__(self, context: TurnContext) -> None:
        self.context = context

    @property
    def activity(self) -> Activity:
        return self.context.activity

    async def say(self, text: str, *, markdown: bool = False) -> None:
        message = MessageFactory.text(text)
        if markdown:
            message.text_format = "markdown"
        await self.context.send_activity(message)

    async def show(self, card: dict[str, Any]) -> None:
        await self.context.send_activity(card_message(card))

    async def typing(self) -> None:
        await self.context.send_activity(Activity(type=ActivityTypes.typing))

    async def bot_token(self) -> str | None:
        client = self.context.services.get(ConnectorClientBase)
        if not isinstance(client, KeptConnectorClient):
            return None
        return await client.bearer_token() or None
