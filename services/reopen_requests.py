"""The employee asks whoever holds their closed case to reopen it (a new report named the same offender; the
receipt's "Bed om at genåbne sagen"). The request is a case action (`Verb.ASK_REOPEN`, domain.leader_actions: only
the case's own employee, only a closed case with someone holding it, once per closure), authorized, stored and
audited by `CaseActions`; its holder (domain.responsibility) then gets a message and the case's card, which reopens
it (`Verb.REOPEN`). Asking again sends nothing new. The answer says truthfully what came of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.authorization import Actor
from domain.case import Case
from domain.leader_actions import Verb
from domain.responsibility import Holder, holder
from services.case_service import CaseActions, Result
from services.notifications import CaseNotifications
from services.refused_access import RefusedAccess
from storage.cases import CaseRepository
from storage.ports import EvidenceStore


class Asked(StrEnum):
    """What came of the ask (the values name the employee's texts in content's [reopen_request])."""

    ASKED_LEADER = "asked_leader"
    ASKED_HR = "asked_hr"
    ALREADY_ASKED = "already_asked"
    CASE_OPEN = "case_open"
    NOBODY = "nobody"
    NOT_FOUND = "not_found"


_REFUSALS = {"already_asked": Asked.ALREADY_ASKED, "case_open": Asked.CASE_OPEN, "nobody_holds": Asked.NOBODY}


@dataclass(frozen=True)
class ReopenAnswer:
    asked: Asked
    case: Case | None = None
    asked_at: datetime | None = None  # when it was asked (ASKED_*, ALREADY_ASKED)


class ReopenRequests:
    def __init__(
        self,
        cases: CaseRepository,
        actions: CaseActions,
        notifications: CaseNotifications,
        evidence: EvidenceStore,
        refusals: RefusedAccess,
    ) -> None:
        self._cases = cases
        self._actions = actions
        self._notifications = notifications
        self._evidence = evidence
        self._refusals = refusals

    async def ask(self, actor: Actor, case_id: object, correlation_id: str) -> ReopenAnswer:
        """Ask the holder of the actor's own closed case `case_id` (a button's value: anyone's to forge) to reopen
        it. Anyone but its employee, and an id that names no case, get NOT_FOUND (the refusal is recorded)."""
        case = await self._cases.named(case_id)
        if case is None:
            await self._refusals.record(actor, Verb.ASK_REOPEN, case_id, None, "unknown_case", correlation_id)
            return ReopenAnswer(Asked.NOT_FOUND)
        outcome = await self._actions.perform(actor, Verb.ASK_REOPEN, case.case_id, {}, case.version, correlation_id)
        if outcome.result is Result.DONE and outcome.case is not None:
            done = outcome.case
            await self._notifications.after_action(done, Verb.ASK_REOPEN, await self._evidence.list_items(done.case_id))
            asked = done.handling.reopen_asked()
            kind = Asked.ASKED_LEADER if holder(done) is Holder.LEADER else Asked.ASKED_HR
            return ReopenAnswer(kind, done, asked.at if asked else None)
        refused = _REFUSALS.get(outcome.reason) if outcome.result is Result.INVALID else None
        if refused is None or outcome.case is None:
            return ReopenAnswer(Asked.NOT_FOUND)
        asked = outcome.case.handling.reopen_asked()
        return ReopenAnswer(refused, outcome.case, asked.at if asked else None)
