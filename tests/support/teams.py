"""A simulated Teams user in a personal chat: posts Teams-shaped activities to the bot, collects its replies."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

import requests

from tests.support.connector_stub import ConnectorStub

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
DEFAULT_TENANT_ID = "72f988bf-0000-4000-8000-000000000001"
DEFAULT_BOT_ID = "28:bot-id"
DEFAULT_BOT_NAME = "Værn"
REQUEST_TIMEOUT_SECONDS = 60.0
STRAGGLER_SETTLE_SECONDS = 0.1
STRAGGLER_MAX_SECONDS = 2.0

_ids_lock = threading.Lock()
_last_id = 0


def _message_id() -> str:
    """Teams-like message id: epoch milliseconds, unique and increasing within this process."""
    global _last_id
    with _ids_lock:
        _last_id = max(_last_id + 1, int(time.time() * 1000))
        return str(_last_id)


class Turn(list[dict[str, Any]]):
    """The activities the bot sent to the conversation during one turn; `.response` is the HTTP answer."""

    def __init__(self, activities: Iterable[dict[str, Any]], response: requests.Response) -> None:
        super().__init__(activities)
        self.response = response

    @property
    def status(self) -> int:
        return self.response.status_code


class BotHttpError(AssertionError):
    """The bot answered a turn with a status outside 2xx (pass check=False to get it back instead)."""


class TeamsUser:
    """One person chatting 1:1 with the bot, as the Teams client and Bot Connector would present them."""

    def __init__(
        self,
        bot_url: str,
        connector: ConnectorStub,
        *,
        user_id: str | None = None,
        aad_object_id: str | None = None,
        name: str = "Mette Testesen",
        email: str | None = None,
        locale: str = "da-DK",
        timezone: str = "Europe/Copenhagen",
        tenant_id: str = DEFAULT_TENANT_ID,
        conversation_id: str | None = None,
        bot_id: str = DEFAULT_BOT_ID,
        bot_name: str = DEFAULT_BOT_NAME,
        settle_seconds: float = STRAGGLER_SETTLE_SECONDS,
    ) -> None:
        self.bot_url = bot_url.rstrip("/")
        self.connector = connector
        self.user_id = user_id or f"29:1{uuid.uuid4().hex}"
        self.aad_object_id = aad_object_id or str(uuid.uuid4())
        self.name = name
        self.email = email or f"user-{self.aad_object_id[:8]}@example.dk"
        self.locale = locale
        self.timezone = timezone
        self.tenant_id = tenant_id
        self.conversation_id = conversation_id or f"a:{uuid.uuid4().hex}"
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.settle_seconds = settle_seconds
        self.last_turn: Turn | None = None
        self._http = requests.Session()
        self._http.trust_env = False  # never send 127.0.0.1 through a developer's HTTP(S)_PROXY
        connector.add_member(self.conversation_id, self.account())

    def __repr__(self) -> str:
        return f"TeamsUser(name={self.name!r}, user_id={self.user_id!r}, conversation_id={self.conversation_id!r})"

    @property
    def messages_url(self) -> str:
        return f"{self.bot_url}/api/messages"

    def account(self) -> dict[str, Any]:
        """This user as the connector's members API describes a Teams user."""
        given, _, surname = self.name.partition(" ")
        return {
            "id": self.user_id,
            "name": self.name,
            "aadObjectId": self.aad_object_id,
            "givenName": given,
            "surname": surname,
            "email": self.email,
            "userPrincipalName": self.email,
            "tenantId": self.tenant_id,
            "userRole": "user",
        }

    # ---- activities ---------------------------------------------------------------------------------------------

    def activity(self, activity_type: str = "message", **fields: Any) -> dict[str, Any]:
        """A Teams-shaped activity from this user in the personal chat; `fields` are added/override (camelCase)."""
        now = datetime.now(UTC)
        activity: dict[str, Any] = {
            "type": activity_type,
            "id": _message_id(),
            "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "localTimestamp": now.astimezone(ZoneInfo(self.timezone)).isoformat(timespec="milliseconds"),
            "localTimezone": self.timezone,
            "serviceUrl": self.connector.url,
            "channelId": "msteams",
            "from": {"id": self.user_id, "name": self.name, "aadObjectId": self.aad_object_id},
            "conversation": {"id": self.conversation_id, "conversationType": "personal", "tenantId": self.tenant_id},
            "recipient": {"id": self.bot_id, "name": self.bot_name},
            "locale": self.locale,
            "entities": [
                {
                    "type": "clientInfo",
                    "locale": self.locale,
                    "country": "DK",
                    "platform": "Web",
                    "timezone": self.timezone,
                }
            ],
            "channelData": {"tenant": {"id": self.tenant_id}},
        }
        if activity_type == "message":
            activity["textFormat"] = "plain"
        activity.update(fields)
        return activity

    def send(self, activity: Mapping[str, Any], *, check: bool = True) -> Turn:
        """POST any activity to /api/messages and return what the bot sent to this conversation meanwhile."""
        mark = self.connector.mark()
        response = self._http.post(
            self.messages_url,
            data=json.dumps(activity, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
        turn = Turn(self._collect(mark), response)
        self.last_turn = turn
        if check and not 200 <= response.status_code < 300:
            raise BotHttpError(f"{activity.get('type')} turn answered {response.status_code}: {response.text[:500]!r}")
        return turn

    def say(self, text: str, *, check: bool = True) -> Turn:
        return self.send(self.activity(text=text), check=check)

    def submit(self, value: Mapping[str, Any], *, reply_to_id: str | None = None, check: bool = True) -> Turn:
        """What Teams sends for Action.Submit on a card in a personal chat: a message with `value`, no text."""
        fields: dict[str, Any] = {"value": dict(value)}
        if reply_to_id:
            fields["replyToId"] = reply_to_id
            fields["channelData"] = {"tenant": {"id": self.tenant_id}, "legacy": {"replyToId": reply_to_id}}
        activity = self.activity(**fields)
        activity.pop("textFormat", None)
        return self.send(activity, check=check)

    def send_files(self, files: Iterable[tuple[str, str]], text: str = "", *, check: bool = True) -> Turn:
        """Files shared in the chat: one file.download.info attachment per (name, download_url)."""
        attachments = [
            {
                "contentType": FILE_DOWNLOAD_INFO,
                "contentUrl": url,
                "name": name,
                "content": {
                    "downloadUrl": url,
                    "uniqueId": str(uuid.uuid4()),
                    "fileType": PurePosixPath(name).suffix.lstrip(".").lower(),
                },
            }
            for name, url in files
        ]
        return self.send(self.activity(text=text, attachments=attachments), check=check)

    def send_inline_image(
        self,
        url: str,
        content_type: str = "image/png",
        *,
        text: str = "",
        html_companion: bool = False,
        check: bool = True,
    ) -> Turn:
        """An image pasted into the message box. html_companion adds the text/html attachment Teams also sends."""
        attachments: list[dict[str, Any]] = [{"contentType": content_type, "contentUrl": url}]
        if html_companion:
            attachments.append(
                {"contentType": "text/html", "content": f'<div><div><span><img src="{url}"></span></div></div>'}
            )
        return self.send(self.activity(text=text, attachments=attachments), check=check)

    def invoke(self, name: str, value: Any, *, reply_to_id: str | None = None) -> tuple[int, Any]:
        """An invoke activity (e.g. adaptiveCard/action); returns (HTTP status, JSON body or None).

        Activities the bot sent during the invoke are in `self.last_turn`.
        """
        fields: dict[str, Any] = {"name": name, "value": value}
        if reply_to_id:
            fields["replyToId"] = reply_to_id
        turn = self.send(self.activity("invoke", **fields), check=False)
        try:
            body = turn.response.json() if turn.response.content else None
        except ValueError:
            body = turn.response.text
        return turn.status, body

    def execute(self, verb: str, data: Mapping[str, Any] | None = None, **kwargs: Any) -> tuple[int, Any]:
        """Action.Execute on a Universal Actions card: invoke adaptiveCard/action with Teams' value shape."""
        value = {"action": {"type": "Action.Execute", "verb": verb, "data": dict(data or {})}, "trigger": "manual"}
        return self.invoke("adaptiveCard/action", value, **kwargs)

    def install(self, *, check: bool = True) -> Turn:
        """The conversationUpdate Teams sends when the user adds the bot to a personal chat."""
        activity = self.activity(
            "conversationUpdate",
            membersAdded=[{"id": self.bot_id}],
            channelData={"tenant": {"id": self.tenant_id}, "eventType": "teamMemberAdded"},
        )
        return self.send(activity, check=check)

    # ---- replies ------------------------------------------------------------------------------------------------

    def replies(self, *, since: int = 0) -> list[dict[str, Any]]:
        """Every activity the bot sent to this conversation (after connector mark `since`)."""
        return self.connector.activities(self.conversation_id, since=since)

    def _collect(self, mark: int) -> list[dict[str, Any]]:
        """Replies normally arrive before the HTTP answer; wait until none came for settle_seconds (≤ 2 s)."""
        deadline = time.monotonic() + STRAGGLER_MAX_SECONDS
        found = self.replies(since=mark)
        quiet_since = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - quiet_since < self.settle_seconds:
            time.sleep(0.02)
            now = self.replies(since=mark)
            if len(now) != len(found):
                found, quiet_since = now, time.monotonic()
        return found


# ---- what a person sees ------------------------------------------------------------------------------------------

_SKIPPED_KEYS = frozenset({"refresh", "selectAction", "fallback", "msteams", "data", "authentication", "metadata"})


def cards(activities: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The Adaptive Card contents attached to the activities, in order."""
    found: list[dict[str, Any]] = []
    for activity in activities:
        for attachment in activity.get("attachments") or []:
            if attachment.get("contentType") == ADAPTIVE_CARD:
                content = attachment.get("content")
                if isinstance(content, str):
                    content = json.loads(content)
                if isinstance(content, dict):
                    found.append(content)
    return found


def card_texts(card: Mapping[str, Any]) -> list[str]:
    """Visible strings of one card in document order: TextBlock/TextRun text, fact titles and values,
    input labels and placeholders, choice titles, toggle titles and action (button) titles."""
    return [text for text in _walk_card(card) if text]


def card_elements(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict with a `type` anywhere in a card (elements and actions), depth first."""
    if isinstance(node, dict):
        if "type" in node:
            yield node
        for value in node.values():
            yield from card_elements(value)
    elif isinstance(node, list):
        for item in node:
            yield from card_elements(item)


def texts(activities: Iterable[Mapping[str, Any]]) -> list[str]:
    """Everything a person reads in these activities: each text, then the visible strings of its cards
    (see card_texts), hero/thumbnail card text and suggested-action titles, flattened in order."""
    found: list[str] = []
    for activity in activities:
        if activity.get("text"):
            found.append(activity["text"])
        for attachment in activity.get("attachments") or []:
            content = attachment.get("content")
            if attachment.get("contentType") == ADAPTIVE_CARD:
                for card in cards([{"attachments": [attachment]}]):
                    found.extend(card_texts(card))
            elif isinstance(content, dict):
                found.extend(str(content[k]) for k in ("title", "subtitle", "text") if content.get(k))
                found.extend(b["title"] for b in content.get("buttons") or [] if isinstance(b, dict) and b.get("title"))
        suggested = activity.get("suggestedActions") or {}
        found.extend(a["title"] for a in suggested.get("actions") or [] if isinstance(a, dict) and a.get("title"))
    return found


def actions(activities_or_cards: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every Action.* (buttons, including those inside ShowCards) in the given activities or card contents."""
    found: list[dict[str, Any]] = []
    for item in activities_or_cards:
        for card in cards([item]) if "attachments" in item else [item]:
            found.extend(_walk_actions(card))
    return found


def _walk_card(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_card(item)
        return
    if not isinstance(node, dict):
        return
    kind = str(node.get("type", ""))
    if kind in ("TextBlock", "TextRun"):
        yield str(node.get("text", ""))
    elif kind == "FactSet":
        for fact in node.get("facts") or []:
            yield str(fact.get("title", ""))
            yield str(fact.get("value", ""))
    elif kind.startswith("Input."):
        yield str(node.get("label", ""))
        yield str(node.get("placeholder", ""))
        if kind == "Input.Toggle":
            yield str(node.get("title", ""))
        for choice in node.get("choices") or []:
            yield str(choice.get("title", ""))
    elif kind.startswith("Action."):
        yield str(node.get("title", ""))
    for key, value in node.items():
        if key not in _SKIPPED_KEYS and key not in ("facts", "choices") and isinstance(value, list | dict):
            yield from _walk_card(value)


def _walk_actions(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_actions(item)
    elif isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action."):
            yield node
        for key, value in node.items():
            if key not in _SKIPPED_KEYS and isinstance(value, list | dict):
                yield from _walk_actions(value)
