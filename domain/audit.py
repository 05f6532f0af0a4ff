"""Audit events: who did or read what on a case, in which role, when, under which request; and who tried and
was refused (action REFUSED, the verb and the reason in `detail`, the caller's Azure AD object id and tenant)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from domain.person import Person

SYSTEM_ROLE = "system"  # Værn itself (e.g. an automatic escalation), not a person
NO_ROLE = "none"  # someone without a role on the case
REFUSED = "refused"  # an action or view that was not allowed


class AuditEvent(BaseModel):
    case_id: str
    at: datetime
    actor_id: str
    actor_name: str = ""
    role: str
    action: str
    correlation_id: str = "-"
    detail: str = ""
    actor_aad_object_id: str | None = None
    tenant_id: str | None = None

    @classmethod
    def by(
        cls,
        person: Person,
        tenant_id: str | None,
        *,
        case_id: str,
        at: datetime,
        role: str,
        action: str,
        correlation_id: str = "-",
        detail: str = "",
    ) -> AuditEvent:
        """What a person did or read, named the one way every event names its actor (ids, name, tenant)."""
        return cls(
            case_id=case_id,
            at=at,
            actor_id=person.user_id,
            actor_name=person.name,
            role=role,
            action=action,
            correlation_id=correlation_id,
            detail=detail,
            actor_aad_object_id=person.aad_object_id,
            tenant_id=tenant_id,
        )
