"""Data subject requests (GDPR art. 15 access, art. 16 rectification): who a request is about, where a case names
that person, and what a rectification may say.

Finding a person, never by guessing:
  * as the employee or the reporter: by Azure AD object id when the case knows theirs; then a request must give
    the same id (a namesake with another id is someone else). A case person without an id (a colleague named in an
    on-behalf report) and any request without an id are matched by name;
  * as a witness or the offender: by name, the whole name equal after normalising (case, spaces, hyphens and
    punctuation, accents; æ/ä → ae, ø/ö → oe, å → aa, so "Søren Ågård" is "Soeren Aagaard");
  * in the incident's description or the employee's own words: the whole normalised name as whole words, and only
    for a name of two words or more (one first name in free text would pull in everyone of that name).
Never a prefix or part of a name: "Jens Hansen" is not "Jens Hansensen", nor "Jens".

The export holds every case that names the person, in full (the record, all evidence, the actions with leadership's
notes, the audit log), for HR to answer the request from; drafts too, since they are held. A rectification is a
note appended beside the record (domain.case.Rectification), never a change to it or to the evidence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from domain.authorization import Role
from domain.case import Case, Person
from domain.case_package import PackageKind, PackageScope

MIN_NAME_CHARS = 2
MAX_NAME_CHARS = 200
MAX_OBJECT_ID_CHARS = 64
MIN_RECTIFICATION_CHARS = 10
MAX_RECTIFICATION_CHARS = 2000
MAX_RECTIFICATIONS = 100  # per case: a note is a correction, not a conversation
_FOLDED = str.maketrans({"æ": "ae", "ä": "ae", "ø": "oe", "ö": "oe", "å": "aa"})
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_OBJECT_ID = re.compile(r"^[0-9A-Za-z-]+$")


class FoundAs(StrEnum):
    """Where a case names the person."""

    EMPLOYEE = "employee"
    REPORTER = "reporter"
    WITNESS = "witness"
    OFFENDER = "offender"
    DESCRIPTION = "description"


def normalised_name(text: str) -> str:
    """A name as it is compared: lower case, Danish letters folded, accents dropped, words separated by one space."""
    folded = unicodedata.normalize("NFC", text).casefold().translate(_FOLDED)
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", plain).split())


@dataclass(frozen=True)
class DataSubject:
    """The person a request is about: the name HR gave, and their Azure AD object id when they are an employee."""

    name: str
    aad_object_id: str | None = None

    @property
    def key(self) -> str:
        return normalised_name(self.name)


def data_subject(name: object, aad_object_id: object = None) -> DataSubject | None:
    """The person asked about, from what HR typed; None when the name is not a name (too short or long, not text)
    or the object id is not one."""
    if not isinstance(name, str) or len(name) > MAX_NAME_CHARS:
        return None
    cleaned = " ".join(name.split())
    if len(normalised_name(cleaned)) < MIN_NAME_CHARS:
        return None
    if aad_object_id in (None, ""):
        return DataSubject(cleaned)
    if not isinstance(aad_object_id, str) or len(aad_object_id) > MAX_OBJECT_ID_CHARS:
        return None
    oid = aad_object_id.strip()
    return DataSubject(cleaned, oid) if _OBJECT_ID.match(oid) else None


def _is_person(person: Person, subject: DataSubject) -> bool:
    if person.aad_object_id and subject.aad_object_id:
        return person.aad_object_id == subject.aad_object_id
    return bool(person.name) and normalised_name(person.name) == subject.key


def _named(name: str, subject: DataSubject) -> bool:
    return bool(name) and normalised_name(name) == subject.key


def _mentioned(text: str, subject: DataSubject) -> bool:
    key = subject.key
    if not text or " " not in key:
        return False
    return f" {key} " in f" {normalised_name(text)} "


def found_as(case: Case, subject: DataSubject) -> frozenset[FoundAs]:
    """Where this case names the person (empty: it does not)."""
    incident = case.incident
    found: set[FoundAs] = set()
    if _is_person(case.subject, subject):
        found.add(FoundAs.EMPLOYEE)
    if _is_person(case.reporter, subject) and case.reporter.user_id != case.subject.user_id:
        found.add(FoundAs.REPORTER)
    if any(_named(witness.name, subject) for witness in incident.witnesses):
        found.add(FoundAs.WITNESS)
    if _named(incident.offender.name, subject):
        found.add(FoundAs.OFFENDER)
    impact_text = incident.impact.text if incident.impact else ""
    if _mentioned(incident.description, subject) or _mentioned(impact_text, subject):
        found.add(FoundAs.DESCRIPTION)
    return frozenset(found)


def subject_scope() -> PackageScope:
    """Each case of a data subject export, in full: HR answers the request from it and decides what to hand out."""
    return PackageScope(
        kind=PackageKind.SUBJECT_ACCESS,
        role=Role.HR,
        leader_notes=True,
        internal_handling=True,
        police_and_safetynet=True,
        first_aid=True,
        audit=True,
    )


def rectification_text(text: object) -> str | None:
    """The note, trimmed (its line breaks kept), when it says something (MIN_ to MAX_RECTIFICATION_CHARS)."""
    if not isinstance(text, str):
        return None
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    note = "\n".join(lines)
    return note if MIN_RECTIFICATION_CHARS <= len(note) <= MAX_RECTIFICATION_CHARS else None
