"""Finish what a crash interrupted: a card action is saved with the case (`Case.last_change`), and only then are
its audit entry written and its people told. A process killed between the two leaves a changed case without
either; at start-up the worker's sweep completes them for recently changed open cases. Both steps are
idempotent (the audit entry's id is the case version, the messages' outbox ids are too), so completing what
was already done changes nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.case_notifications import CaseNotifications
from bot.case_service import change_event_id
from domain.audit import SYSTEM_ROLE
from domain.clock import Clock
from storage.audit import AuditLog
from storage.cases import CaseRepository
from storage.ports import EvidenceStore

log = logging.getLogger("vaern.cases")

RECENT = timedelta(days=7)


class UnfinishedActions:
    def __init__(
        self,
        cases: CaseRepository,
        evidence: EvidenceStore,
        audit: AuditLog,
        notifications: CaseNotifications,
        clock: Clock,
    ) -> None:
        self._cases = cases
        self._evidence = evidence
        self._audit = audit
        self._notifications = notifications
        self._clock = clock

    async def sweep(self) -> int:
        """Complete the audit entry and messages of the last action on each recently changed case."""
        since, completed = self._clock.now() - RECENT, 0
        for case_id in await self._cases.list_ids():
            try:
                current = await self._cases.get(case_id)
                case = current.case if current is not None else None
                change = case.last_change if case is not None else None
                # Værn's own changes (role system) are finished by the follow-up job that made them.
                if case is None or change is None or change.role == SYSTEM_ROLE or change.at < since:
                    continue
                await self._audit.append(change, event_id=change_event_id(case))
                evidence = await self._evidence.list_items(case.case_id)
                await self._notifications.after_action(case, change.action, evidence)
                completed += 1
            except Exception:
                log.exception("could not complete a case's last action", extra={"fields": {"case_id": case_id}})
        return completed
