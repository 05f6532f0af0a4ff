"""Read what a Teams message carries: files (download info or inline images), card values, and the
bot's bearer token for inline images. Turns the activity's attachments into plain `IncomingFile`s."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dialogs.turn import Attachment
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


def incoming_files(attachments: Sequence[Attachment] | None) -> list[IncomingFile]:
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
