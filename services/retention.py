"""Retention and legal holds (GDPR art. 5(1)(e)): a closed case goes when its period ends, a draft that was never sent
goes after a short one with a notice to its author (or at once when its author deletes it), and a case under a legal
hold never goes (the rules:
domain/retention.py). What goes is everything stored about the case (storage/case_erasure.py); what stays is a
tombstone without personal data (storage/audit.py).

Deletion runs from the follow-up worker: each case's deletion is a job planned with its follow-ups
(services/follow_up_planner.py), so the worker's start-up sweep plans it for every stored case, and a due job
re-reads the case first (a hold placed since keeps it; lifting the hold plans a new job). `python -m bot.retention
--dry-run` lists what is due now and what a hold keeps; without --dry-run it deletes what is due (a backstop for a job
that was given up). HR places and lifts a hold with `LegalHolds` (the same verbs as a card's, audited).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from domain.authorization import Actor, owns_draft
from domain.case import Case, CaseStatus
from domain.clock import Clock
from domain.follow_ups import Job
from domain.leader_actions import Verb
from domain.retention import (
    DeletionRule,
    RetentionPolicy,
    Tombstone,
    deletion_due_at,
    deletion_rule,
    is_due,
    is_held,
    tombstone_for,
)
from domain.working_time import COPENHAGEN
from services.case_service import ActionOutcome, CaseActions, Result
from services.notifications import CaseNotifications, text_payload
from storage.audit import AuditLog
from storage.case_erasure import CaseErasure
from storage.cases import CaseRepository
from storage.ports import EvidenceStore, InvalidKey

log = logging.getLogger("vaern.retention")

MAX_STALE_RETRIES = 3
DRAFT_DELETED = "draft_deleted"  # the outbox kind of the notice to a draft's author


@dataclass(frozen=True)
class ReviewedCase:
    """A case whose retention period has ended: deleted now (`held` False), or kept by a legal hold."""

    case_id: str
    reference: str
    unit: str
    status: CaseStatus
    rule: DeletionRule
    due_at: datetime
    held: bool


def draft_notice_id(case: Case) -> str:
    """The notice's outbox id: not the case id's (`Outbox.forget_case` removes those), one per draft."""
    return f"retention-{case.case_id}.draft-deleted"


class Retention:
    def __init__(
        self,
        cases: CaseRepository,
        erasure: CaseErasure,
        audit: AuditLog,
        notifications: CaseNotifications,
        policy: RetentionPolicy,
        clock: Clock,
    ) -> None:
        self._cases = cases
        self._erasure = erasure
        self._audit = audit
        self._notifications = notifications
        self.policy = policy
        self._clock = clock

    async def handle(self, job: Job) -> bool:
        """A case's retention job came due: delete the case if it still is due; True if it was deleted."""
        current = await self._cases.get(job.case_id)
        if current is None or not is_due(current.case, self.policy, self._clock.now()):
            fields = {"job_id": job.id, "case_id": job.case_id, "held": current is not None and is_held(current.case)}
            log.info("retention: case not due (gone, open or held)", extra={"fields": fields})
            return False
        await self.delete(current.case)
        return True

    async def review(self) -> list[ReviewedCase]:
        """Every stored case whose period has ended, due now or held, oldest first (what `--dry-run` lists)."""
        now, found = self._clock.now(), list[ReviewedCase]()
        for case_id in await self._cases.list_ids():
            current = await self._cases.get(case_id)
            if current is None:
                continue
            case, rule = current.case, deletion_rule(current.case)
            due_at = deletion_due_at(case, self.policy)
            if rule is None or due_at is None or due_at > now:
                continue
            found.append(ReviewedCase(case_id, case.reference, case.unit, case.status, rule, due_at, is_held(case)))
        return sorted(found, key=lambda reviewed: reviewed.due_at)

    async def run(self) -> list[Tombstone]:
        """Delete every case that is due now; the tombstones of those deleted."""
        deleted: list[Tombstone] = []
        for reviewed in await self.review():
            current = await self._cases.get(reviewed.case_id)
            if current is not None and is_due(current.case, self.policy, self._clock.now()):
                deleted.append(await self.delete(current.case))
        return deleted

    async def delete_draft(self, actor: Actor, case_id: str) -> Tombstone | None:
        """The author deletes their own draft and its evidence at once; None when it is not their draft (anymore).
        The tombstone is the audit record (it keeps no personal data)."""
        try:
            current = await self._cases.get(case_id)
        except InvalidKey:
            return None
        if current is None or not owns_draft(current.case, actor):
            return None
        return await self.delete(current.case, DeletionRule.DRAFT_DELETED_BY_AUTHOR)

    async def delete(self, case: Case, rule: DeletionRule | None = None) -> Tombstone:
        """Tell a draft's author (when its period ended), delete everything about the case, keep its tombstone, then
        the case document (last: a run a crash stopped finds the case again; each step can be repeated)."""
        rule = rule or deletion_rule(case)
        if rule is None:
            raise ValueError(f"an open case is never deleted: {case.case_id}")
        if rule is DeletionRule.DRAFT:
            await self._tell_author(case)
        deleted = await self._erasure.erase(case)
        tombstone = tombstone_for(case, rule, self.policy, self._clock.now(), {"case": 1, **deleted})
        await self._audit.record_deletion(tombstone)
        await self._cases.delete(case.case_id)
        fields = {"case_id": case.case_id, "reference": case.reference, "rule": rule.value, "deleted": deleted}
        log.info("retention: case deleted", extra={"fields": fields})
        return tombstone

    async def _tell_author(self, case: Case) -> None:
        texts = self._notifications.texts(case.locale)
        kept_on = case.created_at.astimezone(COPENHAGEN)
        text = texts("retention.draft_deleted", date=kept_on.strftime("%d.%m.%Y"), days=self.policy.draft_days)
        await self._notifications.notify(
            draft_notice_id(case),
            case.reporter,
            DRAFT_DELETED,
            text_payload(text),
            tenant_id=case.tenant_id,
            service_url=case.service_url,
        )


class LegalHolds:
    """HR places and lifts a legal hold on a case, as a card's button does: authorized (HR with the case), stored
    with the case's etag, audited; then the leader's card is brought up to date and the deletion planned again."""

    def __init__(
        self, cases: CaseRepository, actions: CaseActions, notifications: CaseNotifications, evidence: EvidenceStore
    ) -> None:
        self._cases = cases
        self._actions = actions
        self._notifications = notifications
        self._evidence = evidence

    async def place(self, actor: Actor, case_id: str, reason: str, correlation_id: str) -> ActionOutcome:
        return await self._hold(actor, Verb.LEGAL_HOLD, case_id, reason, correlation_id)

    async def lift(self, actor: Actor, case_id: str, reason: str, correlation_id: str) -> ActionOutcome:
        return await self._hold(actor, Verb.LIFT_LEGAL_HOLD, case_id, reason, correlation_id)

    async def _hold(self, actor: Actor, verb: Verb, case_id: str, reason: str, correlation_id: str) -> ActionOutcome:
        """On the case as it is now (no card to be stale: a change in between is read again, a few times)."""
        outcome = ActionOutcome(Result.STALE)
        for _ in range(MAX_STALE_RETRIES):
            current = await self._cases.get(case_id)
            version = current.case.version if current is not None else 0
            values = {"hold_reason": reason}
            outcome = await self._actions.perform(actor, verb, case_id, values, version, correlation_id)
            if outcome.result is not Result.STALE:
                break
        if outcome.result is Result.DONE and outcome.case is not None:
            evidence = await self._evidence.list_items(case_id)
            await self._notifications.after_action(outcome.case, verb, evidence)
        return outcome
