"""Finish what a crash interrupted: a card action is saved with the case (`Case.last_change`), and only then are
its audit entry written and its people told. A process killed between the two leaves a changed case without
either; at start-up the worker's case sweep (services/case_sweep.py) completes them for recently changed cases.
Both steps are idempotent (the audit entry's id is the case version, the messages' outbox ids are too), so
completing what was already done changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from domain.audit import SYSTEM_ROLE
from domain.case import Case
from domain.clock import Clock
from services.case_service import change_event_id
from services.notifications import CaseNotifications
from storage.audit import AuditLog
from storage.ports import EvidenceStore

RECENT = timedelta(days=7)


class UnfinishedActions:
    def __init__(
        self,
        evidence: EvidenceStore,
        audit: AuditLog,
        notifications: CaseNotifications,
        clock: Clock,
    ) -> None:
        self._evidence = evidence
        self._audit = audit
        self._notifications = notifications
        self._clock = clock

    async def complete(self, case: Case) -> bool:
        """Write the audit entry and send the messages of the case's last action if it is recent (again, if they
        were done already: both are idempotent); True if there was one to complete."""
        change = case.last_change
        # Værn's own changes (role system) are finished by the follow-up job that made them.
        if change is None or change.role == SYSTEM_ROLE or change.at < self._clock.now() - RECENT:
            return False
        await self._audit.append(change, event_id=change_event_id(case))
        evidence = await self._evidence.list_items(case.case_id)
        await self._notifications.after_action(case, change.action, evidence)
        return True
