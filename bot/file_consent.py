"""Sending a file to someone in a personal chat, the Teams way (Microsoft-Teams-Samples `bot-file-upload`):

  1. the bot sends a FileConsentCard (`application/vnd.microsoft.teams.card.file.consent`: description, size,
     and a context Teams hands back on accept or decline);
  2. the user chooses Allow or Decline; Teams sends the bot a `fileConsent/invoke` whose value has the action,
     the context and, on accept, `uploadInfo` with an upload URL in the user's OneDrive;
  3. on accept the bot PUTs the bytes to that URL (Content-Range, as the sample does) and then sends a
     FileInfoCard (`application/vnd.microsoft.teams.card.file.info`) pointing at the stored file.

This module holds those mechanics only; bot.file_offers answers the card, and bot.case_packages and
bot.plan_files decide what is offered to whom. The context names the kind of file ("package", "plan") and holds
only the offer's id; bot.handler routes the invoke on that name. The invoke value is read defensively
(never trusting its shape), and the upload goes only to an
allowlisted https host, streamed from disk in fragments a OneDrive upload session accepts.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.resolver import DefaultResolver
from microsoft_agents.activity import Activity, Attachment
from yarl import URL

from storage.evidence_download import PublicAddressResolver, host_is_allowed

FILE_CONSENT_INVOKE = "fileConsent/invoke"
FILE_CONSENT_CARD = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO_CARD = "application/vnd.microsoft.teams.card.file.info"
CONTEXT_KEY = "package"  # a case package's; the plan PDF's is bot.plan_files.PLAN_CONTEXT
# A OneDrive upload session takes byte ranges of at most 60 MiB, in multiples of 320 KiB (except the last).
FRAGMENT_BYTES = 160 * 320 * 1024  # 50 MiB
READ_BYTES = 1024 * 1024
UPLOAD_TIMEOUT_SECONDS = 300.0
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class MalformedConsent(ValueError):
    """The fileConsent/invoke value does not have the shape Teams sends."""


class UploadFailed(Exception):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(f"{reason} (HTTP {status})" if status else reason)
        self.status = status


@dataclass(frozen=True)
class UploadInfo:
    name: str
    upload_url: str
    content_url: str
    unique_id: str
    file_type: str


@dataclass(frozen=True)
class ConsentReply:
    action: str  # "accept" or "decline"
    token: str  # the offer id the card carried
    upload: UploadInfo | None  # only on accept


def in_personal_chat(activity: Activity) -> bool:
    """Teams offers files with a consent card only in the person's own chat with the bot."""
    conversation = activity.conversation
    return conversation is None or conversation.conversation_type in (None, "personal")


def file_consent_attachment(
    file_name: str, description: str, size: int, token: str, context_key: str = CONTEXT_KEY
) -> Attachment:
    """The FileConsentCard; accept and decline context carry only the short token, never case data."""
    if not _TOKEN.match(token):
        raise ValueError("the consent token must be an offer id")
    context = {context_key: token}
    content = {"description": description, "sizeInBytes": size, "acceptContext": context, "declineContext": context}
    return Attachment(content_type=FILE_CONSENT_CARD, name=file_name, content=content)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def consent_kind(value: object) -> str | None:
    """The context key of a fileConsent/invoke value (which kind of file it answers), if it has one."""
    context = value.get("context") if isinstance(value, dict) else None
    keys = list(context) if isinstance(context, dict) else []
    return keys[0] if len(keys) == 1 else None


def read_consent(value: object, context_key: str = CONTEXT_KEY) -> ConsentReply:
    """Read a fileConsent/invoke value; raise MalformedConsent for anything Teams would not send."""
    if not isinstance(value, dict):
        raise MalformedConsent("no value")
    action = value.get("action")
    context = value.get("context")
    if action not in ("accept", "decline"):
        raise MalformedConsent("unknown action")
    token = context.get(context_key) if isinstance(context, dict) else None
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise MalformedConsent("no offer token")
    if action == "decline":
        return ConsentReply(action, token, None)
    info = value.get("uploadInfo")
    if not isinstance(info, dict) or not _text(info.get("uploadUrl")):
        raise MalformedConsent("accept without uploadInfo")
    upload = UploadInfo(
        name=_text(info.get("name")),
        upload_url=_text(info.get("uploadUrl")),
        content_url=_text(info.get("contentUrl")),
        unique_id=_text(info.get("uniqueId")),
        file_type=_text(info.get("fileType")),
    )
    return ConsentReply(action, token, upload)


def file_info_attachment(upload: UploadInfo, fallback_name: str) -> Attachment:
    """The card that shows the uploaded file in the chat (opens it from the user's OneDrive)."""
    return Attachment(
        content_type=FILE_INFO_CARD,
        name=upload.name or fallback_name,
        content_url=upload.content_url,
        content={"uniqueId": upload.unique_id, "fileType": upload.file_type or fallback_name.rpartition(".")[2]},
    )


def check_upload_url(url: str, allowed_hosts: list[str], allow_http: bool) -> None:
    """Only send a file to the user's OneDrive/SharePoint (or, in tests, an allowed http host)."""
    try:
        parsed = URL(url)
    except ValueError as error:
        raise UploadFailed("upload URL is not a URL") from error
    schemes = {"https", "http"} if allow_http else {"https"}
    if parsed.scheme not in schemes or not parsed.host or parsed.user is not None:
        raise UploadFailed("upload URL scheme or form not allowed")
    if not host_is_allowed(parsed.host, allowed_hosts):
        raise UploadFailed(f"upload host {parsed.host} is not allowed")


def upload_session() -> aiohttp.ClientSession:
    """The HTTP session uploads go through: as for evidence downloads, a host name that resolves to a private,
    loopback or link-local address is never connected to (the allowlist alone is checked on names)."""
    connector = aiohttp.TCPConnector(resolver=PublicAddressResolver(DefaultResolver()))
    return aiohttp.ClientSession(connector=connector, auto_decompress=False)


async def _read_range(path: Path, start: int, length: int) -> AsyncIterator[bytes]:
    """The bytes [start, start + length) of the file, read in a worker thread a megabyte at a time."""
    handle = await asyncio.to_thread(open, path, "rb")
    try:
        await asyncio.to_thread(handle.seek, start)
        remaining = length
        while remaining > 0:
            chunk = await asyncio.to_thread(handle.read, min(READ_BYTES, remaining))
            if not chunk:
                raise UploadFailed("the file is shorter than expected")
            remaining -= len(chunk)
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


async def upload_file(
    session: aiohttp.ClientSession,
    upload_url: str,
    path: Path,
    *,
    fragment_bytes: int = FRAGMENT_BYTES,
    timeout_seconds: float = UPLOAD_TIMEOUT_SECONDS,
) -> None:
    """PUT the file to the upload URL in Content-Range fragments, streamed from disk; UploadFailed on refusal."""
    size = os.path.getsize(path)
    if size == 0:
        raise UploadFailed("nothing to upload")
    timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    start = 0
    while start < size:
        length = min(fragment_bytes, size - start)
        headers = {
            "Content-Length": str(length),
            "Content-Range": f"bytes {start}-{start + length - 1}/{size}",
            "Content-Type": "application/octet-stream",
        }
        try:
            async with session.put(
                upload_url,
                data=_read_range(path, start, length),
                headers=headers,
                timeout=timeout,
                allow_redirects=False,  # the checked upload URL only, never where a redirect points
            ) as response:
                await response.read()
                if response.status not in (200, 201, 202):
                    raise UploadFailed("upload refused", response.status)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise UploadFailed(f"upload failed: {type(error).__name__}") from error
        start += length
