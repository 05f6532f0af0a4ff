"""Read what a Teams message carries: files (download info or inline images), card values, and the
bot's bearer token for inline images. Converts botbuilder objects into plain `IncomingFile`s."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Attachment

from domain.evidence import EvidenceSource

TEAMS_FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"


@dataclass(frozen=True)
class IncomingFile:
    name: str
    url: str
    source: EvidenceSource

    @property
    def needs_bot_token(self) -> bool:
        return self.source is EvidenceSource.INLINE_IMAGE


def incoming_files(attachments: list[Attachment] | None) -> list[IncomingFile]:
    """The files in a message. Cards and the HTML copy of the message text are not files."""
    files: list[IncomingFile] = []
    for index, attachment in enumerate(attachments or [], start=1):
        content_type = (attachment.content_type or "").lower()
        if content_type == TEAMS_FILE_DOWNLOAD_INFO:
            content = attachment.content if isinstance(attachment.content, dict) else {}
            url = str(content.get("downloadUrl") or "")
            files.append(IncomingFile(attachment.name or f"file-{index}", url, EvidenceSource.TEAMS_FILE))
        elif content_type.startswith("image/") and attachment.content_url:
            name = attachment.name or f"image-{index}.{content_type.split('/', 1)[1].split(';')[0] or 'img'}"
            files.append(IncomingFile(name, attachment.content_url, EvidenceSource.INLINE_IMAGE))
    return files


async def bot_bearer_token(turn_context: TurnContext) -> str | None:
    """The bot's own token, which Teams requires to fetch inline images; None without an app id."""
    client = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    credentials = getattr(getattr(client, "config", None), "credentials", None)
    if credentials is None or not getattr(credentials, "microsoft_app_id", None):
        return None
    return await asyncio.to_thread(credentials.get_access_token)
