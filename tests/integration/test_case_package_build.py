"""A real case package from the local backend: evidence byte for byte, every hash checked against the stored
bytes, the verify command catching tampering, the PDF readable with Danish letters, and the Teams delivery
(file consent → upload to the connector stub → file info card) with forged accepts refused."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from microsoft_agents.activity import Activity, ChannelAccount, ConversationAccount
from microsoft_agents.hosting.core import TurnContext

from bot.case_packages import CasePackages, PackageCommand
from bot.file_consent import FILE_CONSENT_CARD, FILE_INFO_CARD, upload_file
from content import texts_for
from domain.audit import AuditEvent
from domain.authorization import Actor
from domain.case import Case, Person
from domain.case_package import (
    MANIFEST_NAME,
    SHA256SUMS_NAME,
    SIGNATURE_NAME,
    SUMMARY_NAME,
    PackageKind,
    package_scope,
)
from domain.evidence import MAX_NAME_CHARS, EvidenceItem, EvidencePolicy, EvidenceSource
from domain.reporting import MAX_FREE_TEXT, clean_free_text
from exports.case_package import BuiltPackage, EvidenceIntegrityError, build_package
from services.logging_setup import JsonFormatter
from services.roles import EmptyDirectory
from storage.audit import AuditLog
from storage.cases import CaseRepository
from storage.evidence_intake import EvidenceIntake
from storage.local import LocalEvidenceStore
from storage.package_offers import PackageOffers
from storage.package_signing import PackageSigner, public_key_pem
from storage.sqlite_documents import SqliteDocumentStore
from tests.support.case_samples import (
    COLLEAGUE,
    EMPLOYEE,
    LEADER,
    LEADER_NOTES,
    STRANGER,
    TENANT,
    filler,
    free_texts,
    full_case,
    longest_case,
)
from tests.support.clock import MovableClock
from tests.support.connector_stub import ConnectorStub
from tests.support.evidence_files import jpeg_photo, png_screenshot
from tests.support.signing import TEST_SIGNER, verify, write_public_key
from tests.support.summary_pdf import flat, flows_in, layout_problems, page_count, text_of
from tests.support.turns import SERVICE_URL, RecordingChannel
from tools.verify_package import main as verify_main

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
BIG_BYTES = 9 * 1024 * 1024
TEXTS = texts_for("da", "89 70 12 99")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stored:
    case: Case
    documents: SqliteDocumentStore
    evidence: LocalEvidenceStore
    audit: AuditLog
    items: list[EvidenceItem]
    root: Path


async def _chunks(data: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _big_video() -> bytes:
    """9 MB that sniff as MP4 (ftyp box) and do not compress: a phone video as evidence."""
    header = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return header + os.urandom(BIG_BYTES - len(header))


@pytest.fixture
async def stored(tmp_path: Path) -> Stored:
    """A closed case with every duty recorded and three evidence files (one of 9 MB) in local storage."""
    documents = SqliteDocumentStore(tmp_path / "documents.sqlite3")
    evidence = LocalEvidenceStore(tmp_path / "evidence")
    clock = MovableClock(NOW - timedelta(days=2))
    intake = EvidenceIntake(evidence, EvidencePolicy(), clock)
    case = full_case()
    await CaseRepository(documents).create(case)
    files = [
        ("Skærmbillede af opslag på Facebook.png", png_screenshot(), EMPLOYEE),
        ("foto_af_brev.jpg", jpeg_photo(40_000), EMPLOYEE),
        ("voicemail-video.mp4", _big_video(), COLLEAGUE),
    ]
    items = []
    for minutes, (name, data, person) in enumerate(files):
        clock.move_to(NOW - timedelta(days=2) + timedelta(minutes=minutes))
        item = await intake.secure(
            case.case_id,
            _chunks(data),
            original_name=name,
            uploaded_by=person.user_id,
            source=EvidenceSource.TEAMS_FILE,
        )
        items.append(item)
    return Stored(case, documents, evidence, AuditLog(documents), items, tmp_path)


async def _build(stored: Stored, person: Person, kind: PackageKind, name: str = "package.zip") -> BuiltPackage:
    scope = package_scope(stored.case, Actor(person, tenant_id=TENANT), kind)
    return await build_package(
        stored.case,
        stored.evidence,
        stored.audit,
        scope,
        TEXTS,
        requested_by=person,
        generated_at=NOW,
        destination=stored.root / "out" / name,
        signer=TEST_SIGNER,
    )


async def _stored_bytes(stored: Stored, item: EvidenceItem) -> bytes:
    return b"".join([chunk async for chunk in stored.evidence.read(item.case_id, item.evidence_id)])


def _pdf_text(pdf: bytes, folder: Path) -> str:
    path = folder / "summary.pdf"
    path.write_bytes(pdf)
    extracted = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return extracted.stdout.decode("utf-8")


needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (Debian poppler-utils) is not installed"
)


# --- building ---------------------------------------------------------------------------------------------------


async def test_full_package_holds_every_evidence_file_unchanged_and_each_hash_matches_the_stored_bytes(
    stored: Stored, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.perf_counter()
    built = await _build(stored, LEADER, PackageKind.FULL)
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[case package] 3 evidence files incl. 9 MB: built in {seconds:.2f} s, {built.size:,} bytes")
    assert built.path.is_file() and built.size == built.path.stat().st_size
    assert built.sha256 == hashlib.sha256(built.path.read_bytes()).hexdigest()
    assert not list(built.path.parent.glob(".part-*"))

    with zipfile.ZipFile(built.path) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read(MANIFEST_NAME))
        listed = {entry["path"]: entry for entry in manifest["files"]}
        assert set(names) == {*listed, MANIFEST_NAME, SIGNATURE_NAME, SHA256SUMS_NAME}
        assert manifest["signed_by"] == {
            "organisation": "Silkeborg Kommune",
            "algorithm": "Ed25519",
            "public_key_sha256": TEST_SIGNER.fingerprint,
            "signature_file": SIGNATURE_NAME,
        }
        TEST_SIGNER.public_key.verify(archive.read(SIGNATURE_NAME), archive.read(MANIFEST_NAME))
        assert SUMMARY_NAME in listed
        by_id = {item.evidence_id: item for item in stored.items}
        evidence_entries = [entry for entry in manifest["files"] if entry["path"].startswith("evidence/")]
        assert [entry["evidence_id"] for entry in evidence_entries] == [item.evidence_id for item in stored.items]
        for entry in evidence_entries:
            item = by_id[entry["evidence_id"]]
            original = await _stored_bytes(stored, item)
            packed = archive.read(entry["path"])
            assert packed == original, entry["path"]
            assert entry["sha256"] == hashlib.sha256(original).hexdigest() == item.sha256
            assert entry["size"] == len(original) == item.size
            assert entry["content_type"] == item.content_type
            assert datetime.fromisoformat(entry["received_at"]) == item.received_at
            assert entry["uploaded_by"] == item.uploaded_by
            assert entry["original_name"] == item.original_name
            assert archive.getinfo(entry["path"]).compress_type == zipfile.ZIP_STORED
        assert evidence_entries[0]["path"] == "evidence/01-Skærmbillede_af_opslag_på_Facebook.png"
        assert evidence_entries[2]["size"] == BIG_BYTES
        sums = archive.read(SHA256SUMS_NAME).decode()
        for entry in manifest["files"]:
            assert f"{entry['sha256']}  {entry['path']}\n" in sums
        assert f"{hashlib.sha256(archive.read(MANIFEST_NAME)).hexdigest()}  {MANIFEST_NAME}\n" in sums
        assert listed[SUMMARY_NAME]["sha256"] == hashlib.sha256(archive.read(SUMMARY_NAME)).hexdigest()

    result = verify(built.path)
    assert result.ok, result.problems
    assert result.files == 4


def _verify_command(stored: Stored, *packages: Path, key: Path | None = None) -> subprocess.CompletedProcess[str]:
    key = key or write_public_key(stored.root)
    command = [sys.executable, "-m", "tools.verify_package", "--public-key", str(key), *map(str, packages)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


async def test_the_verify_command_says_ok_for_a_good_package_and_what_that_proved(stored: Stored) -> None:
    built = await _build(stored, LEADER, PackageKind.FULL)
    checked = _verify_command(stored, built.path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.strip().splitlines()
    assert lines[0] == f"OK 4 files ({built.path}): signed by Værn of Silkeborg Kommune"
    assert lines[1].startswith(f"  proved: {MANIFEST_NAME} is signed by the public key you gave")
    assert TEST_SIGNER.fingerprint in lines[1] and "each of the 4 files" in lines[1]
    assert lines[2].startswith("  not proved: that this key is the organisation's")


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU sha256sum is not installed")
async def test_an_unzipped_package_checks_with_sha256sum(stored: Stored) -> None:
    built = await _build(stored, LEADER, PackageKind.FULL)
    folder = stored.root / "unzipped"
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(folder)
    checked = subprocess.run(["sha256sum", "-c", SHA256SUMS_NAME], cwd=folder, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count(": OK") == 5


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
async def test_an_unzipped_packages_signature_checks_with_openssl_as_documented(stored: Stored) -> None:
    built = await _build(stored, EMPLOYEE, PackageKind.POLICE)
    folder = stored.root / "unzipped"
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(folder)
    key = write_public_key(stored.root)
    command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(key), "-rawin"]
    command += ["-in", MANIFEST_NAME, "-sigfile", SIGNATURE_NAME]
    checked = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    assert checked.returncode == 0 and "Signature Verified Successfully" in checked.stdout, checked.stderr
    (folder / MANIFEST_NAME).write_bytes((folder / MANIFEST_NAME).read_bytes().replace(b"police", b"full"))
    assert subprocess.run(command, cwd=folder, capture_output=True, text=True).returncode != 0


# --- tampering --------------------------------------------------------------------------------------------------


def _flip_byte_in_member(package: Path, member: str, offset: int = 1000) -> None:
    """Change one byte of a stored member's data inside the ZIP, as a careless or malicious hand would."""
    with zipfile.ZipFile(package) as archive:
        info = archive.getinfo(member)
    raw = bytearray(package.read_bytes())
    header = info.header_offset
    name_length = int.from_bytes(raw[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(raw[header + 28 : header + 30], "little")
    position = header + 30 + name_length + extra_length + offset
    raw[position] ^= 0xFF
    package.write_bytes(bytes(raw))


async def test_one_changed_byte_in_an_evidence_file_fails_verification_naming_the_file(
    stored: Stored, capsys: pytest.CaptureFixture[str]
) -> None:
    built = await _build(stored, LEADER, PackageKind.FULL)
    target = next(entry.path for entry in built.manifest.files if entry.size == BIG_BYTES)
    _flip_byte_in_member(built.path, target, offset=4_000_000)
    assert verify_main(["--public-key", str(write_public_key(stored.root)), str(built.path)]) == 1
    output = capsys.readouterr().out
    assert "FAILED" in output and target in output and "OK" not in output
    checked = _verify_command(stored, built.path)
    assert checked.returncode == 1 and target in checked.stdout


def _rewrite(package: Path, change: dict[str, bytes | None], add: dict[str, bytes] | None = None) -> None:
    """Re-zip the package with some members replaced (valid CRCs: only the hashes can tell), removed or added."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = change.get(info.filename, source.read(info.filename))
            if data is not None:
                target.writestr(info, data)
        for name, data in (add or {}).items():
            target.writestr(name, data)
    package.write_bytes(buffer.getvalue())


async def test_a_replaced_evidence_file_with_a_valid_zip_is_caught_by_its_hash(stored: Stored) -> None:
    built = await _build(stored, EMPLOYEE, PackageKind.POLICE)
    target = built.manifest.files[1].path
    _rewrite(built.path, {target: b"\x89PNG forged screenshot"})
    problems = verify(built.path).problems
    assert any(target in problem and "SHA-256" in problem for problem in problems), problems
    assert any(target in problem and "size" in problem for problem in problems), problems


async def test_missing_unlisted_and_disagreeing_files_are_all_reported(stored: Stored) -> None:
    built = await _build(stored, LEADER, PackageKind.FULL)
    removed = built.manifest.files[1].path
    sums = "".join(f"{'0' * 64}  {f.path}\n" for f in built.manifest.files)
    _rewrite(built.path, {removed: None, SHA256SUMS_NAME: sums.encode()}, add={"evidence/99-extra.png": b"x"})
    problems = "\n".join(verify(built.path).problems)
    assert f"{removed}: listed in {MANIFEST_NAME} but missing" in problems
    assert "evidence/99-extra.png: in the package but not listed" in problems
    assert f"{SUMMARY_NAME}: {SHA256SUMS_NAME} and {MANIFEST_NAME} disagree" in problems
    assert f"{MANIFEST_NAME}: its own SHA-256 is missing" in problems


async def test_a_changed_manifest_is_caught_by_sha256sums(stored: Stored) -> None:
    built = await _build(stored, LEADER, PackageKind.FULL)
    with zipfile.ZipFile(built.path) as archive:
        manifest = json.loads(archive.read(MANIFEST_NAME))
    manifest["files"][1]["uploaded_by"] = "29:someone-else"
    _rewrite(built.path, {MANIFEST_NAME: json.dumps(manifest).encode()})
    problems = verify(built.path).problems
    assert any(problem.startswith(f"{MANIFEST_NAME}: SHA-256 is") for problem in problems), problems


def test_a_file_that_is_no_zip_fails_verification(tmp_path: Path) -> None:
    path = tmp_path / "not.zip"
    path.write_bytes(b"hello")
    assert not verify(path).ok
    assert verify_main([]) == 2


# --- the signature: hashes anyone can recompute prove nothing; the organisation's key does --------------------------


def _forge(package: Path, target: str, forged: bytes, signer: PackageSigner | None = None) -> None:
    """Replace one file and make every hash agree again (manifest.json and SHA256SUMS recomputed), as someone
    who knows the format would; `signer` re-signs the manifest with their own key and names that key."""
    with zipfile.ZipFile(package) as archive:
        manifest = json.loads(archive.read(MANIFEST_NAME))
    for entry in manifest["files"]:
        if entry["path"] == target:
            entry["sha256"], entry["size"] = hashlib.sha256(forged).hexdigest(), len(forged)
    change: dict[str, bytes | None] = {target: forged}
    if signer is not None:
        manifest["signed_by"]["public_key_sha256"] = signer.fingerprint
    manifest_bytes = (json.dumps(manifest, indent=2) + "\n").encode()
    change[MANIFEST_NAME] = manifest_bytes
    if signer is not None:
        change[SIGNATURE_NAME] = signer.sign(manifest_bytes)
    sums = [(entry["sha256"], entry["path"]) for entry in manifest["files"]]
    sums.append((hashlib.sha256(manifest_bytes).hexdigest(), MANIFEST_NAME))
    change[SHA256SUMS_NAME] = "".join(f"{sha}  {path}\n" for sha, path in sums).encode()
    _rewrite(package, change)


async def test_replaced_evidence_with_every_hash_recomputed_fails_on_the_signature(stored: Stored) -> None:
    built = await _build(stored, LEADER, PackageKind.FULL)
    target = built.manifest.files[1].path
    _forge(built.path, target, b"\x89PNG a different screenshot")
    checked = _verify_command(stored, built.path)
    assert checked.returncode == 1, checked.stdout
    assert checked.stdout.startswith(f"FAILED {built.path}: 1 problem(s); this package proves nothing")
    assert f"{SIGNATURE_NAME}: the signature does not match {MANIFEST_NAME}" in checked.stdout
    assert "OK" not in checked.stdout and "signed by Værn" not in checked.stdout


async def test_a_police_package_re_signed_with_another_key_fails_naming_both_keys(stored: Stored) -> None:
    built = await _build(stored, EMPLOYEE, PackageKind.POLICE)
    other = PackageSigner(Ed25519PrivateKey.generate(), "Silkeborg Kommune")
    _forge(built.path, built.manifest.files[1].path, b"forged text", signer=other)
    result = verify(built.path)
    assert not result.ok and not result.organisation
    problems = "\n".join(result.problems)
    assert f"signed by the key with fingerprint {other.fingerprint}, not by the public key you gave" in problems
    assert TEST_SIGNER.fingerprint in problems and "the signature does not match" in problems
    assert verify(built.path, public_key_pem(other.public_key)).ok  # the forger's own key is all it proves


async def test_a_package_without_its_signature_fails_loudly(stored: Stored) -> None:
    built = await _build(stored, LEADER, PackageKind.FULL)
    _rewrite(built.path, {SIGNATURE_NAME: None})
    checked = _verify_command(stored, built.path)
    assert checked.returncode == 1
    assert f"{SIGNATURE_NAME} is missing: the package is not signed, nothing proves its origin" in checked.stdout
    with zipfile.ZipFile(built.path) as archive:
        manifest = json.loads(archive.read(MANIFEST_NAME))
    del manifest["signed_by"]  # an unsigned manifest, hashes made to agree
    _rewrite(built.path, {MANIFEST_NAME: json.dumps(manifest).encode()})
    assert any("names no Ed25519 signer" in problem for problem in verify(built.path).problems)


async def test_the_verifier_needs_a_usable_public_key(stored: Stored, capsys: pytest.CaptureFixture[str]) -> None:
    built = await _build(stored, LEADER, PackageKind.FULL)
    assert verify_main([str(built.path)]) == 2
    assert "give --public-key" in capsys.readouterr().err
    wrong = stored.root / "rsa.pem"
    wrong.write_bytes(
        rsa.generate_private_key(65537, 2048).public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    assert verify_main(["--public-key", str(wrong), str(built.path)]) == 2
    assert "not the Ed25519 key" in capsys.readouterr().err
    assert verify_main(["--public-key", str(stored.root / "missing.pem"), str(built.path)]) == 2
    assert "cannot read the public key" in capsys.readouterr().err


async def test_stored_evidence_that_no_longer_matches_its_hash_is_refused(stored: Stored) -> None:
    item = stored.items[0]
    stored_file = stored.root / "evidence" / item.case_id / item.evidence_id
    data = bytearray(stored_file.read_bytes())
    data[-1] ^= 0x01
    stored_file.write_bytes(bytes(data))  # storage tampered with after the item was secured
    with pytest.raises(EvidenceIntegrityError) as refused:
        await _build(stored, LEADER, PackageKind.FULL)
    assert refused.value.item.evidence_id == item.evidence_id
    assert item.original_name in str(refused.value)
    assert not (stored.root / "out" / "package.zip").exists()
    assert not list((stored.root / "out").glob(".part-*"))


# --- what each kind holds ------------------------------------------------------------------------------------------


@needs_pdftotext
async def test_summary_pdf_has_danish_letters_and_the_case_reference(stored: Stored) -> None:
    built = await _build(stored, LEADER, PackageKind.FULL)
    with zipfile.ZipFile(built.path) as archive:
        text = _pdf_text(archive.read(SUMMARY_NAME), stored.root)
    for letter in ("æ", "ø", "å", "Æ", "Ø"):
        assert letter in text, letter
    assert "VK-2026-0042" in text
    assert "Hændelsen" in text and "Forløb" in text and "Søren Østergaard" in text
    for item in stored.items:
        assert item.sha256 in text
    for marker in LEADER_NOTES:
        assert marker in text


@needs_pdftotext
async def test_police_package_has_all_evidence_but_no_leader_notes_and_no_audit(stored: Stored) -> None:
    await stored.audit.append(
        _event(stored.case, "evidence_read", "AUDIT-MARKER-3141"),
    )
    built = await _build(stored, EMPLOYEE, PackageKind.POLICE)
    assert verify(built.path).ok
    with zipfile.ZipFile(built.path) as archive:
        text = _pdf_text(archive.read(SUMMARY_NAME), stored.root)
        manifest = json.loads(archive.read(MANIFEST_NAME))
    assert manifest["kind"] == "police" and manifest["requested_role"] == "subject"
    assert len([f for f in manifest["files"] if f["path"].startswith("evidence/")]) == 3
    for marker in (*LEADER_NOTES, "AUDIT-MARKER-3141"):
        assert marker not in text, marker
    assert "politi.dk" in text and "VK-2026-0042" in text


@needs_pdftotext
@pytest.mark.parametrize(("person", "kind"), [(LEADER, PackageKind.FULL), (EMPLOYEE, PackageKind.POLICE)])
async def test_a_case_with_every_free_text_at_its_longest_still_gets_both_packages(
    stored: Stored, person: Person, kind: PackageKind
) -> None:
    stored.case = longest_case()
    intake = EvidenceIntake(stored.evidence, EvidencePolicy(), MovableClock(NOW - timedelta(days=1)))
    pasted = clean_free_text(filler("PASTED", MAX_FREE_TEXT))  # as the evidence question keeps it
    long_name = filler("FILENAME", MAX_NAME_CHARS - 4, lines=False) + ".png"
    for name, data, source in [
        ("tekst-4.txt", pasted.encode(), EvidenceSource.PASTED_TEXT),
        (long_name, png_screenshot(), EvidenceSource.TEAMS_FILE),
    ]:
        item = await intake.secure(
            stored.case.case_id, _chunks(data), original_name=name, uploaded_by=EMPLOYEE.user_id, source=source
        )
        stored.items.append(item)

    built = await _build(stored, person, kind)
    result = verify(built.path)
    assert result.ok, result.problems
    assert result.files == 6
    with zipfile.ZipFile(built.path) as archive:
        (stored.root / "summary.pdf").write_bytes(archive.read(SUMMARY_NAME))
        pasted_path = next(file.path for file in built.manifest.files if file.original_name == "tekst-4.txt")
        assert archive.read(pasted_path).decode() == pasted
    summary = stored.root / "summary.pdf"
    assert page_count(summary) > 20
    document = flat(text_of(summary))
    for item in stored.items:
        assert item.sha256 in document
    shown = free_texts(built.contents.case) | {"file name": stored.items[-1].original_name}  # as intake cleaned it
    assert len(shown) > 50
    for name, text in shown.items():
        assert flows_in(document, text) is not None, f"{name} is not all in the PDF"
    for marker in LEADER_NOTES:
        assert (marker in document) is (kind is PackageKind.FULL), marker
    assert layout_problems(summary) == []


async def test_a_colleague_who_reported_gets_only_what_they_uploaded(stored: Stored) -> None:
    stored.case = full_case(reporter=COLLEAGUE)
    built = await _build(stored, COLLEAGUE, PackageKind.POLICE)
    uploaders = {f.uploaded_by for f in built.manifest.files if f.path.startswith("evidence/")}
    assert uploaders == {COLLEAGUE.user_id}
    assert verify(built.path).ok


def _event(case: Case, action: str, detail: str) -> AuditEvent:
    return AuditEvent(
        case_id=case.case_id,
        at=NOW - timedelta(hours=1),
        actor_id=LEADER.user_id,
        role="leader",
        action=action,
        detail=detail,
    )


# --- delivery through Teams' file consent ---------------------------------------------------------------------------


def _turn(adapter: RecordingChannel, person: Person, activity_type: str = "message", **fields: Any) -> TurnContext:
    activity = Activity(
        type=activity_type,
        id="incoming-1",
        channel_id="msteams",
        service_url=SERVICE_URL,
        from_property=ChannelAccount(id=person.user_id, name=person.name, aad_object_id=person.aad_object_id),
        recipient=ChannelAccount(id="28:bot", name="Værn"),
        conversation=ConversationAccount(id=f"a:{person.user_id}", conversation_type="personal", tenant_id=TENANT),
        channel_data={"tenant": {"id": TENANT}},
        locale="da-DK",
        **fields,
    )
    return TurnContext(adapter, activity)


@pytest.fixture
async def packages(stored: Stored) -> AsyncIterator[CasePackages]:
    service = CasePackages(
        CaseRepository(stored.documents),
        stored.evidence,
        stored.audit,
        PackageOffers(stored.documents),
        EmptyDirectory(),
        MovableClock(NOW),
        folder=stored.root / "packages",
        crisis_line="89 70 12 99",
        upload_hosts=["127.0.0.1"],
        upload_allow_http=True,
        signer=TEST_SIGNER,
    )
    yield service
    await service.close()


async def test_a_tampered_evidence_file_is_logged_by_its_id_never_by_its_name(
    packages: CasePackages, stored: Stored, caplog: pytest.LogCaptureFixture
) -> None:
    item = stored.items[0]
    stored_file = stored.root / "evidence" / item.case_id / item.evidence_id
    stored_file.write_bytes(stored_file.read_bytes() + b"!")  # storage tampered with after the item was secured
    caplog.set_level(logging.INFO)
    adapter = RecordingChannel()
    await packages.on_command(_turn(adapter, EMPLOYEE, text="politipakke"), PackageCommand(PackageKind.POLICE))

    lines = [JsonFormatter().format(record) for record in caplog.records]
    refused = [line for line in lines if "does not match its record" in line]
    assert refused and item.evidence_id in refused[0]
    assert not [line for line in lines if item.original_name in line]  # a file's name may name a person


def _consent(adapter: RecordingChannel) -> dict[str, Any]:
    cards = [a for activity in adapter.sent for a in activity.attachments or [] if a.content_type == FILE_CONSENT_CARD]
    assert len(cards) == 1, [activity.text for activity in adapter.sent]
    return {"name": cards[0].name, **cards[0].content}


def _accept_value(consent: dict[str, Any], connector: ConnectorStub, upload_name: str) -> dict[str, Any]:
    return {
        "type": "fileUpload",
        "action": "accept",
        "context": consent["acceptContext"],
        "uploadInfo": {
            "contentUrl": f"https://contoso-my.sharepoint.com/personal/u/Documents/Applications/{upload_name}",
            "name": upload_name,
            "uploadUrl": connector.upload_url(upload_name),
            "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D",
            "fileType": "zip",
        },
    }


async def _ask(packages: CasePackages, person: Person) -> dict[str, Any]:
    adapter = RecordingChannel()
    await packages.on_command(_turn(adapter, person, text="politipakke"), PackageCommand(PackageKind.POLICE))
    return _consent(adapter)


async def test_the_employee_gets_the_police_package_through_the_file_consent_flow(
    packages: CasePackages, stored: Stored, connector: ConnectorStub
) -> None:
    consent = await _ask(packages, EMPLOYEE)
    assert consent["name"] == "Politipakke-VK-2026-0042.zip"
    assert set(consent["acceptContext"]) == {"package"} and consent["acceptContext"] == consent["declineContext"]
    assert consent["sizeInBytes"] > BIG_BYTES and "VK-2026-0042" in consent["description"]

    adapter = RecordingChannel()
    name = f"Politipakke-{os.urandom(4).hex()}.zip"
    turn = _turn(adapter, EMPLOYEE, "invoke", name="fileConsent/invoke", value=_accept_value(consent, connector, name))
    turn.activity.reply_to_id = "consent-card-1"
    response = await packages.on_file_consent(turn)
    assert response.status == 200

    uploads = connector.uploads(name)
    assert len(uploads) == 1
    uploaded = uploads[0].body
    assert len(uploaded) == consent["sizeInBytes"]
    assert uploads[0].headers["Content-Range"] == f"bytes 0-{len(uploaded) - 1}/{len(uploaded)}"
    package = stored.root / "uploaded.zip"
    package.write_bytes(uploaded)
    assert verify(package).ok
    info_cards = [
        a for activity in adapter.sent for a in activity.attachments or [] if a.content_type == FILE_INFO_CARD
    ]
    assert len(info_cards) == 1
    assert info_cards[0].content == {"uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D", "fileType": "zip"}
    assert info_cards[0].content_url.endswith(name) and info_cards[0].name == name
    assert [activity.id for activity in adapter.updated] == ["consent-card-1"]
    assert not list((stored.root / "packages").glob("*.zip"))  # delivered: the local copy is gone

    events = await stored.audit.events(stored.case.case_id)
    actions = [(event.action, event.actor_id, event.role) for event in events]
    assert ("package_built", EMPLOYEE.user_id, "subject") in actions
    assert ("package_delivered", EMPLOYEE.user_id, "subject") in actions
    [built] = [event.detail for event in events if event.action == "package_built"]
    with zipfile.ZipFile(package) as archive:
        manifest_sha256 = hashlib.sha256(archive.read(MANIFEST_NAME)).hexdigest()
    assert f"sha256={hashlib.sha256(uploaded).hexdigest()} " in built  # the package's own hash, as delivered
    assert f"manifest_sha256={manifest_sha256} signed_by={TEST_SIGNER.fingerprint} " in built

    again = RecordingChannel()
    replay = _turn(again, EMPLOYEE, "invoke", name="fileConsent/invoke", value=_accept_value(consent, connector, name))
    assert (await packages.on_file_consent(replay)).status == 200
    assert len(connector.uploads(name)) == 1  # delivered once, never twice
    assert "allerede" in again.sent[0].text


async def test_a_forged_accept_by_someone_else_uploads_nothing_and_is_audited(
    packages: CasePackages, stored: Stored, connector: ConnectorStub
) -> None:
    consent = await _ask(packages, EMPLOYEE)
    for intruder in (STRANGER, LEADER):
        adapter = RecordingChannel()
        name = f"forged-{os.urandom(4).hex()}.zip"
        value = _accept_value(consent, connector, name)
        response = await packages.on_file_consent(
            _turn(adapter, intruder, "invoke", name="fileConsent/invoke", value=value)
        )
        assert response.status == 200
        assert connector.uploads(name) == []
        assert [activity.text for activity in adapter.sent] == [TEXTS("package_chat.not_found")]
    events = await stored.audit.events(stored.case.case_id)
    refused = [event for event in events if event.action == "package_consent_refused"]
    assert {event.actor_id for event in refused} == {STRANGER.user_id, LEADER.user_id}
    assert list((stored.root / "packages").glob("*.zip"))  # still there for the employee


@pytest.mark.parametrize(
    "value",
    [
        None,
        "accept",
        {"action": "accept"},
        {"action": "accept", "context": {"package": "../../x"}},
        {"action": "accept", "context": {"package": "ab" * 16}},  # accept without uploadInfo
        {"action": "maybe", "context": {"package": "ab" * 16}},
    ],
)
async def test_a_malformed_consent_is_a_bad_request(packages: CasePackages, value: Any) -> None:
    adapter = RecordingChannel()
    response = await packages.on_file_consent(
        _turn(adapter, EMPLOYEE, "invoke", name="fileConsent/invoke", value=value)
    )
    assert response.status == 400 and adapter.sent == []


async def test_declining_deletes_the_package_and_says_so_kindly(packages: CasePackages, stored: Stored) -> None:
    consent = await _ask(packages, EMPLOYEE)
    adapter = RecordingChannel()
    value = {"type": "fileUpload", "action": "decline", "context": consent["declineContext"]}
    turn = _turn(adapter, EMPLOYEE, "invoke", name="fileConsent/invoke", value=value)
    turn.activity.reply_to_id = "consent-card-2"
    assert (await packages.on_file_consent(turn)).status == 200
    assert adapter.sent[-1].text == TEXTS("package_chat.declined")
    assert [activity.text for activity in adapter.updated] == [TEXTS("package_chat.declined_card")]
    assert not list((stored.root / "packages").glob("*.zip"))
    assert "package_declined" in [event.action for event in await stored.audit.events(stored.case.case_id)]


async def test_an_expired_offer_is_not_delivered(packages: CasePackages, connector: ConnectorStub) -> None:
    consent = await _ask(packages, EMPLOYEE)
    packages._clock.move_to(NOW + timedelta(days=2))  # type: ignore[attr-defined]
    adapter = RecordingChannel()
    name = f"late-{os.urandom(4).hex()}.zip"
    value = _accept_value(consent, connector, name)
    await packages.on_file_consent(_turn(adapter, EMPLOYEE, "invoke", name="fileConsent/invoke", value=value))
    assert connector.uploads(name) == []
    assert adapter.sent[-1].text == TEXTS("package_chat.expired")


async def test_a_package_lost_with_a_restart_is_built_again_on_accept(
    packages: CasePackages, stored: Stored, connector: ConnectorStub
) -> None:
    consent = await _ask(packages, EMPLOYEE)
    for path in (stored.root / "packages").glob("*.zip"):
        path.unlink()
    adapter = RecordingChannel()
    name = f"rebuilt-{os.urandom(4).hex()}.zip"
    value = _accept_value(consent, connector, name)
    await packages.on_file_consent(_turn(adapter, EMPLOYEE, "invoke", name="fileConsent/invoke", value=value))
    package = stored.root / "rebuilt.zip"
    package.write_bytes(connector.uploads(name)[0].body)
    assert verify(package).ok


async def test_a_stranger_asking_gets_no_case_and_no_package(packages: CasePackages, stored: Stored) -> None:
    adapter = RecordingChannel()
    await packages.on_command(_turn(adapter, STRANGER, text="politipakke"), PackageCommand(PackageKind.POLICE))
    assert [activity.text for activity in adapter.sent] == [TEXTS("package_chat.no_cases_police")]
    adapter = RecordingChannel()
    await packages.on_command(_turn(adapter, EMPLOYEE, text="sagspakke"), PackageCommand(PackageKind.FULL))
    assert [activity.text for activity in adapter.sent] == [TEXTS("package_chat.no_cases_full")]
    assert not (stored.root / "packages").exists() or not list((stored.root / "packages").glob("*.zip"))


async def test_the_leaders_card_button_offers_the_full_package_and_keeps_the_card(
    packages: CasePackages, stored: Stored
) -> None:
    adapter = RecordingChannel()
    value = {
        "action": {"type": "Action.Execute", "verb": "package", "data": {"case_id": stored.case.case_id, "version": 3}}
    }
    response = await packages.on_card_action(_turn(adapter, LEADER, "invoke", name="adaptiveCard/action", value=value))
    assert response.status == 200
    assert response.body["type"] == "application/vnd.microsoft.activity.message"
    assert _consent(adapter)["name"] == "Sagspakke-VK-2026-0042.zip"
    refused = await packages.on_card_action(
        _turn(RecordingChannel(), STRANGER, "invoke", name="adaptiveCard/action", value=value)
    )
    assert refused.body["statusCode"] == 403


async def test_large_packages_are_uploaded_in_content_range_fragments(tmp_path: Path, connector: ConnectorStub) -> None:
    data = os.urandom(3 * 327_680 + 1234)
    path = tmp_path / "big.zip"
    path.write_bytes(data)
    name = f"fragments-{os.urandom(4).hex()}.zip"
    async with aiohttp.ClientSession() as session:
        await upload_file(session, connector.upload_url(name), path, fragment_bytes=327_680)
    uploads = connector.uploads(name)
    assert [call.headers["Content-Range"] for call in uploads] == [
        f"bytes 0-327679/{len(data)}",
        f"bytes 327680-655359/{len(data)}",
        f"bytes 655360-983039/{len(data)}",
        f"bytes 983040-{len(data) - 1}/{len(data)}",
    ]
    assert b"".join(call.body for call in uploads) == data
