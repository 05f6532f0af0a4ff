"""Evidence items, the policy that decides which files may be secured (size cap, allowed types), and when typed text
is a pasted message to secure rather than an answer (`is_pasted_message`).

Archives (ZIP, gzip, 7z, RAR, Office files) are not allowed types: the bot never opens or unpacks one.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class EvidenceSource(StrEnum):
    """How the evidence reached the bot."""

    TEAMS_FILE = "teams_file"
    INLINE_IMAGE = "inline_image"
    PASTED_TEXT = "pasted_text"


MAX_NAME_CHARS = 200
MAX_EXTENSION_CHARS = 10
# Longer than any short answer (a name, a date, "i går kl. 14", a number, a choice typed): a pasted message.
SHORT_ANSWER_MAX_CHARS = 200


def is_pasted_message(text: str, *, expects_short_answer: bool) -> bool:
    """Typed text (never a card's values) that is a pasted message, to secure as evidence at once rather than take
    as the answer, when the question expects a choice or a short answer (every report question but the description
    and the links, which take free text, and the evidence question, which takes pasted text itself): text of more
    than one line, or longer than SHORT_ANSWER_MAX_CHARS. A message forwarded or quoted into the chat arrives as
    such text too. Short one-line text stays the question's answer, valid or not."""
    kept = text.strip()
    if not expects_short_answer or not kept:
        return False
    return "\n" in kept or len(kept) > SHORT_ANSWER_MAX_CHARS


def clean_original_name(name: str) -> str:
    """The name as shown and recorded (never a path): last path part only, NFC, no control or invisible format
    characters (no RTL override), other spaces as plain spaces, at most 200 characters with the extension kept."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    normalised = unicodedata.normalize("NFC", base)
    kept = "".join(ch if ch.isprintable() else " " if ch.isspace() else "" for ch in normalised).strip()
    if len(kept) > MAX_NAME_CHARS:
        stem, dot, extension = kept.rpartition(".")
        if dot and stem and len(extension) <= MAX_EXTENSION_CHARS:
            kept = stem[: MAX_NAME_CHARS - len(extension) - 1].rstrip() + dot + extension
        else:
            kept = kept[:MAX_NAME_CHARS].rstrip()
    return kept if kept.strip(".") else "unnamed"


class EvidenceItem(BaseModel):
    """One secured piece of evidence. Immutable once stored; the bytes match sha256."""

    evidence_id: str
    case_id: str
    sha256: str
    size: int
    content_type: str
    original_name: str
    received_at: datetime
    uploaded_by: str
    source: EvidenceSource

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]


ALLOWED_CONTENT_TYPES: frozenset[str] = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "image/avif",
        "image/bmp",
        "image/tiff",
        "application/pdf",
        "message/rfc822",
        "application/vnd.ms-outlook",
        "text/plain",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/ogg",
        "audio/x-wav",
        "audio/amr",
        "audio/x-flac",
        "video/mp4",
        "video/quicktime",
        "video/3gpp",
        "video/webm",
        "video/x-m4v",
    }
)


class EvidencePolicy(BaseModel):
    """What the municipality accepts as evidence files."""

    max_bytes: int = 50 * 1024 * 1024
    allowed_content_types: frozenset[str] = ALLOWED_CONTENT_TYPES

    def allows(self, content_type: str) -> bool:
        return content_type in self.allowed_content_types
