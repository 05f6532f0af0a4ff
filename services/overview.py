"""The Overblik tab's use cases: the leader's cases, HR's register, one case, and the statistics, each authorized by
the domain's rules and audited.

Who someone is comes from the directory (services.roles.actor_in); what they may see from domain.authorization and
domain.overview: a leader or deputy sees the cases they lead (open, or closed in the last year; a page at a
time); HR sees the register of every case in their tenant,
with minimal data, and opens a case only when it was escalated to their function; the statistics are HR's for all
units and a leader's for the units they lead, suppressed for k-anonymity (domain.statistics). Every list and the
statistics are recorded in the overview's audit log (which case ids a list showed; for the statistics, which
units and how many cases each were counted: they come from the store's tallies, never a read of every case), every
case opened on that case's own log, and every refusal with who tried (services.refused_access). The suppressed
statistics are kept per tenant, units and period, and made again when the counts differ.

Break the glass: HR opens a case that did not reach their function by giving a written reason. The reason is
recorded on the case's log (`break_the_glass`, role hr, the reason as detail): that event is the grant, which
domain.authorization keeps open for BREAK_THE_GLASS_FOR; the case's leader (else deputy) is told who opened it and
why, through the outbox, in their own language. HR who may open a case also gets its full access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from domain.access_log import BREAK_THE_GLASS, CASE_READ
from domain.audit import AuditEvent
from domain.authorization import (
    BREAK_THE_GLASS_FOR,
    Actor,
    Role,
    break_the_glass_reason,
    leadership_roles,
    may_break_the_glass,
    overview_roles,
    party_to,
    sees_access_log,
)
from domain.case import Case, Person
from domain.clock import Clock
from domain.overview import CaseRow, LeaderPage, RegisterPage, RegisterQuery, closed_since
from domain.statistics import CaseCounts, Period, Statistics, statistics_of
from services.notifications import CaseNotifications
from services.refused_access import RefusedAccess
from services.roles import Directory, actor_in, led_units
from storage.audit import AuditLog
from storage.cases import CaseRepository
from storage.ports import CaseTable

OVERVIEW_ROLE = "overview"
ROLE_SHOWN = (Role.LEADER, Role.DEPUTY, Role.HR)  # the role an opened case is audited under, first that applies
STATISTICS_KEPT = 32  # published statistics kept per process, by tenant, units and period
PublishedKey = tuple[str, frozenset[str] | None, Period]  # tenant, the units (None: every unit), period


class Refusal(Enum):
    NOT_HR = "not_hr"
    NO_UNITS = "no_units"
    NO_REASON = "no_reason"  # break the glass without a written reason
    OWN_CASE = "own_case"  # break the glass on a case the HR member is the employee or reporter of


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
    access_log: list[AuditEvent] | None = None  # the case's whole log, for HR only
    glass_until: datetime | None = None  # opened by breaking the glass: readable until then


class Overview:
    def __init__(
        self,
        table: CaseTable,
        cases: CaseRepository,
        audit: AuditLog,
        directory: Directory,
        clock: Clock,
        hr_intake: str,
        notifications: CaseNotifications | None = None,
    ) -> None:
        self._notifications = notifications
        self._table = table
        self._cases = cases
        self._audit = audit
        self._directory = directory
        self._clock = clock
        self._hr_intake = hr_intake
        self._refused = RefusedAccess(audit, clock)
        self._published: dict[PublishedKey, tuple[CaseCounts, Statistics]] = {}

    def now(self) -> datetime:
        return self._clock.now()

    def viewer(self, aad_object_id: str, tenant_id: str, name: str = "") -> Viewer:
        """The signed-in user, named as the directory knows them (the token's name otherwise): the access log shows
        the employee that name."""
        known = self._directory.person(aad_object_id)
        hr = next((m for m in self._directory.hr_members() if m.aad_object_id == aad_object_id), None)
        name = known.name if known is not None else hr.name if hr is not None else name
        person = Person(user_id=f"aad:{aad_object_id}", name=name, aad_object_id=aad_object_id)
        actor = actor_in(self._directory, person, tenant_id, self._hr_intake)
        return Viewer(actor, [unit.id for unit in led_units(self._directory, aad_object_id)])

    async def led_cases(self, viewer: Viewer, page: int, correlation_id: str) -> LeaderPage:
        """A page of the cases the viewer leads or is the deputy on (the domain's leadership roles, from the rows):
        the open ones and those closed in the last LEADER_CLOSED_MONTHS, newest first."""
        tenant, aad = viewer.actor.tenant_id or "", viewer.actor.person.aad_object_id or ""
        found = await self._table.led_by(tenant, aad, closed_since(self.now()), page)
        await self._record(viewer, "overview_leader", found.rows, correlation_id)
        return found

    async def register(self, viewer: Viewer, query: RegisterQuery, correlation_id: str) -> RegisterPage | Refusal:
        """HR's register: a page of every case in the tenant, minimal data."""
        if not viewer.is_hr:
            await self._refuse(viewer, "overview_register", correlation_id)
            return Refusal.NOT_HR
        page = await self._table.register(viewer.actor.tenant_id or "", query, self.now())
        await self._record(viewer, "overview_register", page.rows, correlation_id)
        return page

    async def open_case(self, viewer: Viewer, case_id: str, correlation_id: str) -> OpenedCase | None:
        """One case in full, for its leader, deputy, the HR function it was escalated to, or HR while their break
        the glass on it is open; None for anyone else (who learns nothing, not even that it exists)."""
        current = await self._cases.get(case_id) if plausible_case_id(case_id) else None
        case = current.case if current is not None else None
        broken_at = await self._glass_broken_at(case, viewer) if case is not None else []
        roles = overview_roles(case, viewer.actor, broken_at, self.now()) if case is not None else frozenset[Role]()
        if case is None or not roles:
            await self._refused.record(viewer.actor, "overview_case", case_id, case, "no_role", correlation_id)
            return None
        by_glass = not (roles & frozenset(leadership_roles(case, viewer.actor)))
        detail = BREAK_THE_GLASS if by_glass else ""
        await self._audit.append(self._event(case.case_id, viewer, CASE_READ, correlation_id, detail, roles))
        until = max(broken_at) + BREAK_THE_GLASS_FOR if by_glass else None
        return await self._opened(case, roles, until)

    async def break_the_glass(
        self, viewer: Viewer, case_id: str, reason_text: object, correlation_id: str
    ) -> OpenedCase | Refusal | None:
        """HR opens a case that did not reach their function, with a written reason (Refusal.NO_REASON without
        one), never one they are the employee or reporter of (Refusal.OWN_CASE, domain.authorization.party_to).
        Audited on the case's log, and its leader is told. None, as for an unknown case, for anyone who may not (a
        forged id or another tenant's case learns nothing)."""
        reason = break_the_glass_reason(reason_text)
        if reason is None:
            return Refusal.NO_REASON
        current = await self._cases.get(case_id) if plausible_case_id(case_id) else None
        case = current.case if current is not None else None
        if case is None or not may_break_the_glass(viewer.actor, case.tenant_id, case.status):
            await self._refused.record(viewer.actor, BREAK_THE_GLASS, case_id, case, "no_role", correlation_id)
            return None
        if party_to(case, viewer.actor):
            await self._refused.record(viewer.actor, BREAK_THE_GLASS, case_id, case, "own_case", correlation_id)
            return Refusal.OWN_CASE
        roles = frozenset({Role.HR})
        event = self._event(case.case_id, viewer, BREAK_THE_GLASS, correlation_id, reason, roles)
        await self._audit.append(event)
        if self._notifications is not None:
            await self._notifications.glass_broken(case, viewer.actor.person, reason, event.at)
        return await self._opened(case, roles, event.at + BREAK_THE_GLASS_FOR)

    async def _opened(self, case: Case, roles: frozenset[Role], until: datetime | None) -> OpenedCase:
        log = await self._audit.events(case.case_id) if sees_access_log(roles) else None
        return OpenedCase(case, roles, log, until)

    async def _glass_broken_at(self, case: Case, viewer: Viewer) -> list[datetime]:
        """When this viewer broke the glass on this case (read only when nothing else lets them open it)."""
        glass = may_break_the_glass(viewer.actor, case.tenant_id, case.status) and not party_to(case, viewer.actor)
        if leadership_roles(case, viewer.actor) or not glass:
            return []
        aad = viewer.actor.person.aad_object_id
        events = await self._audit.events(case.case_id)
        return [e.at for e in events if e.action == BREAK_THE_GLASS and e.actor_aad_object_id == aad]

    async def statistics(self, viewer: Viewer, period: Period, correlation_id: str) -> Statistics | Refusal:
        """HR: every unit of the tenant; a leader: the units they lead; anyone else nothing."""
        tenant = viewer.actor.tenant_id or ""
        if viewer.is_hr:
            counts = await self._table.counts(tenant)
        elif viewer.units:
            counts = await self._table.counts(tenant, frozenset(viewer.units))
        else:
            await self._refuse(viewer, "overview_statistics", correlation_id)
            return Refusal.NO_UNITS
        counted = " ".join(f"{unit}:{total}" for unit, total in sorted(counts.unit_totals.items()))
        event = self._event("", viewer, "overview_statistics", correlation_id, detail=counted)
        await self._audit.append_overview_read(event)
        return self._published_statistics((tenant, None if viewer.is_hr else frozenset(viewer.units), period), counts)

    def _published_statistics(self, key: PublishedKey, counts: CaseCounts) -> Statistics:
        """The suppressed tables of these counts: made again only when the counts changed since last asked (the
        suppression is a pure function of the counts and the period, and the costly part at municipal scale)."""
        kept = self._published.get(key)
        if kept is not None and kept[0] == counts:
            return kept[1]
        published = statistics_of(counts, key[2])
        self._published.pop(key, None)
        if len(self._published) >= STATISTICS_KEPT:
            self._published.pop(next(iter(self._published)))  # the one asked for longest ago
        self._published[key] = (counts, published)
        return published

    def _event(
        self,
        case_id: str,
        viewer: Viewer,
        action: str,
        correlation_id: str,
        detail: str = "",
        roles: frozenset[Role] = frozenset(),
    ) -> AuditEvent:
        role = next((role.value for role in ROLE_SHOWN if role in roles), None)
        return AuditEvent.by(
            viewer.actor.person,
            viewer.actor.tenant_id,
            case_id=case_id,
            at=self.now(),
            role=role or ("hr" if viewer.is_hr else OVERVIEW_ROLE),
            action=action,
            correlation_id=correlation_id,
            detail=detail,
        )

    async def _record(self, viewer: Viewer, action: str, rows: list[CaseRow], correlation_id: str) -> None:
        shown = " ".join(row.case_id for row in rows)
        await self._audit.append_overview_read(self._event("", viewer, action, correlation_id, detail=shown))

    async def _refuse(self, viewer: Viewer, what: str, correlation_id: str) -> None:
        await self._refused.record(viewer.actor, what, None, None, "no_role", correlation_id)


def plausible_case_id(case_id: str) -> bool:
    """A case id as Værn makes them (letters, digits, - and _), so a forged one never reaches a storage key."""
    return 0 < len(case_id) <= 64 and all(char.isascii() and (char.isalnum() or char in "-_") for char in case_id)
