"""Carry out a card action on a case: authorize, apply with optimistic concurrency, audit, and tell the
people concerned. Knows nothing of the Teams SDK; the invoke handler turns its outcomes into cards. Every refusal
is recorded with who tried (services/refused_access.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from domain.audit import AuditEvent
from domain.authorization import Actor, Role, acting_role, can_read_evidence, roles_on
from domain.case import Case
from domain.clock import Clock
from domain.evidence import EvidenceItem
from domain.leader_actions import (
    OPEN_EVIDENCE,
    REFRESH,
    InvalidCommand,
    NewLeader,
    NotAllowed,
    StaleCard,
    Verb,
    execute,
)
from services.refused_access import RefusedAccess
from services.roles import Directory, Responsibles, leaders_named, led_by
from storage.audit import AuditLog
from storage.cases import MAX_CONFLICT_RETRIES, CaseRepository
from storage.ports import EvidenceStore, PreconditionFailed

TEXT_EVIDENCE_TYPES = ("text/plain", "message/rfc822")
MAX_TEXT_SHOWN_BYTES = 64 * 1024


class Result(Enum):
    DONE = "done"
    VIEW = "view"
    EVIDENCE = "evidence"
    STALE = "stale"
    INVALID = "invalid"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class ActionOutcome:
    result: Result
    case: Case | None = None
    viewer_roles: frozenset[Role] = frozenset()
    reason: str = ""
    evidence: tuple[EvidenceItem, ...] = ()
    texts: dict[str, str] = field(default_factory=dict[str, str])


FORBIDDEN = ActionOutcome(Result.FORBIDDEN)


class CaseActions:
    def __init__(
        self,
        cases: CaseRepository,
        evidence: EvidenceStore,
        audit: AuditLog,
        clock: Clock,
        directory: Directory | None = None,
    ) -> None:
        self._cases = cases
        self._directory = directory
        self._evidence = evidence
        self._audit = audit
        self._clock = clock
        self._refused = RefusedAccess(audit, clock)

    async def _refuse(
        self, actor: Actor, verb: str, case_id: str, case: Case | None, correlation_id: str
    ) -> ActionOutcome:
        if case is None:
            reason = "unknown_case"
        elif not actor.person.aad_object_id:
            reason = "no_aad_object_id"
        else:
            reason = "not_allowed" if roles_on(case, actor) else "no_role"
        await self._refused.record(actor, verb, case_id, case, reason, correlation_id)
        return FORBIDDEN

    async def perform(
        self, actor: Actor, verb: str, case_id: str, data: dict[str, Any], card_version: int, correlation_id: str
    ) -> ActionOutcome:
        """Refresh a view or apply one leadership action. A stranger learns nothing about the case."""
        if verb == REFRESH:
            return await self._view(actor, case_id, correlation_id)
        if verb == OPEN_EVIDENCE:
            return await self._open_evidence(actor, case_id, correlation_id)
        if verb not in Verb.__members__.values():
            return ActionOutcome(Result.INVALID, reason="unknown_action")
        if verb == Verb.HR_REASSIGN:
            data = self._with_leaders_named(data)
        if verb == Verb.CHOOSE_LEADER:
            data = self._with_leader_chosen(data)
        for _ in range(MAX_CONFLICT_RETRIES):
            current = await self._cases.get(case_id)
            if current is None:
                return await self._refuse(actor, verb, case_id, None, correlation_id)
            case = current.case
            try:
                changed = execute(case, Verb(verb), data, actor, self._clock.now(), card_version)
            except NotAllowed:
                return await self._refuse(actor, verb, case_id, case, correlation_id)
            except StaleCard:
                return ActionOutcome(Result.STALE, case, frozenset(roles_on(case, actor)))
            except InvalidCommand as error:
                return ActionOutcome(Result.INVALID, case, frozenset(roles_on(case, actor)), error.reason)
            if verb == Verb.ESCALATE_HR and not self._reaches_hr(changed):
                return ActionOutcome(Result.INVALID, case, frozenset(roles_on(case, actor)), "hr_function_empty")
            changed.last_change = self._event(changed, actor, verb, correlation_id)
            try:
                await self._cases.replace(changed, current.etag)
            except PreconditionFailed:
                continue
            await self._audit.append(changed.last_change, event_id=change_event_id(changed))
            return ActionOutcome(Result.DONE, changed, frozenset(roles_on(changed, actor)))
        raise PreconditionFailed(case_id)

    def _reaches_hr(self, escalated: Case) -> bool:
        """Someone in the HR function the case is sent to, as the directory names them: nothing is recorded as sent
        to a function nobody is in (the leader is told so and chooses again). Without a directory, not checked."""
        escalation = escalated.handling.hr_escalation
        if self._directory is None or escalation is None or escalation.function is None:
            return True
        return bool(self._directory.hr_members(escalation.function.value))

    def _with_leaders_named(self, data: dict[str, Any]) -> dict[str, Any]:
        """HR's reassignment as the directory answers it: the people the typed name may mean (never the card's);
        when HR chose one of them by object id (`leader_aad_object_id`, the Overblik tab), only that one, if the
        name still means them."""
        named, chosen = data.get("leader_name"), data.get("leader_aad_object_id")
        found = leaders_named(self._directory, named) if self._directory and isinstance(named, str) else []
        if isinstance(chosen, str) and chosen:
            found = [responsibles for responsibles in found if responsibles.leader.aad_object_id == chosen]
        return _with_matches(data, found)

    def _with_leader_chosen(self, data: dict[str, Any]) -> dict[str, Any]:
        """The employee's choice as the directory knows that person (by object id; nobody if it does not)."""
        chosen = data.get("leader_aad_object_id")
        found = led_by(self._directory, chosen) if self._directory and isinstance(chosen, str) and chosen else None
        return _with_matches(data, [found] if found else [])

    async def _view(self, actor: Actor, case_id: str, correlation_id: str) -> ActionOutcome:
        current = await self._cases.get(case_id)
        roles: set[Role] = roles_on(current.case, actor) if current is not None else set()
        if current is None or not roles:
            return await self._refuse(actor, REFRESH, case_id, current.case if current else None, correlation_id)
        return ActionOutcome(Result.VIEW, current.case, frozenset(roles))

    async def _open_evidence(self, actor: Actor, case_id: str, correlation_id: str) -> ActionOutcome:
        """Leadership opens the evidence: only what they may read, and every item read is audited."""
        current = await self._cases.get(case_id)
        if current is None or acting_role(current.case, actor) is None:
            case_or_none = current.case if current is not None else None
            return await self._refuse(actor, OPEN_EVIDENCE, case_id, case_or_none, correlation_id)
        case = current.case
        items = [
            item
            for item in await self._evidence.list_items(case_id)
            if can_read_evidence(case, actor, item.uploaded_by)
        ]
        texts: dict[str, str] = {}
        for item in items:
            if item.content_type in TEXT_EVIDENCE_TYPES:
                texts[item.evidence_id] = await self._read_text(item)
            await self._record(case, actor, "evidence_read", correlation_id, detail=item.evidence_id)
        return ActionOutcome(
            Result.EVIDENCE, case, frozenset(roles_on(case, actor)), evidence=tuple(items), texts=texts
        )

    async def _read_text(self, item: EvidenceItem) -> str:
        data = b""
        async for chunk in self._evidence.read(item.case_id, item.evidence_id):
            data += chunk
            if len(data) >= MAX_TEXT_SHOWN_BYTES:
                break
        return data[:MAX_TEXT_SHOWN_BYTES].decode("utf-8", errors="replace")

    async def _record(self, case: Case, actor: Actor, verb: str, correlation_id: str, detail: str = "") -> None:
        await self._audit.append(self._event(case, actor, verb, correlation_id, detail))

    def _event(self, case: Case, actor: Actor, verb: str, correlation_id: str, detail: str = "") -> AuditEvent:
        roles = roles_on(case, actor)
        own = Role.SUBJECT if Role.SUBJECT in roles else Role.REPORTER if Role.REPORTER in roles else Role.LEADER
        role = acting_role(case, actor) or own
        return AuditEvent.by(
            actor.person,
            actor.tenant_id,
            case_id=case.case_id,
            at=self._clock.now(),
            role=role.value,
            action=verb,
            correlation_id=correlation_id,
            detail=detail,
        )


def _with_matches(data: dict[str, Any], found: list[Responsibles]) -> dict[str, Any]:
    """The command's data with `matches` from the directory only (any the card sent are dropped)."""
    matches = [
        NewLeader(
            leader=r.leader.as_person(),
            deputy=r.deputy.as_person() if r.deputy else None,
            unit=r.unit.name,
            unit_id=r.unit.id,
        ).model_dump()
        for r in found
    ]
    return {key: value for key, value in data.items() if key != "matches"} | {"matches": matches}


def change_event_id(case: Case) -> str:
    """The audit id of the action that made this version of the case (written once, even when repeated)."""
    return f"v{case.version}"
