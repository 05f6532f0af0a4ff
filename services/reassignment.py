"""HR gives a case to another leader from the Overblik tab's register: the card's own action (Verb.HR_REASSIGN
through CaseActions), so the same rules decide (domain.leader_actions: HR whose function the case reached, a written
reason, exactly one person from the directory, not the employee and not the leader it has) and the same people are
told (CaseNotifications.after_action: the new leader gets the case's card, the one before and the employee a message).

A typed name that means nobody or several people changes nothing: the answer carries the directory's candidates,
and HR chooses one by object id, which is looked up again in the directory for that name (never a guess). The tab
has no card version: the action runs on the case as it is now, read again a few times if it changes in between.
Every refusal is recorded with who tried (CaseActions for a case that exists, here for an id that names none).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.authorization import Actor
from domain.clock import Clock
from domain.leader_actions import Verb
from services.case_service import FORBIDDEN, ActionOutcome, CaseActions, Result
from services.notifications import CaseNotifications
from services.refused_access import RefusedAccess
from services.roles import Directory, leaders_named
from storage.audit import AuditLog
from storage.cases import CaseRepository
from storage.ports import EvidenceStore

MAX_STALE_RETRIES = 3
NEEDS_A_CHOICE = frozenset({"leader_not_found", "leader_ambiguous"})


@dataclass(frozen=True)
class Candidate:
    """Someone the typed name may mean, as the directory knows them."""

    aad_object_id: str
    name: str
    unit: str


@dataclass(frozen=True)
class Reassigned:
    outcome: ActionOutcome
    candidates: tuple[Candidate, ...] = ()  # when the name meant nobody or several people


class Reassignment:
    def __init__(
        self,
        cases: CaseRepository,
        actions: CaseActions,
        notifications: CaseNotifications,
        evidence: EvidenceStore,
        directory: Directory,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._refused = RefusedAccess(audit, clock)
        self._cases = cases
        self._actions = actions
        self._notifications = notifications
        self._evidence = evidence
        self._directory = directory

    async def reassign(
        self, actor: Actor, case_id: str, leader_name: str, reason: str, chosen: str | None, correlation_id: str
    ) -> Reassigned:
        """Give the case to the leader the name (and, when several match, the chosen object id) means."""
        values = {"leader_name": leader_name, "reassign_reason": reason, "leader_aad_object_id": chosen or ""}
        outcome = ActionOutcome(Result.STALE)
        for _ in range(MAX_STALE_RETRIES):
            current = await self._cases.named(case_id)
            if current is None:  # unknown, or a forged id: nothing to learn, and the attempt is recorded
                await self._refused.record(actor, Verb.HR_REASSIGN.value, case_id, None, "unknown_case", correlation_id)
                return Reassigned(FORBIDDEN)
            outcome = await self._actions.perform(
                actor, Verb.HR_REASSIGN.value, case_id, values, current.version, correlation_id
            )
            if outcome.result is not Result.STALE:
                break
        if outcome.result is Result.DONE and outcome.case is not None:
            evidence = await self._evidence.list_items(case_id)
            await self._notifications.after_action(outcome.case, Verb.HR_REASSIGN.value, evidence)
        if outcome.result is Result.INVALID and outcome.reason in NEEDS_A_CHOICE:
            return Reassigned(outcome, self.candidates(leader_name))
        return Reassigned(outcome)

    def candidates(self, leader_name: str) -> tuple[Candidate, ...]:
        """The people the name may mean, as leaders of their units (services.roles.leaders_named)."""
        return tuple(
            Candidate(found.leader.aad_object_id, found.leader.name, found.unit.name)
            for found in leaders_named(self._directory, leader_name)
        )
