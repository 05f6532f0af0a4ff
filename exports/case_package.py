"""Build a case package on disk: a ZIP with summary.pdf, the evidence files byte for byte, manifest.json, its
signature by the organisation's key (manifest.json.sig, storage.package_signing) and SHA256SUMS (what goes in for
whom is `domain.case_package`'s decision). A data subject package holds several cases the same way, each in its own
folder (cases/<nn>-<reference>/), under one signed manifest.

Evidence is streamed from the store into the ZIP uncompressed (ZIP_STORED: never recompressed or changed), and
each file's SHA-256 and size are checked while it is copied: a stored file that no longer matches what was
recorded when it arrived means the storage was tampered with or damaged, and the package is refused
(`EvidenceIntegrityError`) rather than handed out with a manifest that would vouch for the wrong bytes.

The ZIP is written to a temporary file beside the destination and renamed into place when complete, so large
packages never sit in memory and a half-written package is never seen.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from content import Texts
from domain.case import Case, Person
from domain.case_package import (
    MANIFEST_NAME,
    SHA256SUMS_NAME,
    SIGNATURE_NAME,
    SUMMARY_NAME,
    Manifest,
    ManifestCase,
    ManifestFile,
    ManifestSubject,
    PackageContents,
    PackageKind,
    PackageScope,
    SubjectManifest,
    case_folder,
    evidence_manifest_file,
    generated_manifest_file,
    new_manifest,
    package_contents,
    sha256sums_for,
)
from domain.evidence import EvidenceItem
from domain.reporting import DEFAULT_TIMEZONE
from domain.subject_requests import subject_scope
from exports.case_summary_pdf import render_case_summary
from storage.audit import AuditLog
from storage.package_signing import PackageSigner
from storage.ports import EvidenceStore
from storage.private_files import make_private_folder, open_private

HASH_CHUNK = 1024 * 1024


class EvidenceIntegrityError(Exception):
    """A stored evidence file does not match the SHA-256 and size recorded when it was received."""

    def __init__(self, item: EvidenceItem, actual_sha256: str, actual_size: int, reason: str = "") -> None:
        self.item = item
        self.actual_sha256 = actual_sha256
        self.actual_size = actual_size
        self.reason = reason or "content changed"
        super().__init__(
            f"evidence {item.evidence_id} ({item.original_name!r}) of case {item.case_id}: {self.reason}; "
            f"recorded sha256 {item.sha256} size {item.size}, stored sha256 {actual_sha256} size {actual_size}"
        )


def integrity_fields(error: EvidenceIntegrityError) -> dict[str, str]:
    """What an operator's log says of a mismatch: ids and the reason, never the file's name (it may name someone)."""
    return {"case_id": error.item.case_id, "evidence_id": error.item.evidence_id, "reason": error.reason}


@dataclass(frozen=True)
class BuiltPackage:
    path: Path
    size: int
    sha256: str  # of the ZIP itself, recorded in the audit log
    manifest: Manifest
    manifest_sha256: str  # of manifest.json's bytes, the ones signed
    contents: PackageContents

    @property
    def evidence_ids(self) -> list[str]:
        return [item.evidence_id for item in self.contents.evidence]


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    local = moment.astimezone(DEFAULT_TIMEZONE)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


def _member(name: str, moment: datetime, compression: int, size: int | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_zip_time(moment))
    info.compress_type = compression
    info.external_attr = 0o644 << 16
    if size is not None:
        info.file_size = size  # lets zipfile choose ZIP64 up front for files over 4 GiB
    return info


async def build_package(
    case: Case,
    evidence: EvidenceStore,
    audit: AuditLog,
    scope: PackageScope,
    texts: Texts,
    *,
    requested_by: Person,
    generated_at: datetime,
    destination: Path,
    signer: PackageSigner,
) -> BuiltPackage:
    """Write the package for `scope` to `destination` (a .zip path; its folder is created)."""
    contents = await _contents(case, evidence, audit, scope, requested_by, generated_at)

    async def write(archive: zipfile.ZipFile) -> Manifest:
        files = await _write_case(archive, contents, evidence, texts)
        return new_manifest(contents, files, signer.signed_by)

    (manifest, manifest_sha256), sha256, size = await _written(destination, write, signer, generated_at)
    return BuiltPackage(
        path=destination,
        size=size,
        sha256=sha256,
        manifest=manifest,
        manifest_sha256=manifest_sha256,
        contents=contents,
    )


@dataclass(frozen=True)
class BuiltSubjectPackage:
    """A data subject package: one folder per case, one manifest for all, signed as a case package is."""

    path: Path
    size: int
    sha256: str
    manifest: SubjectManifest
    manifest_sha256: str
    evidence_ids: dict[str, list[str]]  # case id → the evidence of that case in the package


async def build_subject_package(
    cases: Sequence[tuple[Case, Sequence[str]]],
    subject: ManifestSubject,
    evidence: EvidenceStore,
    audit: AuditLog,
    texts: Texts,
    *,
    requested_by: Person,
    generated_at: datetime,
    destination: Path,
    signer: PackageSigner,
) -> BuiltSubjectPackage:
    """Write every case (with where it names the person) into one ZIP at `destination`, one case at a time:
    cases/<nn>-<reference>/summary.pdf and its evidence/, then manifest.json listing all of them, its signature
    and SHA256SUMS. An evidence file that no longer matches its record refuses the whole package."""
    scope = subject_scope()
    evidence_ids: dict[str, list[str]] = {}

    async def write(archive: zipfile.ZipFile) -> SubjectManifest:
        files: list[ManifestFile] = []
        listed: list[ManifestCase] = []
        for position, (case, found) in enumerate(cases, 1):
            contents = await _contents(case, evidence, audit, scope, requested_by, generated_at)
            folder = case_folder(position, contents.reference)
            files += await _write_case(archive, contents, evidence, texts, folder)
            evidence_ids[case.case_id] = [item.evidence_id for item in contents.evidence]
            listed.append(
                ManifestCase(case_id=case.case_id, case_reference=contents.reference, folder=folder, found_as=[*found])
            )
        return SubjectManifest(
            kind=PackageKind.SUBJECT_ACCESS,
            case_id="",
            case_reference="",
            generated_at=generated_at,
            requested_by=requested_by.user_id,
            requested_by_name=requested_by.name,
            requested_role=scope.role.value,
            signed_by=signer.signed_by,
            files=files,
            subject=subject,
            cases=listed,
        )

    (manifest, manifest_sha256), sha256, size = await _written(destination, write, signer, generated_at)
    return BuiltSubjectPackage(destination, size, sha256, manifest, manifest_sha256, evidence_ids)


async def _contents(
    case: Case,
    evidence: EvidenceStore,
    audit: AuditLog,
    scope: PackageScope,
    requested_by: Person,
    generated_at: datetime,
) -> PackageContents:
    items = await evidence.list_items(case.case_id)
    events = await audit.events(case.case_id) if scope.audit else []
    return package_contents(case, items, events, scope, requested_by=requested_by, generated_at=generated_at)


async def _written[M: Manifest](
    destination: Path,
    write: Callable[[zipfile.ZipFile], Awaitable[M]],
    signer: PackageSigner,
    at: datetime,
) -> tuple[tuple[M, str], str, int]:
    """Write a ZIP through a temporary file beside `destination`: the files (`write`), then the manifest it returns,
    signed, and SHA256SUMS; renamed into place when complete. The manifest, its SHA-256, the ZIP's SHA-256 and size."""
    make_private_folder(destination.parent)
    partial = destination.with_name(f".part-{uuid.uuid4().hex}-{destination.name}")
    try:
        handle = await asyncio.to_thread(open_private, partial)
        try:
            archive = zipfile.ZipFile(handle, "w", allowZip64=True)
            try:
                manifest = await write(archive)
                manifest_sha256 = await _seal(archive, manifest, signer, at)
            finally:
                await asyncio.to_thread(archive.close)
            await asyncio.to_thread(_flush, handle)
        finally:
            await asyncio.to_thread(handle.close)
        sha256, size = await asyncio.to_thread(_hash_file, partial)
        await asyncio.to_thread(os.replace, partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return (manifest, manifest_sha256), sha256, size


async def _write_case(
    archive: zipfile.ZipFile, contents: PackageContents, evidence: EvidenceStore, texts: Texts, folder: str = ""
) -> list[ManifestFile]:
    """One case's summary.pdf and evidence files, under `folder` (empty: the ZIP's top); their manifest entries."""
    at = contents.generated_at
    files: list[ManifestFile] = []
    pdf = await asyncio.to_thread(render_case_summary, contents, texts)
    summary = folder + SUMMARY_NAME
    await asyncio.to_thread(archive.writestr, _member(summary, at, zipfile.ZIP_STORED), pdf)
    files.append(generated_manifest_file(summary, hashlib.sha256(pdf).hexdigest(), len(pdf), "application/pdf", at))
    for item, path in zip(contents.evidence, contents.evidence_paths(), strict=True):
        await _copy_evidence(archive, evidence, item, folder + path)
        files.append(evidence_manifest_file(contents, item, folder + path))
    return files


async def _seal(archive: zipfile.ZipFile, manifest: Manifest, signer: PackageSigner, at: datetime) -> str:
    """manifest.json, its signature by the organisation's key, and SHA256SUMS; the manifest's SHA-256."""
    manifest_bytes = manifest.to_bytes()
    manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    signature = signer.sign(manifest_bytes)  # the exact bytes written below
    sums = sha256sums_for(manifest, manifest_sha256).encode("utf-8")
    await asyncio.to_thread(archive.writestr, _member(MANIFEST_NAME, at, zipfile.ZIP_DEFLATED), manifest_bytes)
    await asyncio.to_thread(archive.writestr, _member(SIGNATURE_NAME, at, zipfile.ZIP_STORED), signature)
    await asyncio.to_thread(archive.writestr, _member(SHA256SUMS_NAME, at, zipfile.ZIP_DEFLATED), sums)
    return manifest_sha256


async def _copy_evidence(archive: zipfile.ZipFile, evidence: EvidenceStore, item: EvidenceItem, path: str) -> None:
    """Stream one stored file into the ZIP unchanged, checking its recorded SHA-256 and size on the way."""
    digest, size = hashlib.sha256(), 0
    member = _member(path, item.received_at, zipfile.ZIP_STORED, item.size)
    target = await asyncio.to_thread(archive.open, member, "w")
    try:
        async for chunk in evidence.read(item.case_id, item.evidence_id):
            digest.update(chunk)
            size += len(chunk)
            if size > item.size:
                raise EvidenceIntegrityError(item, digest.hexdigest(), size, "stored file is longer than recorded")
            await asyncio.to_thread(target.write, chunk)
    except FileNotFoundError as error:
        raise EvidenceIntegrityError(item, "", size, "stored file is missing") from error
    finally:
        await asyncio.to_thread(target.close)
    if size != item.size or digest.hexdigest() != item.sha256:
        raise EvidenceIntegrityError(item, digest.hexdigest(), size)


def _flush(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
