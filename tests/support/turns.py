"""A `Turn` (dialogs/turn.py) for driving dialogs in-process: an incoming activity of the SDK's own model, and a
record of what the dialog said and showed."""

from __future__ import annotations

from typing import Any

from microsoft_agents.activity import Activity, ConversationReference, ResourceResponse
from microsoft_agents.hosting.core import ChannelAdapter, TurnContext

SERVICE_URL = "https://smba.trafficmanager.net/emea/"


def message(
    text: str = "",
    *,
    value: dict[str, Any] | None = None,
    user_id: str = "29:employee",
    name: str = "Mette Jensen",
    aad_object_id: str | None = "aad-employee",
    tenant_id: str = "tenant-1",
    conversation_id: str = "conversation-1",
    locale: str = "da-DK",
    attachments: list[dict[str, Any]] | None = None,
) -> Activity:
    """An incoming Teams message as the SDK reads it from the wire."""
    body: dict[str, Any] = {
        "type": "message",
        "id": "activity-1",
        "channelId": "msteams",
        "serviceUrl": SERVICE_URL,
        "from": {"id": user_id, "name": name, **({"aadObjectId": aad_object_id} if aad_object_id else {})},
        "recipient": {"id": "28:bot", "name": "Værn"},
        "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": tenant_id},
        "channelData": {"tenant": {"id": tenant_id}},
        "locale": locale,
        "text": text,
    }
    if value is not None:
        body["value"] = value
    if attachments is not None:
        body["attachments"] = attachments
    return Activity.model_validate(body)


class RecordingTurn:
    """Says and shows into lists; `sent` keeps both in order as ("text", str) / ("card", dict) / ("typing", None)."""

    def __init__(self, activity: Activity, token: str | None = None) -> None:
        self.activity = activity
        self.sent: list[tuple[str, Any]] = []
        self._token = token

    async def say(self, text: str, *, markdown: bool = False) -> None:
        self.sent.append(("text", text))

    async def show(self, card: dict[str, Any]) -> None:
        self.sent.append(("card", card))

    async def typing(self) -> None:
        self.sent.append(("typing", None))

    async def bot_token(self) -> str | None:
        return self._token

    @property
    def texts(self) -> list[str]:
        return [item for kind, item in self.sent if kind == "text"]

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [item for kind, item in self.sent if kind == "card"]


class RecordingChannel(ChannelAdapter):
    """Just enough of a channel for an SDK `TurnContext` in-process (bot/ code that needs the turn context, such
    as case packages and file offers): records what the bot sends, updates and deletes."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Activity] = []
        self.updated: list[Activity] = []
        self.deleted: list[ConversationReference] = []

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        self.sent.extend(activities)
        return [ResourceResponse(id=f"sent-{len(self.sent)}") for _ in activities]

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        self.updated.append(activity)
        return ResourceResponse(id=activity.id or f"updated-{len(self.updated)}")

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> None:
        self.deleted.append(reference)
