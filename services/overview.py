"""The Overblik tab's use cases: the leader's cases, HR's register, one case, and the statistics, each authorized by
the domain's rules and audited.

Who someone is comes from the directory (services.roles.actor_in); what they may see from domain.authorization and
domain.overview: a leader or deputy sees the cases they lead; HR sees the register of every case in their tenant,
with minimal data, and opens a case only when it was escalated to their function; the statistics are HR's for all
units and a leader's for the units they lead, suppressed for k-anonymity (domain.statistics). Every list and the
statistics are recorded in the overview's audit log (which case ids were shown), every case opened on that case's
own log, and every refusal with who tried (services.refused_access).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from domain.audit import AuditEvent
from domain.authorization import Actor, Role, roles_on
from domain.case import Case, Person
from domain.clock import Clock
from domain.overview import CaseRow, RegisterPage, RegisterQuery
from domain.statistics import Period, Statistics, case_statistics
from services.refused_access import RefusedAccess
from services.roles import Directory, actor_in, led_units
from storage.audit import AuditLog
from storage.cases import CaseRepository
from storage.ports import CaseTable

OVERVIEW_ROLE = "overview"
LEADERSHIP = frozenset({Role.LEADER, Role.DEPUTY, Role.HR})


class Refusal(Enum):
    NOT_HR = "not_hr"
    NO_UNITS = "no_units"


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the overview sees them."""

    actor: Actor
    units: list[str]  # ids of the units they lead or deputise for

    @property
    def is_hr(self) -> bool:
        return self.actor.is_hr


@dataclass(frozen=True)
class OpenedCase:
    case: Case
    roles: frozenset[Role]


class Overview:
    def __init__(
        self,
        table: CaseTable,
        cases: CaseRepository,
        audit: AuditLog,
        directory: Directory,
        clock: Clock,
        hr_intake: str,
    ) -> None:
        self._table = table
        self._cases = cases
        self._audit = audit
        self._directory = directory
        self._clock = clock
        self._hr_intake = hr_intake
        self._refused = RefusedAccess(audit, clock)

    def now(self) -> datetime:
        return self._clock.now()

    def viewer(self, aad_object_id: str, tenant_id: str, name: str = "") -> Viewer:
        person = Person(user_id=f"aad:{aad_object_id}", name=name, aad_object_id=aad_object_id)
        actor = actor_in(self._directory, person, tenant_id, self._hr_intake)
        return Viewer(actor, [unit.id for unit in led_units(self._directory, aad_object_id)])

    async def led_cases(self, viewer: Viewer, correlation_id: str) -> list[CaseRow]:
        """The cases the viewer leads or is the deputy on (the domain's leadership roles, from the rows)."""
        rows = await self._table.led_by(viewer.actor.tenant_id or "", viewer.actor.person.aad_object_id or "")
        await self._record(viewer, "overview_leader", rows, correlation_id)
        return rows

    async def register(self, viewer: Viewer, query: RegisterQuery, correlation_id: str) -> RegisterPage | Refusal:
        """HR's register: a page of every case in the tenant, minimal data."""
        if not viewer.is_hr:
            await self._refuse(viewer, "overview_register", correlation_id)
            return Refusal.NOT_HR
        page = await self._table.register(viewer.actor.tenant_id or "", query, self.now())
        await self._record(viewer, "overview_register", page.rows, correlation_id)
        return page

    async def open_case(self, viewer: Viewer, case_id: str, correlation_id: str) -> OpenedCase | None:
        """One case in full, for its leader, deputy, or the HR function it was escalated to; None for anyone else
        (who learns nothing, not even that it exists)."""
        current = await self._cases.get(case_id) if _plausible_id(case_id) else None
        roles = roles_on(current.case, viewer.actor) & LEADERSHIP if current is not None else set[Role]()
        if current is None or not roles:
            case = current.case if current is not None else None
            await self._refused.record(viewer.actor, "overview_case", case_id, case, "no_role", correlation_id)
            return None
        await self._audit.append(self._event(current.case.case_id, viewer, "overview_case_read", correlation_id))
        return OpenedCase(current.case, frozenset(roles))

    async def statistics(self, viewer: Viewer, period: Period, correlation_id: str) -> Statistics | Refusal:
        """HR: every unit of the tenant; a leader: the units they lead; anyone else nothing."""
        tenant = viewer.actor.tenant_id or ""
        if viewer.is_hr:
            rows = await self._table.rows(tenant)
        elif viewer.units:
            rows = await self._table.rows(tenant, frozenset(viewer.units))
        else:
            await self._refuse(viewer, "overview_statistics", correlation_id)
            return Refusal.NO_UNITS
        await self._record(viewer, "overview_statistics", rows, correlation_id)
        return case_statistics(rows, period)

    def _event(self, case_id: str, viewer: Viewer, action: str, correlation_id: str, detail: str = "") -> AuditEvent:
        person = viewer.actor.person
        return AuditEvent(
            case_id=case_id,
            at=self.now(),
            actor_id=person.user_id,
            actor_name=person.name,
            role="hr" if viewer.is_hr else OVERVIEW_ROLE,
            action=action,
            correlation_id=correlation_id,
            detail=detail,
            actor_aad_object_id=person.aad_object_id,
            tenant_id=viewer.actor.tenant_id,
        )

    async def _record(self, viewer: Viewer, action: str, rows: list[CaseRow], correlation_id: str) -> None:
        shown = " ".join(row.case_id for row in rows)
        await self._audit.append_overview_read(self._event("", viewer, action, correlation_id, detail=shown))

    async def _refuse(self, viewer: Viewer, what: str, correlation_id: str) -> None:
        await self._refused.record(viewer.actor, what, None, None, "no_role", correlation_id)


def _plausible_id(case_id: str) -> bool:
    """A case id as Værn makes them (letters, digits, - and _), so a forged one never reaches a storage key."""
    return 0 < len(case_id) <= 64 and all(char.isascii() and (char.isalnum() or char in "-_") for char in case_id)
