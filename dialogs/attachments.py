"""Read what a Teams message carries: files (download info or inline images), card values, and the
bot's bearer token for inline images. Turns the activity's attachments into plain `IncomingFile`s, and keeps them in
dialog state while the person chooses the case they belong to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dialogs.turn import Attachment
from domain.evidence import EvidenceSource

TEAMS_FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
SOURCES = frozenset(source.value for source in EvidenceSource)


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


def files_to_state(files: Sequence[IncomingFile]) -> list[dict[str, str]]:
    """Files as plain values for dialog state, to be secured once the person has said where they belong."""
    return [{"name": file.name, "url": file.url, "source": file.source.value} for file in files]


def files_from_state(values: object) -> list[IncomingFile]:
    """The files kept by `files_to_state`; anything else in the state is passed over."""
    found: list[IncomingFile] = []
    for value in values if isinstance(values, list) else []:
        if not isinstance(value, dict):
            continue
        name, url, source = value.get("name"), value.get("url"), value.get("source")
        if isinstance(name, str) and isinstance(url, str) and source in SOURCES:
            found.append(IncomingFile(name, url, EvidenceSource(source)))
    return found
