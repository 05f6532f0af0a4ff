"""Evidence items and the policy that decides which files may be secured (size cap, allowed types)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class EvidenceSource(StrEnum):
    """How the evidence reached the bot."""

    TEAMS_FILE = "teams_file"
    INLINE_IMAGE = "inline_image"
    PASTED_TEXT = "pasted_text"


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
