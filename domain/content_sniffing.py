"""Detect a file's real content type from its first bytes (magic numbers), never from its name.

A name can only make a file refused: `name_contradicts_content` catches a known extension that promises another
kind of file than the bytes are (a "photo.png" that is text), and web content (.html, .svg, .js) that would
otherwise pass as text/plain and could run when opened from a case package.
"""

from __future__ import annotations

import re

import filetype  # pyright: ignore[reportMissingTypeStubs] (no stubs published)

SNIFF_BYTES = 8192
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_KIND_BY_EXTENSION = {
    **dict.fromkeys(
        ("png", "jpg", "jpeg", "jpe", "jfif", "gif", "webp", "heic", "heif", "avif", "bmp", "tif", "tiff"), "image"
    ),
    "pdf": "pdf",
    **dict.fromkeys(("txt", "text", "log", "eml", "msg"), "text"),
    **dict.fromkeys(("mp3", "m4a", "aac", "ogg", "oga", "opus", "wav", "amr", "flac"), "media"),
    **dict.fromkeys(("mp4", "m4v", "mov", "3gp", "3gpp", "webm"), "media"),
    **dict.fromkeys(("html", "htm", "xhtml", "shtml", "svg", "svgz", "js", "mjs", "hta"), "web"),
}
_KIND_BY_TYPE_PREFIX = {
    "image/": "image",
    "application/pdf": "pdf",
    "text/plain": "text",
    "message/rfc822": "text",
    "application/vnd.ms-outlook": "text",
    "audio/": "media",
    "video/": "media",
}
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
    kind = filetype.guess(head)  # pyright: ignore[reportUnknownMemberType]
    if kind is not None:
        return kind.mime
    if _looks_like_text(head):
        return "message/rfc822" if _looks_like_mail(head) else "text/plain"
    return "application/octet-stream"


def name_contradicts_content(original_name: str, content_type: str) -> bool:
    """True when the name's extension is one we know and names another kind of file than `content_type`.

    Kinds, not exact types: a .jpg that is really a PNG, or an .m4a sniffed as video/mp4, is fine. Web content
    never matches, so "page.html" or "logo.svg" is refused even though its bytes look like plain text.
    """
    stem, dot, extension = original_name.strip().rpartition(".")
    claimed = _KIND_BY_EXTENSION.get(extension.lower()) if dot and stem else None
    if claimed is None:
        return False
    actual = next((kind for prefix, kind in _KIND_BY_TYPE_PREFIX.items() if content_type.startswith(prefix)), None)
    return claimed != actual


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
