"""Evidence immutability per blob: a filed case's evidence cannot be changed or deleted
before the earliest date the case could be deleted, and a legal hold in Værn holds its evidence in Azure as well.

The rule (until when, never shorter, none for a draft) is domain/retention.py's `evidence_immutable_until`; the
storage backend sets it on every evidence blob of the case (`storage.ports.EvidenceProtection`: Azure's version-level
immutability policy and legal hold). It runs as a job the follow-up planner plans whenever the case's expiry, its
evidence or its holds change (`domain.retention.immutability_job`), so a failed call is tried again and the worker's
start-up sweep catches up on every case. Only with EVIDENCE_IMMUTABILITY unlocked or locked.
"""

from __future__ import annotations

import logging

from domain.follow_ups import Job
from domain.retention import EvidenceImmutability, RetentionPolicy, evidence_immutable_until, is_held
from storage.cases import CaseRepository
from storage.ports import EvidenceProtection

log = logging.getLogger("vaern.evidence_immutability")


class EvidenceImmutabilityService:
    def __init__(
        self,
        cases: CaseRepository,
        evidence: EvidenceProtection,
        policy: RetentionPolicy,
        mode: EvidenceImmutability,
    ) -> None:
        if mode is EvidenceImmutability.NONE:
            raise ValueError("evidence immutability is off (EVIDENCE_IMMUTABILITY=none)")
        self._cases = cases
        self._evidence = evidence
        self._policy = policy
        self._locked = mode is EvidenceImmutability.LOCKED

    async def handle(self, job: Job) -> bool:
        """Bring the case's evidence to its expiry and hold as the case is now; True if the case still exists."""
        current = await self._cases.get(job.case_id)
        if current is None:
            log.info("evidence immutability: case gone", extra={"fields": {"job_id": job.id}})
            return False
        case = current.case
        until = evidence_immutable_until(case, self._policy)
        extended = await self._evidence.protect_case(case.case_id, until, locked=self._locked) if until else 0
        held = is_held(case)
        changed_holds = await self._evidence.hold_case(case.case_id, held) if case.handling.legal_holds else 0
        fields = {
            "case_id": case.case_id,
            "until": until.isoformat() if until else None,
            "extended": extended,
            "held": held,
            "holds_changed": changed_holds,
        }
        log.info("evidence immutability set", extra={"fields": fields})
        return True
