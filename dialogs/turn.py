"""One turn as the dialogs see it: what the person sent, and how to answer them.

The Teams edge makes a `Turn` from the SDK's turn context (bot/teams_turn.py); dialogs never import the SDK.
The incoming activity keeps the Bot Framework's field names, so the edge can hand over its own activity model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Account(Protocol):
    @property
    def id(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def aad_object_id(self) -> str | None: ...


class Conversation(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def tenant_id(self) -> str | None: ...
    @property
    def conversation_type(self) -> str | None: ...


class Attachment(Protocol):
    @property
    def content_type(self) -> str: ...
    @property
    def content_url(self) -> str | None: ...
    @property
    def content(self) -> object: ...
    @property
    def name(self) -> str | None: ...


class Activity(Protocol):
    """The fields of an incoming activity the dialogs read (the Bot Framework's names)."""

    @property
    def type(self) -> str: ...
    @property
    def channel_id(self) -> Any: ...
    @property
    def service_url(self) -> str | None: ...
    @property
    def locale(self) -> str | None: ...
    @property
    def text(self) -> str | None: ...
    @property
    def value(self) -> object: ...
    @property
    def attachments(self) -> Sequence[Attachment] | None: ...
    @property
    def channel_data(self) -> object: ...
    @property
    def from_property(self) -> Account | None: ...
    @property
    def recipient(self) -> Account | None: ...
    @property
    def conversation(self) -> Conversation | None: ...


class Turn(Protocol):
    @property
    def activity(self) -> Activity: ...

    async def say(self, text: str, *, markdown: bool = False) -> None:
        """A text message (Teams renders Markdown in it; `markdown` says so explicitly)."""

    async def show(self, card: dict[str, Any]) -> None:
        """An Adaptive Card message."""

    async def typing(self) -> None:
        """The typing indicator."""

    async def bot_token(self) -> str | None:
        """The bot's own bearer token, which Teams asks for to fetch inline images; None without an app id."""
