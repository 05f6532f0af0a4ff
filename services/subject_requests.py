"""Data subject requests: HR exports everything held about a person across cases as one signed package, and
leadership or HR appends rectifications to a case.

The export (HR's function for data subject requests, domain.authorization) finds the cases that name the person
(domain.subject_requests) and writes them into one package (exports.case_package.build_subject_package). Finding
them reads the tenant's case documents one at a time and keeps only the ids that match: witness and offender names
are free text no index holds (the person index, storage.case_index, knows only subjects and reporters by id), so a
name can only be found by reading each case. The scan reads READ_AT_ONCE cases at a time and keeps only those that
match, never all of them. Each case in
the package gets a `subject_export` event on its own log (counted as an opening in who saw the case,
domain.access_log), and the request itself an entry in the overview's log with the case ids, found or not. A
refused request is recorded with who tried (services.refused_access).

A rectification is stored with the case's etag (read again on a conflict) and audited as `rectification`; the
case's version stays, since the record itself did not change (leadership's cards are not made stale by a note).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from content import Texts
from domain.access_log import SUBJECT_EXPORT
from domain.audit import AuditEvent
from domain.authorization import Actor, in_tenant, may_answer_subject_requests, rectification_role
from domain.case import Case, Rectification
from domain.case_package import ManifestSubject
from domain.clock import Clock
from domain.subject_requests import MAX_RECTIFICATIONS, DataSubject, FoundAs, found_as, rectification_text
from exports.case_package import BuiltSubjectPackage, EvidenceIntegrityError, build_subject_package, integrity_fields
from services.refused_access import RefusedAccess
from storage.audit import AuditLog
from storage.cases import CaseRepository
from storage.package_signing import PackageSigner
from storage.ports import EvidenceStore, PreconditionFailed

log = logging.getLogger("vaern.subject_requests")

READ_AT_ONCE = 16  # case documents read together while scanning: storage round trips overlap, memory stays small

SUBJECT_REQUEST = "subject_request"  # the request on the overview's log
RECTIFICATION = "rectification"


class SubjectRefusal(Enum):
    NOT_ALLOWED = "not_allowed"  # not HR's function for data subject requests
    INTEGRITY = "integrity_failed"  # a stored evidence file no longer matches its record
    FAILED = "failed"  # the package could not be built (logged)
    NO_TEXT = "no_text"  # a rectification without a usable text
    TOO_MANY = "too_many"  # the case has as many rectifications as it may hold


@dataclass(frozen=True)
class Match:
    case: Case
    found_as: frozenset[FoundAs]


class SubjectRequests:
    def __init__(
        self, cases: CaseRepository, evidence: EvidenceStore, audit: AuditLog, clock: Clock, signer: PackageSigner
    ) -> None:
        self._signer = signer
        self._cases = cases
        self._evidence = evidence
        self._audit = audit
        self._clock = clock
        self._refused = RefusedAccess(audit, clock)

    async def find(self, actor: Actor, subject: DataSubject) -> list[Match]:
        """The actor's tenant's cases that name the person, oldest first (read one at a time)."""
        found: list[Match] = []
        case_ids = await self._cases.list_ids()
        for start in range(0, len(case_ids), READ_AT_ONCE):
            batch = case_ids[start : start + READ_AT_ONCE]
            for current in await asyncio.gather(*(self._cases.get(case_id) for case_id in batch)):
                if current is None or not in_tenant(current.case, actor):
                    continue
                where = found_as(current.case, subject)
                if where:
                    found.append(Match(current.case, where))
        return sorted(found, key=lambda match: (match.case.created_at, match.case.case_id))

    async def export(
        self,
        actor: Actor,
        subject: DataSubject,
        texts: Texts,
        package_id: str,
        destination: Path,
        correlation_id: str,
    ) -> BuiltSubjectPackage | SubjectRefusal:
        """One package of every case that names the person (none found: a package that says so, signed too)."""
        if not may_answer_subject_requests(actor):
            await self._refused.record(actor, SUBJECT_REQUEST, None, None, "no_role", correlation_id)
            return SubjectRefusal.NOT_ALLOWED
        started = time.perf_counter()
        matches = await self.find(actor, subject)
        ids = " ".join(match.case.case_id for match in matches) or "-"
        await self._audit.append_overview_read(
            self._event("", actor, SUBJECT_REQUEST, correlation_id, f"package={package_id} cases={ids}")
        )
        try:
            built = await build_subject_package(
                [(match.case, sorted(match.found_as)) for match in matches],
                ManifestSubject(name=subject.name, aad_object_id=subject.aad_object_id),
                self._evidence,
                self._audit,
                texts,
                requested_by=actor.person,
                generated_at=self._clock.now(),
                destination=destination,
                signer=self._signer,
            )
        except EvidenceIntegrityError as error:
            fields = {"package_id": package_id} | integrity_fields(error)
            log.error("subject package refused: stored evidence does not match its record", extra={"fields": fields})
            return SubjectRefusal.INTEGRITY
        except Exception:
            log.exception("subject package could not be built", extra={"fields": {"package_id": package_id}})
            return SubjectRefusal.FAILED
        for match in matches:
            where = ",".join(sorted(match.found_as))
            evidence = ",".join(built.evidence_ids.get(match.case.case_id, [])) or "-"
            detail = (
                f"kind=subject_access package={package_id} sha256={built.sha256} found_as={where} "
                f"cases={len(matches)} evidence={evidence}"
            )
            await self._audit.append(self._event(match.case.case_id, actor, SUBJECT_EXPORT, correlation_id, detail))
        log.info(
            "subject package built",
            extra={
                "fields": {
                    "package_id": package_id,
                    "cases": len(matches),
                    "bytes": built.size,
                    "seconds": round(time.perf_counter() - started, 3),
                }
            },
        )
        return built

    async def rectify(
        self, actor: Actor, case_id: str, text: object, correlation_id: str
    ) -> Rectification | SubjectRefusal | None:
        """Append a rectification: the note, SubjectRefusal.NO_TEXT / TOO_MANY, or None for a case that is not
        there or not the actor's to correct (they learn nothing)."""
        note = rectification_text(text)
        if note is None:
            return SubjectRefusal.NO_TEXT
        case = await self._cases.named(case_id)
        role = rectification_role(case, actor) if case is not None else None
        if case is None or role is None:
            await self._refused.record(actor, RECTIFICATION, case_id, case, "no_role", correlation_id)
            return None
        person = actor.person
        added = Rectification(
            at=self._clock.now(),
            by=person.user_id,
            by_name=person.name,
            by_aad_object_id=person.aad_object_id,
            role=role.value,
            text=note,
        )

        def append(current: Case) -> Case:
            if len(current.rectifications) >= MAX_RECTIFICATIONS:
                raise _Full
            current.rectifications.append(added)
            return current

        try:
            saved = await self._cases.update(case.case_id, append)
        except _Full:
            return SubjectRefusal.TOO_MANY
        except (KeyError, PreconditionFailed):
            return None
        number = len(saved.rectifications)
        detail = f"rectification={number} chars={len(note)}"
        await self._audit.append(self._event(case.case_id, actor, RECTIFICATION, correlation_id, detail, role.value))
        return added

    def _event(
        self, case_id: str, actor: Actor, action: str, correlation_id: str, detail: str, role: str = "hr"
    ) -> AuditEvent:
        return AuditEvent.by(
            actor.person,
            actor.tenant_id,
            case_id=case_id,
            at=self._clock.now(),
            role=role,
            action=action,
            correlation_id=correlation_id,
            detail=detail,
        )


class _Full(Exception):
    """The case holds MAX_RECTIFICATIONS already."""
