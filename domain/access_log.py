"""Who saw a case: the deliberate reads in a case's audit log, as the employee is shown them in "Mine sager".

Counted as opening the case (each one entry, with the reader's name, their role and when):
- `evidence_read`: the evidence opened from a card (one entry per opening, however many items it showed);
- `package_built` / `package_delivered`: a case or police package made or received (one entry per package);
- `overview_case_read`: the case opened in the Overblik tab;
- `subject_export`: the case went into HR's export of everything about one person (a data subject request);
- `break_the_glass`: HR opened a case that had not reached their function, with a written reason.
Not counted: card refreshes (Teams refreshes a card whenever it shows it, so they say nothing about intent), the
overview's lists (minimal rows of many cases), refused attempts, and changes (those are actions, shown as the
case's status). The employee's own reads are left out. The employee sees names and roles only: no ids, no reasons,
no package hashes. HR sees the whole log of a case (domain.authorization.sees_access_log): in the Overblik tab every
event, on its card in chat the same deliberate reads as above by everyone, the employee included (`case_reads`), the
newest `SHOWN_ON_HR_CARD` of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.audit import AuditEvent
from domain.case import Person

EVIDENCE_READ = "evidence_read"
PACKAGE_BUILT = "package_built"
PACKAGE_DELIVERED = "package_delivered"
CASE_READ = "overview_case_read"
BREAK_THE_GLASS = "break_the_glass"
SUBJECT_EXPORT = "subject_export"
SHOWN_TO_EMPLOYEE = 20  # the newest entries "Mine sager" lists; it says how many earlier ones there are
SHOWN_ON_HR_CARD = 6  # the newest entries HR's card in chat lists; the whole log is in the Overblik tab


class Access(StrEnum):
    EVIDENCE = "evidence"
    PACKAGE = "package"
    CASE = "case"
    BREAK_THE_GLASS = "break_the_glass"


_KINDS = {
    EVIDENCE_READ: Access.EVIDENCE,
    PACKAGE_BUILT: Access.PACKAGE,
    PACKAGE_DELIVERED: Access.PACKAGE,
    SUBJECT_EXPORT: Access.PACKAGE,
    CASE_READ: Access.CASE,
    BREAK_THE_GLASS: Access.BREAK_THE_GLASS,
}


class AccessEntry(BaseModel):
    """One deliberate read as the employee sees it."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    name: str
    role: str  # the reader's role on the case when they read it: leader, deputy, hr, on_call, reporter
    access: Access


def _own(event: AuditEvent, person: Person) -> bool:
    by_object_id = bool(person.aad_object_id) and event.actor_aad_object_id == person.aad_object_id
    return by_object_id or event.actor_id == person.user_id


def _package_id(detail: str) -> str:
    for part in detail.split():
        if part.startswith("package="):
            return part.removeprefix("package=")
    return detail


def _same_read(event: AuditEvent, access: Access) -> tuple[str, ...]:
    """What makes several events one read: a package by its id, an evidence opening by its request."""
    if access is Access.PACKAGE:
        return (event.actor_id, access.value, _package_id(event.detail))
    if access is Access.EVIDENCE and event.correlation_id != "-":
        return (event.actor_id, access.value, event.correlation_id)
    return (event.actor_id, access.value, event.at.isoformat(), event.detail)


def _reads(events: Iterable[AuditEvent], leave_out: Person | None) -> list[AccessEntry]:
    entries: list[AccessEntry] = []
    seen: set[tuple[str, ...]] = set()
    for event in sorted(events, key=lambda event: event.at):
        access = _KINDS.get(event.action)
        if access is None or (leave_out is not None and _own(event, leave_out)):
            continue
        key = _same_read(event, access)
        if key in seen:
            continue
        seen.add(key)
        entries.append(AccessEntry(at=event.at, name=event.actor_name, role=event.role, access=access))
    return entries


def who_opened(events: Iterable[AuditEvent], employee: Person) -> list[AccessEntry]:
    """Every deliberate read of the case by someone other than the employee, oldest first."""
    return _reads(events, leave_out=employee)


def case_reads(events: Iterable[AuditEvent]) -> list[AccessEntry]:
    """Every deliberate read of the case by anyone, the employee's own too, oldest first (HR's view of the log)."""
    return _reads(events, leave_out=None)


def newest(entries: list[AccessEntry], limit: int = SHOWN_TO_EMPLOYEE) -> tuple[list[AccessEntry], int]:
    """The newest `limit` entries, newest first, and how many earlier ones were left out."""
    ordered = sorted(entries, key=lambda entry: entry.at, reverse=True)
    return ordered[:limit], max(0, len(ordered) - limit)
