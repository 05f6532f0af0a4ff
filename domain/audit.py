"""Audit events: who did or read what on a case, in which role, when, under which request."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

SYSTEM_ROLE = "system"  # Værn itself (e.g. an automatic escalation), not a person


class AuditEvent(BaseModel):
    case_id: str
    at: datetime
    actor_id: str
    actor_name: str = ""
    role: str
    action: str
    correlation_id: str = "-"
    detail: str = ""
