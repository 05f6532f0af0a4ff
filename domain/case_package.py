"""The case package (issue 7): what goes into it for whom, and how its files are fingerprinted.

Two kinds for one case (and a third, `SUBJECT_ACCESS`, that holds several cases in full, one folder each, for HR
answering a data subject request: domain.subject_requests):
  * `FULL` — the whole record for leadership and for journalisering in the municipality's ESDH system
    (offentlighedsloven § 15): the incident, all evidence, every action with the leader's notes, and an extract
    of the audit log. For the case's leader, deputy and (once the case is escalated) HR.
  * `POLICE` — what the employee takes to politi.dk: the incident, the evidence and the actions, but none of
    leadership's own notes (offender-contact outcomes, the HR message, the work environment conclusion, the
    closing reasons with why a duty was not done, why the case was reopened), no HR escalation or work
    environment review at all, and no audit log. It mirrors what the employee's status card already shows them.

Who may ask (need-to-know, `domain.authorization`):
  * leader / deputy / escalated HR → FULL (and POLICE, to help the employee report; it is a subset of FULL);
  * the employee the case is about (subject) → POLICE;
  * a colleague who reported on the employee's behalf and is not the subject → POLICE cut to their own share:
    only the evidence they uploaded themselves (as `can_read_evidence` allows), the incident as they reported
    it, and no police or SafetyNet records nor first-aid details (their status card hides those too). The police
    report itself is the employee's to make; this lets the colleague hand over what they secured, e.g. when the
    employee is not on Teams;
  * anyone else, and everyone for a draft (a report that was never sent) → nothing.

Rectifications (notes appended to correct the record) go into every kind: a correction follows the data it corrects.

Every package is cut to its scope in one place, `package_contents`, which redacts a copy of the case; the PDF
and the manifest are made only from that copy, so a note can't leak through a forgotten branch.

The manifest lists every file with its SHA-256, size, content type, server receive time and uploader, and who
signs it (`signed_by`: the organisation and its key's fingerprint); manifest.json.sig is the Ed25519 signature
of manifest.json's exact bytes by the organisation's key (storage.package_signing), so the hashes cannot be
recomputed by anyone else. SHA256SUMS repeats the hashes (plus the manifest's own) in the format `sha256sum -c`
reads.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from domain.audit import AuditEvent
from domain.authorization import Actor, Role, acting_role, roles_on
from domain.case import Case, CaseStatus, Person
from domain.evidence import EvidenceItem
from domain.file_offer import OFFER_ID, FileOffer
from domain.handling import FirstAid, HrResponse, Signed

MANIFEST_NAME = "manifest.json"
SHA256SUMS_NAME = "SHA256SUMS"
SUMMARY_NAME = "summary.pdf"
SIGNATURE_NAME = "manifest.json.sig"  # the raw 64-byte Ed25519 signature of manifest.json
SIGNATURE_ALGORITHM = "Ed25519"
EVIDENCE_FOLDER = "evidence"
MANIFEST_FORMAT = "vaern-case-package/2"  # 2: signed (`signed_by`, manifest.json.sig)
GENERATOR = "vaern"  # `uploaded_by` of the files the bot makes itself (summary.pdf)
_NAME_LIMIT = 80
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

# File name extensions for the evidence types we accept (domain.evidence.ALLOWED_CONTENT_TYPES), used when an
# original name has none. A fixed table: `mimetypes` reads the machine's own files and differs between hosts.
EXTENSIONS: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/avif": ".avif",
    "image/bmp": ".bmp",
    "image/tiff": ".tif",
    "application/pdf": ".pdf",
    "message/rfc822": ".eml",
    "application/vnd.ms-outlook": ".msg",
    "text/plain": ".txt",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/ogg": ".ogg",
    "audio/x-wav": ".wav",
    "audio/amr": ".amr",
    "audio/x-flac": ".flac",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/3gpp": ".3gp",
    "video/webm": ".webm",
    "video/x-m4v": ".m4v",
}


class PackageKind(StrEnum):
    FULL = "full"
    POLICE = "police"
    SUBJECT_ACCESS = "subject_access"  # everything about one person across cases (domain.subject_requests)


class PackageNotAllowed(Exception):
    """The actor may not have this kind of package of this case (or the case is a draft)."""


@dataclass(frozen=True)
class PackageScope:
    """What one package may hold, decided from the requester's role on the case."""

    kind: PackageKind
    role: Role
    leader_notes: bool  # offender-contact outcomes, HR message, work environment conclusion, closing/reopening reasons
    internal_handling: bool  # the HR escalation and the work environment review as entries at all
    police_and_safetynet: bool
    first_aid: bool
    audit: bool
    evidence_of: str | None = None  # only evidence uploaded by this Teams user id; None: all of it

    def includes(self, item: EvidenceItem) -> bool:
        return self.evidence_of is None or item.uploaded_by == self.evidence_of


def allowed_kinds(case: Case, actor: Actor) -> frozenset[PackageKind]:
    """The kinds of package this actor may ask for (empty: none, and they learn nothing)."""
    if case.status is CaseStatus.DRAFT:
        return frozenset()
    if acting_role(case, actor) is not None:
        return frozenset({PackageKind.FULL, PackageKind.POLICE})
    if roles_on(case, actor) & {Role.SUBJECT, Role.REPORTER}:
        return frozenset({PackageKind.POLICE})
    return frozenset()


def package_scope(case: Case, actor: Actor, kind: PackageKind) -> PackageScope:
    """The scope of `kind` for this actor; raises PackageNotAllowed when they may not have it."""
    if kind not in allowed_kinds(case, actor):
        raise PackageNotAllowed(kind.value)
    leadership = acting_role(case, actor)
    if kind is PackageKind.FULL and leadership is not None:
        return PackageScope(
            kind=kind,
            role=leadership,
            leader_notes=True,
            internal_handling=True,
            police_and_safetynet=True,
            first_aid=True,
            audit=True,
        )
    roles = roles_on(case, actor)
    if leadership is not None or Role.SUBJECT in roles:
        role = leadership or Role.SUBJECT
        return PackageScope(
            kind=kind,
            role=role,
            leader_notes=False,
            internal_handling=False,
            police_and_safetynet=True,
            first_aid=True,
            audit=False,
        )
    return PackageScope(  # a colleague who reported on the employee's behalf: their own share only
        kind=kind,
        role=Role.REPORTER,
        leader_notes=False,
        internal_handling=False,
        police_and_safetynet=False,
        first_aid=False,
        audit=False,
        evidence_of=actor.person.user_id,
    )


def redacted(case: Case, scope: PackageScope) -> Case:
    """A copy of the case holding only what the scope allows; the original is left as it is."""
    copy = case.model_copy(deep=True)
    handling = copy.handling
    if not scope.leader_notes:
        handling.offender_contacts = [
            contact.model_copy(update={"outcome": ""}) for contact in handling.offender_contacts
        ]
        if handling.closure is not None:
            handling.closure = handling.closure.model_copy(update={"reason": "", "duty_reasons": []})
        handling.reopenings = [
            reopening.model_copy(
                update={
                    "reason": "",
                    "closure": reopening.closure.model_copy(update={"reason": "", "duty_reasons": []})
                    if reopening.closure
                    else None,
                }
            )
            for reopening in handling.reopenings
        ]
        if handling.hr_escalation is not None:
            handling.hr_escalation = handling.hr_escalation.model_copy(update={"message": ""})
        review = handling.work_environment
        if review is not None and review.analysis is not None:
            analysis = review.analysis.model_copy(update={"causes": "", "measures": "", "plan_change_text": ""})
            handling.work_environment = review.model_copy(update={"analysis": analysis})
        handling.hr_response.advice = []
    if not scope.internal_handling:
        handling.hr_escalation = None
        handling.work_environment = None
        handling.hr_response = HrResponse()
        handling.absence = None
        handling.check_ins = []
        handling.check_ins_stopped = None
    if not scope.audit:
        copy.last_change = None
    if not scope.police_and_safetynet:
        handling.police = None
        handling.safetynet = None
    if not scope.first_aid:
        handling.first_aid = FirstAid()
    return copy


# --- the timeline of actions ------------------------------------------------------------------------------


class TimelineEvent(StrEnum):
    REPORTED = "reported"
    ACKNOWLEDGED = "acknowledged"
    FIRST_AID = "first_aid"
    OFFENDER_CONTACTED = "offender_contacted"
    RESTRICTIONS = "restrictions"
    REMOVAL = "removal"
    POLICE = "police"
    SAFETYNET = "safetynet"
    HR_ESCALATION = "hr_escalation"
    WORK_ENVIRONMENT = "work_environment"
    WORK_ENVIRONMENT_ANALYSIS = "work_environment_analysis"
    CLOSED = "closed"
    REOPEN_ASKED = "reopen_asked"
    REOPENED = "reopened"


@dataclass(frozen=True)
class TimelineEntry:
    """One recorded step: when (server time), who, what, and the record itself (from a redacted case)."""

    at: datetime
    event: TimelineEvent
    by: str
    by_name: str
    record: Signed | FirstAid | None = None


def timeline(case: Case) -> list[TimelineEntry]:
    """The case's steps in time order. Give it a redacted case: it shows whatever the case holds."""
    h = case.handling
    entries = [TimelineEntry(case.created_at, TimelineEvent.REPORTED, case.reporter.user_id, case.reporter.name)]

    def add(event: TimelineEvent, signed: Signed | None, record: Signed | FirstAid | None = None) -> None:
        if signed is not None:
            entries.append(TimelineEntry(signed.at, event, signed.by, signed.by_name, record or signed))

    add(TimelineEvent.ACKNOWLEDGED, h.acknowledged)
    add(TimelineEvent.FIRST_AID, h.first_aid.recorded, h.first_aid)
    for contact in h.offender_contacts:
        add(TimelineEvent.OFFENDER_CONTACTED, contact)
    add(TimelineEvent.RESTRICTIONS, h.restrictions)
    for removal in h.removals:
        add(TimelineEvent.REMOVAL, removal)
    add(TimelineEvent.POLICE, h.police)
    add(TimelineEvent.SAFETYNET, h.safetynet)
    add(TimelineEvent.HR_ESCALATION, h.hr_escalation)
    if h.work_environment is not None:
        add(TimelineEvent.WORK_ENVIRONMENT, h.work_environment.sent)
        add(TimelineEvent.WORK_ENVIRONMENT_ANALYSIS, h.work_environment.analysis)
    for asked in h.reopen_requests:
        add(TimelineEvent.REOPEN_ASKED, asked)
    for reopening in h.reopenings:
        add(TimelineEvent.CLOSED, reopening.closure)
        add(TimelineEvent.REOPENED, reopening)
    add(TimelineEvent.CLOSED, h.closure)
    return sorted(entries, key=lambda entry: entry.at)


# --- what one package holds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageContents:
    """Everything a package shows, already cut to its scope: the PDF and manifest are made from this alone."""

    scope: PackageScope
    case: Case  # redacted
    evidence: tuple[EvidenceItem, ...]
    audit: tuple[AuditEvent, ...]
    requested_by: Person
    generated_at: datetime

    @property
    def timeline(self) -> list[TimelineEntry]:
        return timeline(self.case)

    @property
    def reference(self) -> str:
        return self.case.reference or self.case.case_id[:8]

    def uploader_name(self, user_id: str) -> str:
        """The name of whoever uploaded an item, as the case knows them (the id when it does not)."""
        for person in (self.case.subject, self.case.reporter, self.case.leader, self.case.deputy):
            if person is not None and person.user_id == user_id and person.name:
                return person.name
        return user_id

    def evidence_paths(self) -> list[str]:
        """Where each evidence item goes in the zip, in the order of `evidence`."""
        return [evidence_path(index, len(self.evidence), item) for index, item in enumerate(self.evidence, 1)]


def package_contents(
    case: Case,
    evidence: Iterable[EvidenceItem],
    audit: Iterable[AuditEvent],
    scope: PackageScope,
    *,
    requested_by: Person,
    generated_at: datetime,
) -> PackageContents:
    items = sorted((item for item in evidence if item.case_id == case.case_id and scope.includes(item)), key=_arrival)
    events = sorted(audit, key=lambda event: event.at) if scope.audit else []
    return PackageContents(
        scope=scope,
        case=redacted(case, scope),
        evidence=tuple(items),
        audit=tuple(events),
        requested_by=requested_by,
        generated_at=generated_at,
    )


def _arrival(item: EvidenceItem) -> tuple[datetime, str]:
    return item.received_at, item.evidence_id


# --- file names in the zip --------------------------------------------------------------------------------


def safe_file_name(original_name: str, content_type: str) -> str:
    """A name any unzip tool and `sha256sum -c` can use: letters (æøå too), digits and . _ - ( ) +, no path.

    Keeps the extension; adds the content type's when the original has none.
    """
    cleaned = _clean(original_name.replace("\\", "/").rsplit("/", 1)[-1])
    stem, dot, extension = cleaned.rpartition(".")
    if not dot or not stem or not extension or len(extension) > 10:
        stem, extension = cleaned, ""
    stem = stem[:_NAME_LIMIT].rstrip("._") or "evidence"
    suffix = f".{extension.lower()}" if extension else EXTENSIONS.get(content_type, ".bin")
    return stem + suffix


def _clean(name: str) -> str:
    kept = "".join(ch if ch.isalnum() or ch in "._-()+" else "_" for ch in unicodedata.normalize("NFC", name))
    return re.sub(r"_+", "_", kept).strip("._ ")


def evidence_path(position: int, count: int, item: EvidenceItem) -> str:
    """evidence/<nn>-<safe original name>; the number keeps names unique and in arrival order."""
    width = max(2, len(str(count)))
    return f"{EVIDENCE_FOLDER}/{position:0{width}d}-{safe_file_name(item.original_name, item.content_type)}"


def package_file_name(reference: str, kind: PackageKind, language: str) -> str:
    """What the requester's OneDrive file is called, e.g. Sagspakke-VK-2026-0001.zip."""
    words = {
        "da": {"full": "Sagspakke", "police": "Politipakke", "subject_access": "Indsigtspakke"},
        "en": {"full": "Case-package", "police": "Police-package", "subject_access": "Subject-access-package"},
    }
    word = words.get(language, words["da"])[kind.value]
    return f"{word}-{_clean(reference)[:_NAME_LIMIT] or 'sag'}.zip"


# --- manifest and SHA256SUMS ------------------------------------------------------------------------------


class ManifestFile(BaseModel):
    path: str
    sha256: str
    size: int
    content_type: str
    received_at: datetime  # server receive time (UTC) of evidence; the generation time of summary.pdf
    uploaded_by: str  # Teams user id; "vaern" for files the bot made
    uploaded_by_name: str = ""
    original_name: str
    evidence_id: str | None = None


class ManifestSigner(BaseModel):
    """Who signs the manifest: the organisation running Værn, by the key with this fingerprint."""

    organisation: str
    algorithm: Literal["Ed25519"] = SIGNATURE_ALGORITHM
    public_key_sha256: str = Field(pattern=_SHA256.pattern)  # SHA-256 of the public key's DER SubjectPublicKeyInfo
    signature_file: Literal["manifest.json.sig"] = SIGNATURE_NAME


class Manifest(BaseModel):
    format: Literal["vaern-case-package/2"] = MANIFEST_FORMAT
    kind: PackageKind
    case_id: str
    case_reference: str
    generated_at: datetime
    requested_by: str
    requested_by_name: str = ""
    requested_role: str
    hash_algorithm: Literal["sha256"] = "sha256"
    signed_by: ManifestSigner
    files: list[ManifestFile] = Field(default_factory=list[ManifestFile])

    def to_bytes(self) -> bytes:
        return (self.model_dump_json(indent=2) + "\n").encode("utf-8")


class ManifestCase(BaseModel):
    """One case in a package of several: its folder in the ZIP and where it names the person asked about."""

    case_id: str
    case_reference: str
    folder: str
    found_as: list[str]


class ManifestSubject(BaseModel):
    """Who a data subject package is about, as HR named them."""

    name: str
    aad_object_id: str | None = None


class SubjectManifest(Manifest):
    """A data subject package's manifest: `case_id` and `case_reference` are empty, `cases` lists what it holds."""

    subject: ManifestSubject
    cases: list[ManifestCase] = Field(default_factory=list[ManifestCase])


def case_folder(position: int, reference: str) -> str:
    """Where one case of a package of several goes: cases/<nn>-<reference>/."""
    return f"cases/{position:02d}-{_clean(reference)[:_NAME_LIMIT] or 'sag'}/"


def evidence_manifest_file(contents: PackageContents, item: EvidenceItem, path: str) -> ManifestFile:
    return ManifestFile(
        path=path,
        sha256=item.sha256,
        size=item.size,
        content_type=item.content_type,
        received_at=item.received_at,
        uploaded_by=item.uploaded_by,
        uploaded_by_name=contents.uploader_name(item.uploaded_by),
        original_name=item.original_name,
        evidence_id=item.evidence_id,
    )


def generated_manifest_file(path: str, sha256: str, size: int, content_type: str, at: datetime) -> ManifestFile:
    return ManifestFile(
        path=path,
        sha256=sha256,
        size=size,
        content_type=content_type,
        received_at=at,
        uploaded_by=GENERATOR,
        uploaded_by_name="Værn",
        original_name=path,
    )


def new_manifest(contents: PackageContents, files: Sequence[ManifestFile], signed_by: ManifestSigner) -> Manifest:
    return Manifest(
        signed_by=signed_by,
        kind=contents.scope.kind,
        case_id=contents.case.case_id,
        case_reference=contents.reference,
        generated_at=contents.generated_at,
        requested_by=contents.requested_by.user_id,
        requested_by_name=contents.requested_by.name,
        requested_role=contents.scope.role.value,
        files=list(files),
    )


def sha256sums_text(entries: Iterable[tuple[str, str]]) -> str:
    """`<hash>  <path>` lines (two spaces: text mode), as GNU `sha256sum -c SHA256SUMS` reads them."""
    lines: list[str] = []
    for sha256, path in entries:
        if not _SHA256.match(sha256) or not path or "\n" in path or "\\" in path:
            raise ValueError(f"not a SHA256SUMS entry: {sha256!r} {path!r}")
        lines.append(f"{sha256}  {path}\n")
    return "".join(lines)


def sha256sums_for(manifest: Manifest, manifest_sha256: str) -> str:
    """Every file of the manifest, then manifest.json itself, so a changed manifest is caught too."""
    return sha256sums_text([*((f.sha256, f.path) for f in manifest.files), (manifest_sha256, MANIFEST_NAME)])


# --- the offer made through the file consent card ---------------------------------------------------------


class PackageOffer(FileOffer):
    """A built package waiting for its requester to accept it. The consent card carries only `package_id`."""

    package_id: str = Field(pattern=OFFER_ID.pattern)
    case_id: str
    case_reference: str
    kind: PackageKind

    @property
    def offer_id(self) -> str:
        return self.package_id
