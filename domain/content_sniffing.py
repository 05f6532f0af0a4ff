"""Detect a file's real content type from its first bytes (magic numbers), never from its name."""

from __future__ import annotations

import re

import filetype

SNIFF_BYTES = 8192
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAIL_HEADER = re.compile(
    rb"^(Received|Return-Path|From|To|Subject|Date|Message-ID|MIME-Version|Delivered-To):", re.I | re.M
)


def sniff_content_type(head: bytes, original_name: str = "") -> str:
    """Return the MIME type the bytes show, or application/octet-stream when unknown.

    The name is used only to tell an Outlook .msg file from other OLE documents; it can never
    make unknown bytes acceptable.
    """
    if not head:
        return "application/octet-stream"
    if head.startswith(OLE_MAGIC):
        return "application/vnd.ms-outlook" if original_name.lower().endswith(".msg") else "application/x-ole-storage"
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if _looks_like_text(head):
        return "message/rfc822" if _looks_like_mail(head) else "text/plain"
    return "application/octet-stream"


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 (a character cut at the window's end allowed) or Windows-1252, with no control characters."""
    if b"\x00" in head:
        return False
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:
            decoded = head[: error.start].decode("utf-8", errors="replace")
        else:
            # Older Danish text files are often Windows-1252 (æ ø å as single bytes).
            decoded = head.decode("cp1252", errors="replace")
    return all(ch.isprintable() or ch in "\r\n\t\f" for ch in decoded) and "\ufffd" not in decoded


def _looks_like_mail(head: bytes) -> bool:
    header_block = head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return len(_MAIL_HEADER.findall(header_block)) >= 2
