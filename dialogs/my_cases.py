"""'Mine sager': the employee (the case's subject) and a colleague who reported on someone's behalf (only the
cases they reported) list their cases and open one case's status. One turn each, no dialog state.

Cases are found through the CaseIndex only (never a scan of every case); each one found is checked again
with domain.authorization, so the index can never show a case to someone without a role on it. Asking for a case
one has no role on (or that does not exist) is recorded with who tried (services/refused_access.py). The employee
(the subject) also sees who opened their case, from its audit log (domain.access_log decides what counts). A draft is
deleted by its author only, after one question (services/retention.py keeps the tombstone). The employee asks for
their closed case to be reopened from the receipt of a new report about the same offender
(services/reopen_requests.py) and is told what came of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from cards.markdown import escape_markdown
from cards.my_cases import (
    CASE_STATUS_COMMAND,
    MAX_LISTED,
    CaseEntry,
    case_detail_card,
    delete_draft_card,
    my_cases_card,
)
from content import Texts, texts_for
from dialogs.add_evidence import can_add_evidence
from dialogs.identity import person_of, tenant_of
from dialogs.turn import Turn
from domain.access_log import AccessEntry, newest, who_opened
from domain.authorization import Actor, Role, owns_draft, roles_on
from domain.case import Case, CaseStatus
from domain.reporting import DEFAULT_TIMEZONE
from services.logging_setup import correlation_id
from services.notifications import own_refresh_user_ids
from services.refused_access import RefusedAccess
from services.reopen_requests import Asked, ReopenRequests
from storage.audit import AuditLog
from storage.case_index import CaseIndex
from storage.cases import CaseRepository
from storage.ports import EvidenceStore

DeleteDraft = Callable[[Actor, str], Awaitable[object | None]]  # the author deletes their draft; None: not theirs
LOOKBACK = 2 * MAX_LISTED  # the newest ids read from the index; a few may be gone or not the person's


def viewer_role(case: Case, actor: Actor) -> Role | None:
    """SUBJECT when the case is about the actor, else REPORTER when they reported it; None for anyone else
    (leadership reads cases from their own cards, not from 'Mine sager')."""
    roles = roles_on(case, actor)
    if Role.SUBJECT in roles:
        return Role.SUBJECT
    if Role.REPORTER in roles:
        return Role.REPORTER
    return None


class MyCases:
    def __init__(
        self,
        cases: CaseRepository,
        index: CaseIndex,
        evidence: EvidenceStore,
        crisis_line: str,
        next_check_in: Callable[[Case], date | None] = lambda _: None,
        refusals: RefusedAccess | None = None,
        audit: AuditLog | None = None,
        delete_draft: DeleteDraft | None = None,
        reopen_requests: ReopenRequests | None = None,
    ) -> None:
        self._reopen_requests = reopen_requests
        self._audit = audit
        self._cases = cases
        self._delete_draft = delete_draft
        self._refusals = refusals
        self._next_check_in = next_check_in
        self._index = index
        self._evidence = evidence
        self._crisis_line = crisis_line

    async def cases_of(self, actor: Actor) -> list[CaseEntry]:
        """The actor's own cases, newest first, at most MAX_LISTED; drafts carry their evidence count."""
        case_ids = (await self._index.case_ids_for(actor.person))[-LOOKBACK:]
        found = await asyncio.gather(*(self._case(case_id) for case_id in case_ids))
        entries: list[CaseEntry] = []
        for case in found:
            role = viewer_role(case, actor) if case is not None else None
            if case is None or role is None:
                continue
            count = len(await self._evidence.list_items(case.case_id)) if case.status is CaseStatus.DRAFT else 0
            entries.append(CaseEntry(case, role, count))
        entries.sort(key=lambda entry: entry.case.created_at, reverse=True)
        return entries[:MAX_LISTED]

    async def open_cases(self, turn_context: Turn) -> list[Case]:
        """The person's own cases that take new evidence now (sent, not closed), newest first."""
        actor = _actor(turn_context)
        return [entry.case for entry in await self.cases_of(actor) if can_add_evidence(entry.case, actor)]

    async def show_list(self, turn_context: Turn) -> None:
        entries = await self.cases_of(_actor(turn_context))
        await _show(turn_context, my_cases_card(self._texts(turn_context), entries))

    async def show_case(self, turn_context: Turn, case_id: object) -> None:
        """One case's status for its subject or reporter; anyone else hears only that it was not found."""
        texts = self._texts(turn_context)
        actor = _actor(turn_context)
        case = await self._case(case_id) if isinstance(case_id, str) else None
        role = viewer_role(case, actor) if case is not None else None
        if case is None or role is None:
            if self._refusals is not None:
                reason = "unknown_case" if case is None else "no_role"
                await self._refusals.record(actor, CASE_STATUS_COMMAND, case_id, case, reason, correlation_id.get())
            await turn_context.say(texts("my_cases.not_found"))
            return
        count = len(await self._evidence.list_items(case.case_id)) if case.status is CaseStatus.DRAFT else 0
        next_check_in = self._next_check_in(case) if role is Role.SUBJECT else None
        opened_by = await self.opened_by(case) if role is Role.SUBJECT and case.status is not CaseStatus.DRAFT else None
        card = case_detail_card(
            texts,
            case,
            role,
            own_refresh_user_ids(actor.person),
            evidence_count=count,
            next_check_in=next_check_in,
            opened_by=opened_by,
        )
        await _show(turn_context, card)

    async def opened_by(self, case: Case) -> tuple[list[AccessEntry], int] | None:
        """Who opened the employee's case (newest first) and how many earlier times were left out."""
        if self._audit is None:
            return None
        return newest(who_opened(await self._audit.events(case.case_id), case.subject))

    async def delete_draft(self, turn_context: Turn, value: dict[str, Any]) -> None:
        """Delete the person's own draft and its evidence, after asking once (`confirmed` on the second card)."""
        texts = self._texts(turn_context)
        actor = _actor(turn_context)
        case_id = value.get("case_id")
        case = await self._case(case_id) if isinstance(case_id, str) else None
        if case is None or not owns_draft(case, actor) or self._delete_draft is None:
            await turn_context.say(texts("my_cases.draft_not_found"))
            return
        if value.get("confirmed") is not True:
            count = len(await self._evidence.list_items(case.case_id))
            await _show(turn_context, delete_draft_card(texts, case, count))
            return
        deleted = await self._delete_draft(actor, case.case_id)
        await turn_context.say(texts("my_cases.draft_deleted" if deleted is not None else "my_cases.draft_not_found"))

    async def ask_reopen(self, turn_context: Turn, case_id: object) -> None:
        """The employee asks whoever holds their closed case to reopen it; they hear truthfully what came of it."""
        texts = self._texts(turn_context)
        if self._reopen_requests is None:
            await turn_context.say(texts("reopen_request.not_found"))
            return
        answer = await self._reopen_requests.ask(_actor(turn_context), case_id, correlation_id.get())
        case = answer.case
        if case is None or answer.asked is Asked.NOT_FOUND:
            await turn_context.say(texts("reopen_request.not_found"))
            return
        day = answer.asked_at.astimezone(DEFAULT_TIMEZONE).strftime("%d-%m-%Y") if answer.asked_at else ""
        leader = escape_markdown(case.leader.name) if case.leader is not None and case.leader.name else "-"
        reference = case.reference or case.case_id[:8]
        await turn_context.say(texts(f"reopen_request.{answer.asked.value}", reference=reference, leader=leader,
                                     date=day))  # fmt: skip

    async def _case(self, case_id: str) -> Case | None:
        return await self._cases.named(case_id)

    def _texts(self, turn_context: Turn) -> Texts:
        return texts_for(turn_context.activity.locale, self._crisis_line)


def _actor(turn_context: Turn) -> Actor:
    activity = turn_context.activity
    return Actor(person_of(activity), tenant_id=tenant_of(activity))


async def _show(turn_context: Turn, card: dict) -> None:
    await turn_context.show(card)
