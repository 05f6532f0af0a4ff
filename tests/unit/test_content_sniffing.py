"""sniff_content_type: the real type comes from the bytes; the name only tells an Outlook .msg from other OLE files."""

from __future__ import annotations

import struct

import pytest

from domain.content_sniffing import OLE_MAGIC, SNIFF_BYTES, sniff_content_type
from domain.evidence import ALLOWED_CONTENT_TYPES

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
ID3_MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 64
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x44\xac\x00\x00" + b"\x00" * 16
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
OLE = OLE_MAGIC + b"\x00" * 504


def _ftyp(major_brand: bytes, *compatible: bytes) -> bytes:
    """A minimal ISO base media 'ftyp' box, the first bytes of HEIC and MP4 files."""
    body = b"ftyp" + major_brand + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", len(body) + 4) + body + b"\x00" * 16


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (PDF, "application/pdf"),
        (_ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
        (_ftyp(b"isom", b"isom", b"iso2", b"mp41"), "video/mp4"),
        (ID3_MP3, "audio/mpeg"),
        (WAV, "audio/x-wav"),
    ],
    ids=["png", "jpeg", "pdf", "heic", "mp4", "mp3-id3", "wav"],
)
def test_common_evidence_formats_are_recognised_and_allowed(head: bytes, expected: str) -> None:
    assert sniff_content_type(head) == expected
    assert expected in ALLOWED_CONTENT_TYPES


def test_utf8_text_with_danish_letters_is_plain_text() -> None:
    head = "Hej, jeg fik den her besked i går: »Du skal passe på, søde.« Æble, øl og å.\n".encode()
    assert sniff_content_type(head, "besked.txt") == "text/plain"


def test_text_with_mail_headers_is_an_email() -> None:
    head = (
        b"Received: from mail.example.com by mx.kommune.dk\r\n"
        b"From: anonym@example.com\r\n"
        b"To: medarbejder@kommune.dk\r\n"
        b"Subject: =?utf-8?q?Tr=C3=A6k_dig?=\r\n"
        b"Date: Mon, 3 Mar 2025 10:00:00 +0100\r\n"
        b"\r\n"
        b"Body text\r\n"
    )
    assert sniff_content_type(head, "besked.eml") == "message/rfc822"


def test_a_single_header_like_line_is_still_plain_text() -> None:
    assert sniff_content_type(b"Subject: my notes\nThey wrote to me again.\n") == "text/plain"


def test_mail_headers_in_the_body_do_not_make_an_email() -> None:
    head = b"My notes\n\nFrom: someone\nTo: me\n"
    assert sniff_content_type(head) == "text/plain"


def test_ole_file_named_msg_is_outlook_message() -> None:
    assert sniff_content_type(OLE, "Chikane.MSG") == "application/vnd.ms-outlook"
    assert "application/vnd.ms-outlook" in ALLOWED_CONTENT_TYPES


def test_ole_file_named_doc_is_not_allowed() -> None:
    content_type = sniff_content_type(OLE, "x.doc")
    assert content_type != "application/vnd.ms-outlook"
    assert content_type not in ALLOWED_CONTENT_TYPES


@pytest.mark.parametrize("head", [ELF, WINDOWS_EXE], ids=["elf", "windows-exe"])
@pytest.mark.parametrize("name", ["program", "photo.png", "note.txt"])
def test_executables_are_not_allowed_whatever_their_name(head: bytes, name: str) -> None:
    assert sniff_content_type(head, name) not in ALLOWED_CONTENT_TYPES


def test_png_renamed_to_txt_is_still_png() -> None:
    assert sniff_content_type(PNG, "innocent.txt") == "image/png"


def test_name_cannot_make_unknown_bytes_acceptable() -> None:
    assert sniff_content_type(b"\x00\x01\x02\x03binary", "photo.jpg") == "application/octet-stream"


def test_empty_bytes_are_octet_stream() -> None:
    assert sniff_content_type(b"") == "application/octet-stream"
    assert sniff_content_type(b"", "x.msg") == "application/octet-stream"


@pytest.mark.parametrize("character", ["æ", "€", "🙂"], ids=["two-byte", "three-byte", "four-byte"])
def test_multibyte_character_cut_at_end_of_window_is_still_text(character: str) -> None:
    encoded = character.encode()
    head = b"a" * (SNIFF_BYTES - len(encoded) + 1) + encoded[:-1]
    assert len(head) == SNIFF_BYTES
    assert sniff_content_type(head) == "text/plain"


def test_bytes_that_are_neither_utf8_nor_windows_1252_text_are_not_text() -> None:
    head = b"hello \x81\x8d world, \x02\x03 this is not text at all"
    assert sniff_content_type(head) == "application/octet-stream"


def test_windows_1252_danish_text_is_text() -> None:
    head = "Du er en idiot, hilsen Søren fra Århus".encode("cp1252")
    assert sniff_content_type(head) == "text/plain"


def test_control_characters_are_not_text() -> None:
    assert sniff_content_type(b"\x01\x02\x03abc" * 10) == "application/octet-stream"


def test_nul_byte_is_not_text() -> None:
    assert sniff_content_type(b"looks like text\x00but is not") == "application/octet-stream"
