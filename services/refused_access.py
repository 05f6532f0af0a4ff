"""Every refused action or view of a case, recorded with who tried: a WARNING log line and an audit entry naming
the caller (Teams id, Azure AD object id, name), their tenant, what they asked for and why it was refused. On the
case's own audit log when the case exists, else apart (`AuditLog.append_unknown_case`). The caller learns nothing
more than before: whatever it was told stays the same."""

from __future__ import annotations

import logging

from domain.audit import NO_ROLE, REFUSED, AuditEvent
from domain.authorization import Actor, roles_on
from domain.case import Case
from domain.clock import Clock
from storage.audit import AuditLog

log = logging.getLogger("vaern.refused")
MAX_ECHOED_CHARS = 80  # a case id or verb from a forged request is cut to this in the log and the audit


class RefusedAccess:
    def __init__(self, audit: AuditLog, clock: Clock) -> None:
        self._audit = audit
        self._clock = clock

    async def record(
        self, actor: Actor, what: str, case_id: object, case: Case | None, reason: str, correlation_id: str
    ) -> None:
        """`what`: the verb or view asked for; `case`: the case `case_id` names, None when it names none."""
        asked_id = str(case_id)[:MAX_ECHOED_CHARS] if case_id is not None else ""
        what = what[:MAX_ECHOED_CHARS]
        person = actor.person
        log.warning(
            "refused",
            extra={
                "fields": {
                    "case_id": asked_id,
                    "case_exists": case is not None,
                    "what": what,
                    "reason": reason,
                    "actor_id": person.user_id,
                    "actor_aad_object_id": person.aad_object_id,
                    "tenant_id": actor.tenant_id,
                }
            },
        )
        roles = sorted(role.value for role in roles_on(case, actor)) if case is not None else []
        event = AuditEvent.by(
            person,
            actor.tenant_id,
            case_id=case.case_id if case is not None else asked_id,
            at=self._clock.now(),
            role=",".join(roles) or NO_ROLE,
            action=REFUSED,
            correlation_id=correlation_id,
            detail=f"{what}: {reason}",
        )
        if case is None:
            await self._audit.append_unknown_case(event)
        else:
            await self._audit.append(event)
