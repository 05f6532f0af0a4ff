"""The arbejdsmiljøgruppe's use cases (the Overblik tab): the cases of their units sent to the group, each as its
anonymised summary with the group's analysis if recorded, and recording that analysis.

Who is in which unit's group comes from the directory (services.roles.actor_in); what a member may see and do from
domain.authorization.may_analyse (rows: domain.overview.group_sees). The list comes from the overview's case table
(the units' rows sent to the group); only those cases are read, for their summaries. Every list is recorded in the
overview's audit log, every analysis on the case's own log (its version's event, `Case.last_change`, so a crash
before the audit entry or the messages is completed by services/unfinished_actions.py), every refusal with who tried.

A recorded analysis goes on like any action on the case (`CaseNotifications.after_action`): the leader's card is
updated in place and says "behandlet", the leader is told, and the follow-ups are planned again: the group's
reminder ends, and a decided change of the beredskabsplan queues its revision (services/plan_reminders.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from domain.audit import AuditEvent
from domain.authorization import Actor, may_analyse
from domain.case import Case
from domain.clock import Clock
from domain.handling import WorkEnvironmentAnalysis
from domain.leader_actions import InvalidCommand, NotAllowed
from domain.overview import group_sees
from domain.work_environment import ANALYSIS_ACTION, AnonymisedSummary, anonymised_summary, record_analysis
from services.case_service import change_event_id
from services.notifications import CaseNotifications
from services.overview import plausible_case_id
from services.refused_access import RefusedAccess
from storage.audit import AuditLog
from storage.cases import MAX_CONFLICT_RETRIES, CaseRepository
from storage.ports import CaseTable, EvidenceStore, PreconditionFailed

GROUP_ROLE = "work_environment_group"  # the audit role of a group member (not a role on the case)
LIST_ACTION = "overview_work_environment"


class GroupRefusal(Enum):
    NOT_IN_A_GROUP = "not_in_a_group"
    NO_CASE = "no_case"  # unknown, or not theirs: they learn nothing


@dataclass(frozen=True)
class GroupCase:
    """One case as the group sees it."""

    case_id: str
    reference: str
    unit: str
    sent_at: datetime
    summary: AnonymisedSummary
    analysis: WorkEnvironmentAnalysis | None


def group_case(case: Case) -> GroupCase | None:
    review = case.handling.work_environment
    if review is None:
        return None
    summary = anonymised_summary(case)
    return GroupCase(case.case_id, case.reference, case.unit, review.sent.at, summary, review.analysis)


class WorkEnvironmentGroup:
    def __init__(
        self,
        table: CaseTable,
        cases: CaseRepository,
        evidence: EvidenceStore,
        audit: AuditLog,
        notifications: CaseNotifications,
        clock: Clock,
    ) -> None:
        self._table = table
        self._cases = cases
        self._evidence = evidence
        self._audit = audit
        self._notifications = notifications
        self._clock = clock
        self._refused = RefusedAccess(audit, clock)

    async def cases(self, actor: Actor, correlation_id: str) -> list[GroupCase] | GroupRefusal:
        """The cases of the actor's units sent to their group, the ones waiting for the analysis first, newest
        first within each; GroupRefusal.NOT_IN_A_GROUP for someone in no unit's group."""
        if not actor.work_environment_units or not actor.person.aad_object_id:
            await self._refused.record(actor, LIST_ACTION, None, None, "no_role", correlation_id)
            return GroupRefusal.NOT_IN_A_GROUP
        rows = await self._table.rows(actor.tenant_id or "", actor.work_environment_units)
        found: list[GroupCase] = []
        for row in rows:
            current = await self._cases.get(row.case_id) if group_sees(row, actor) else None
            shown = group_case(current.case) if current is not None and may_analyse(current.case, actor) else None
            if shown is not None:
                found.append(shown)
        found.sort(key=lambda c: c.sent_at, reverse=True)
        found.sort(key=lambda c: c.analysis is not None)
        shown_ids = " ".join(c.case_id for c in found)
        await self._audit.append_overview_read(self._event("", actor, LIST_ACTION, correlation_id, shown_ids))
        return found

    async def record(
        self, actor: Actor, case_id: str, data: Any, correlation_id: str
    ) -> GroupCase | GroupRefusal | InvalidCommand:
        """Record the group's analysis on the case (once), with an etag retry; then the leader's card, the leader's
        message and the follow-ups (`after_action`). GroupRefusal.NO_CASE for a case that is unknown or not the
        actor's group's; the InvalidCommand (with the field) for input that does not do."""
        for _ in range(MAX_CONFLICT_RETRIES):
            current = await self._cases.get(case_id) if plausible_case_id(case_id) else None
            if current is None:
                await self._refused.record(actor, ANALYSIS_ACTION, case_id, None, "no_role", correlation_id)
                return GroupRefusal.NO_CASE
            try:
                changed = record_analysis(current.case, data, actor, self._clock.now())
            except NotAllowed:
                await self._refused.record(actor, ANALYSIS_ACTION, case_id, current.case, "no_role", correlation_id)
                return GroupRefusal.NO_CASE
            except InvalidCommand as invalid:
                return invalid
            changed.last_change = self._event(changed.case_id, actor, ANALYSIS_ACTION, correlation_id)
            try:
                await self._cases.replace(changed, current.etag)
            except PreconditionFailed:
                continue
            await self._audit.append(changed.last_change, event_id=change_event_id(changed))
            evidence = await self._evidence.list_items(changed.case_id)
            await self._notifications.after_action(changed, ANALYSIS_ACTION, evidence)
            shown = group_case(changed)
            assert shown is not None  # just recorded
            return shown
        raise PreconditionFailed(case_id)

    def _event(self, case_id: str, actor: Actor, action: str, correlation_id: str, detail: str = "") -> AuditEvent:
        return AuditEvent.by(
            actor.person,
            actor.tenant_id,
            case_id=case_id,
            at=self._clock.now(),
            role=GROUP_ROLE,
            action=action,
            correlation_id=correlation_id,
            detail=detail,
        )
