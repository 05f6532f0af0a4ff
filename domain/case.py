"""The harassment case as the guideline describes it: what happened, to whom, by whom, and its evidence."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.audit import AuditEvent
from domain.evidence import EvidenceItem
from domain.handling import Handling
from domain.person import Person


class HarassmentKind(StrEnum):
    """Kinds of online harassment named in the guideline ("Hvad er digitale krænkelser")."""

    THREATS = "threats"
    MOCKERY = "mockery"
    ACCUSATIONS = "accusations"
    PRIVATE_INFORMATION = "private_information"
    DEGRADING_REMARKS = "degrading_remarks"
    HATE_GROUP = "hate_group"
    FAKE_PROFILE = "fake_profile"
    REPEATED_CONTACT = "repeated_contact"


class Channel(StrEnum):
    """Where the harassment happened."""

    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    X = "x"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    LINKEDIN = "linkedin"
    SNAPCHAT = "snapchat"
    TRUSTPILOT = "trustpilot"
    GOOGLE_REVIEW = "google_review"
    WEB_PAGE = "web_page"
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    OTHER = "other"


class OffenderRelation(StrEnum):
    """How the offender relates to the workplace."""

    CITIZEN = "citizen"
    RELATIVE = "relative"
    PARENT = "parent"
    OTHER = "other"
    UNKNOWN = "unknown"


class CaseStatus(StrEnum):
    """Where a case stands. A draft is a report the employee stopped before sending; its evidence is kept."""

    DRAFT = "draft"
    REPORTED = "reported"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class Offender(BaseModel):
    """What the employee knows of the offender. Only leadership contacts them."""

    name: str = ""
    profile: str = ""
    relation: OffenderRelation = OffenderRelation.UNKNOWN

    @property
    def is_known(self) -> bool:
        return bool(self.name or self.profile)


class Witness(BaseModel):
    """Someone who saw the harassment, with a phone number to reach them."""

    name: str
    phone: str = ""


class Impact(BaseModel):
    """How the incident affects the employee right now: 1 (fine) to 5 (very hard)."""

    score: int = Field(ge=1, le=5)
    text: str = ""

    @property
    def is_strong(self) -> bool:
        return self.score >= 4


class Incident(BaseModel):
    """The facts of one incident: what, where, when, who (the guideline's notat- og journaliseringspligt)."""

    urgent: bool = False
    kinds: list[HarassmentKind] = Field(default_factory=list[HarassmentKind])
    during_work_hours: bool | None = None
    colleagues_targeted: bool | None = None
    channel: Channel | None = None
    occurred_at: datetime | None = None
    description: str = ""
    offender: Offender = Field(default_factory=Offender)
    links: list[str] = Field(default_factory=list[str])
    witnesses: list[Witness] = Field(default_factory=list[Witness])
    impact: Impact | None = None


class Rectification(BaseModel):
    """A correction of the record, appended beside it (GDPR art. 16): the record and its evidence stay as they were,
    and the note travels with the case into every view and package. Who wrote it, in which role, and when."""

    at: datetime
    by: str
    by_name: str = ""
    by_aad_object_id: str | None = None
    role: str
    text: str


class Case(BaseModel):
    """One reported case. The subject is the harassed employee; the reporter may be a colleague."""

    case_id: str
    reference: str = ""
    status: CaseStatus = CaseStatus.REPORTED
    subject: Person
    reporter: Person
    incident: Incident
    evidence: list[EvidenceItem] = Field(default_factory=list[EvidenceItem])
    created_at: datetime
    locale: str = "da"
    tenant_id: str | None = None
    service_url: str = ""
    unit: str = ""
    unit_id: str = ""
    leader: Person | None = None
    deputy: Person | None = None
    handling: Handling = Field(default_factory=Handling)
    # References of the subject's closed cases that name the same offender, found when this one was filed
    # (domain/closing.py): leadership may reopen one of them instead.
    same_offender_closed: list[str] = Field(default_factory=list[str])
    same_offender_closed_ids: list[str] = Field(default_factory=list[str])  # their case ids, in the same order
    version: int = 1
    # Corrections appended by HR or leadership (domain.subject_requests); never edited or removed.
    rectifications: list[Rectification] = Field(default_factory=list[Rectification])
    # The action that made this version, saved with it: its audit entry and messages can be completed after a
    # crash between saving the case and writing them (services/unfinished_actions.py).
    last_change: AuditEvent | None = None

    @property
    def reported_on_behalf(self) -> bool:
        return self.subject.user_id != self.reporter.user_id
