"""EvidenceIntake with hostile files: empty, mislabelled, archives and file names that try to be paths.

Each refusal stores nothing (no item, no leftover temporary file), and a stored name is only ever a record:
files land under <root>/<case id>/<random evidence id> whatever the name says.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.clock import SystemClock
from domain.content_sniffing import name_contradicts_content
from domain.evidence import MAX_NAME_CHARS, EvidenceItem, EvidencePolicy, EvidenceSource, clean_original_name
from domain.refusals import EvidenceRefused, RefusalReason
from storage.evidence_intake import EvidenceIntake
from storage.local import LocalEvidenceStore
from tests.support.evidence_files import jpeg_photo, png_screenshot, windows_executable

CASE_ID = "case-1"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
TEXT = "Du skal passe på, søde. Jeg ved hvor du bor.\n".encode()
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>\n'


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.png", png_screenshot())
    return buffer.getvalue()


def _mp4(brand: bytes) -> bytes:
    body = b"ftyp" + brand + b"\x00\x00\x00\x00" + brand + b"mp41"
    return struct.pack(">I", len(body) + 4) + body + b"\x00" * 64


async def _chunks(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "evidence"


@pytest.fixture
def intake(root: Path) -> EvidenceIntake:
    return EvidenceIntake(LocalEvidenceStore(root), EvidencePolicy(), SystemClock())


async def _secure(intake: EvidenceIntake, data: bytes | list[bytes], name: str) -> EvidenceItem:
    pieces = data if isinstance(data, list) else [data]
    return await intake.secure(
        CASE_ID, _chunks(*pieces), original_name=name, uploaded_by="29:user", source=EvidenceSource.TEAMS_FILE
    )


async def _refused(intake: EvidenceIntake, data: bytes | list[bytes], name: str) -> EvidenceRefused:
    with pytest.raises(EvidenceRefused) as caught:
        await _secure(intake, data, name)
    return caught.value


def _files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


# --- empty --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pieces", [[], [b""], [b"", b"", b""]], ids=["no-chunks", "one-empty", "three-empty"])
async def test_an_empty_file_is_refused_and_nothing_is_stored(
    intake: EvidenceIntake, root: Path, pieces: list[bytes]
) -> None:
    assert (await _refused(intake, pieces, "tom.png")).reason is RefusalReason.EMPTY
    assert _files_under(root) == []


# --- mislabelled and archives -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (windows_executable(), "skaermbillede.png"),
        (ELF, "foto.jpg"),
        (TEXT, "skaermbillede.png"),  # text is allowed, but not as a "picture"
        (TEXT, "brev.pdf"),
        (png_screenshot(), "brev.pdf"),
        (png_screenshot(), "besked.txt"),
        (jpeg_photo(), "optagelse.mp4"),
        (HTML, "side.html"),
        (HTML, "side.HTM"),
        (SVG, "logo.svg"),
        (b"alert(1)\n", "script.js"),
        (_zip(), "skaermbillede.png"),
        (_zip(), "beviser.zip"),
        (gzip.compress(png_screenshot()), "skaermbillede.png.gz"),
        (b"7z\xbc\xaf\x27\x1c" + b"\x00" * 64, "beviser.7z"),
        (b"Rar!\x1a\x07\x00" + b"\x00" * 64, "beviser.rar"),
    ],
    ids=[
        "exe-as-png",
        "elf-as-jpg",
        "text-as-png",
        "text-as-pdf",
        "png-as-pdf",
        "png-as-txt",
        "jpeg-as-mp4",
        "html",
        "htm-upper",
        "svg",
        "js",
        "zip-as-png",
        "zip",
        "gzip",
        "7z",
        "rar",
    ],
)
async def test_mislabelled_files_and_archives_are_refused_by_type_and_nothing_is_stored(
    intake: EvidenceIntake, root: Path, data: bytes, name: str
) -> None:
    assert (await _refused(intake, data, name)).reason is RefusalReason.TYPE_NOT_ALLOWED
    assert _files_under(root) == []


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (png_screenshot(), "foto.jpg", "image/png"),  # a picture is a picture
        (jpeg_photo(), "IMG_2041.JPEG", "image/jpeg"),
        (_mp4(b"isom"), "lydbesked.m4a", "video/mp4"),  # audio or video: one kind
        (TEXT, "besked.eml", "text/plain"),
        (TEXT, "noter", "text/plain"),  # no extension: the bytes decide
        (png_screenshot(), "bevis.dat", "image/png"),  # an extension we do not know: the bytes decide
        (png_screenshot(), "bevis.exe.png", "image/png"),
    ],
)
async def test_names_of_the_same_kind_of_file_are_accepted(
    intake: EvidenceIntake, data: bytes, name: str, content_type: str
) -> None:
    item = await _secure(intake, data, name)
    assert item.content_type == content_type
    assert item.original_name == name


@pytest.mark.parametrize(
    ("name", "content_type", "contradicts"),
    [
        ("a.png", "image/jpeg", False),
        ("a.png", "text/plain", True),
        ("a.msg", "application/vnd.ms-outlook", False),
        ("a.eml", "message/rfc822", False),
        ("a.mov", "video/quicktime", False),
        ("a.mp3", "audio/mpeg", False),
        ("a.mp3", "image/png", True),
        ("a.svg", "text/plain", True),
        ("a.svg", "image/png", True),
        (".png", "text/plain", False),  # a hidden file named "png", no extension
        ("a.", "text/plain", False),
        ("a.weird", "text/plain", False),
    ],
)
def test_name_contradicts_content(name: str, content_type: str, contradicts: bool) -> None:
    assert name_contradicts_content(name, content_type) is contradicts


# --- names --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("../../../etc/passwd.png", "passwd.png"),
        ("..\\..\\Windows\\System32\\evil.png", "evil.png"),
        ("C:\\Users\\mette\\Skrivebord\\bevis.png", "bevis.png"),
        ("/absolute/path/bevis.png", "bevis.png"),
        ("bevis.png/", "unnamed"),
        ("..", "unnamed"),
        (".", "unnamed"),
        ("", "unnamed"),
        ("   ", "unnamed"),
        ("\u200b\u200b", "unnamed"),  # zero-width spaces only
        ("be\x00vis\x07\x1b[31m.png", "bevis[31m.png"),  # NUL, BEL, ESC gone
        ("linje1\nlinje2\r\tslut.png", "linje1 linje2  slut.png"),
        ("\u202egnp.exe", "gnp.exe"),  # right-to-left override would show "exe.png"
        ("foto\u00a0af\u2003brev.png", "foto af brev.png"),  # other spaces become plain spaces
        ("sk\u00e6rmbillede.png", "skærmbillede.png"),
        ("a\u030angstrom.png", "\u00e5ngstrom.png"),  # decomposed (macOS) becomes composed
        ("\ud800bevis.png", "bevis.png"),  # a lone surrogate (JSON allows "\\ud800") cannot even be stored
        ("😟 trussel.png", "😟 trussel.png"),
        ("  bevis.png  ", "bevis.png"),
    ],
)
def test_clean_original_name(name: str, cleaned: str) -> None:
    assert clean_original_name(name) == cleaned


def test_a_very_long_name_is_cut_keeping_its_extension() -> None:
    cleaned = clean_original_name("x" * 10_000 + ".png")
    assert len(cleaned) == MAX_NAME_CHARS
    assert cleaned.endswith("x.png")


def test_a_very_long_name_without_extension_is_cut() -> None:
    assert clean_original_name("æ" * 10_000) == "æ" * MAX_NAME_CHARS


@pytest.mark.parametrize(
    "name",
    [
        "../../../escaped.png",
        "..\\..\\escaped.png",
        "/tmp/escaped.png",
        "case-2/escaped.png",
        "\x00escaped.png",
        "\u202eescaped.png",
        "\ud800escaped.png",
        "escaped" + "/" * 300 + ".png",
        "e" * 5000 + ".png",
    ],
)
async def test_a_hostile_name_is_stored_cleaned_and_nothing_lands_outside_the_store(
    intake: EvidenceIntake, root: Path, tmp_path: Path, name: str
) -> None:
    item = await _secure(intake, png_screenshot(), name)

    assert item.original_name == clean_original_name(name)
    assert "/" not in item.original_name and "\\" not in item.original_name
    assert all(ch.isprintable() for ch in item.original_name)
    assert len(item.original_name) <= MAX_NAME_CHARS
    expected = [root / CASE_ID / item.evidence_id, root / CASE_ID / f"{item.evidence_id}.json"]
    assert _files_under(tmp_path) == sorted(expected)


# --- storage that cannot take the file ----------------------------------------------------------------------


class _FullDisk:
    """A writer over the local one that fails where a full disk would: on a write, or on the commit. `abort_fails`:
    cleaning up fails too (the disk or the account still refuses)."""

    def __init__(self, inner, fail_on: str, abort_fails: bool) -> None:
        self._inner, self._fail_on, self._abort_fails = inner, fail_on, abort_fails

    async def write(self, chunk: bytes) -> None:
        if self._fail_on == "write":
            raise OSError(28, "No space left on device")
        await self._inner.write(chunk)

    async def commit(self, item: EvidenceItem) -> None:
        if self._fail_on == "commit":
            raise OSError(27, "File too large")
        await self._inner.commit(item)

    async def abort(self) -> None:
        await self._inner.abort()
        if self._abort_fails:
            raise ConnectionError("storage unreachable")


class _FullDiskStore(LocalEvidenceStore):
    def __init__(self, root: Path, fail_on: str, abort_fails: bool) -> None:
        super().__init__(root)
        self._fail_on, self._abort_fails = fail_on, abort_fails

    def open_writer(self, case_id: str, evidence_id: str) -> _FullDisk:  # type: ignore[override]
        return _FullDisk(super().open_writer(case_id, evidence_id), self._fail_on, self._abort_fails)


@pytest.mark.parametrize("abort_fails", [False, True], ids=["cleaned-up", "clean-up-fails"])
@pytest.mark.parametrize("fail_on", ["write", "commit"])
async def test_a_write_the_store_cannot_take_is_refused_as_not_stored(
    root: Path, fail_on: str, abort_fails: bool
) -> None:
    intake = EvidenceIntake(_FullDiskStore(root, fail_on, abort_fails), EvidencePolicy(), SystemClock())
    refusal = await _refused(intake, [png_screenshot(), b"\0" * 1000], "skaermbillede.png")
    assert refusal.reason is RefusalReason.NOT_STORED and "OSError" in refusal.detail
    assert _files_under(root) == []
    assert await LocalEvidenceStore(root).list_items(CASE_ID) == []
