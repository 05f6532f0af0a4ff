"""Who may see and do what on a case (need-to-know). Anyone without a role learns nothing, not even that
the case exists.

Every role is decided by the Azure AD object id alone (Teams' `from.aadObjectId`): an actor without one has no
role on any case, and a matching Teams user id or name counts for nothing. HR (Organisation og Personale) sees an
escalated case only when they belong to the function it went to: the one the leader named, the intake function
for Værn's own escalation, and the one HR assigned it to since. The on-call group (domain.urgency) sees and acts on
an urgent case as a deputy does, once Værn gave it to them because nobody acknowledged it in time.

The arbejdsmiljøgruppe: a member of the group of the case's unit (from the directory) sees the anonymised summary
of a case leadership sent to the group and records the group's analysis (`may_analyse`); never the employee the case
is about. That is no role on the case: they see no names, no description, no evidence, and act on nothing else.

Break the glass (the Overblik tab): HR may open any sent case of their own tenant that did not reach their function,
with a written reason. The access is per case and person and lasts BREAK_THE_GLASS_FOR from the moment it was
given; it lets them read, never act (it is not a role on the case). The audit event that records it is the grant:
`overview_roles` is told when this person broke the glass on this case. Only HR sees a case's full access log.

Data subject requests: HR's legal function (Jura) exports every case of its tenant that names a person; a
rectification is appended by the case's leader or deputy, HR it reached, or Jura (domain.subject_requests).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.case import Case, CaseStatus, Person
from domain.handling import HrFunction


class Role(StrEnum):
    SUBJECT = "subject"
    REPORTER = "reporter"
    LEADER = "leader"
    DEPUTY = "deputy"
    HR = "hr"
    ON_CALL = "on_call"


@dataclass(frozen=True)
class Actor:
    """A person acting through the bot. From the directory (Organisation og Personale): `is_hr`, their
    `hr_function`, and `hr_intake` when that function receives Værn's own escalations; `on_call` for a member of
    the on-call group; `work_environment_units`, the ids of the units whose arbejdsmiljøgruppe they are in."""

    person: Person
    is_hr: bool = False
    tenant_id: str | None = None
    hr_function: HrFunction | None = None
    hr_intake: bool = False
    on_call: bool = False
    work_environment_units: frozenset[str] = frozenset()


def _same(actor: Person, other: Person | None) -> bool:
    """The same person by Azure AD object id; without one on either side, nobody."""
    return bool(actor.aad_object_id) and other is not None and other.aad_object_id == actor.aad_object_id


def hr_function_reached(escalated_to: str | None, assigned_to: str | None, actor: Actor) -> bool:
    """An escalation reaches HR's function: the one it went to (None: Værn's own, the intake function), or the one
    HR assigned it to since."""
    if not actor.is_hr or actor.hr_function is None:
        return False
    reached = actor.hr_intake if escalated_to is None else escalated_to == actor.hr_function.value
    return reached or assigned_to == actor.hr_function.value


def _hr_may_see(case: Case, actor: Actor) -> bool:
    escalation = case.handling.hr_escalation
    if escalation is None:
        return False
    if case.tenant_id is not None and actor.tenant_id != case.tenant_id:
        return False
    assigned = case.handling.hr_response.assigned
    return hr_function_reached(
        escalation.function.value if escalation.function else None,
        assigned.function.value if assigned else None,
        actor,
    )


def roles_on(case: Case, actor: Actor) -> set[Role]:
    roles: set[Role] = set()
    if not actor.person.aad_object_id:
        return roles
    if _same(actor.person, case.subject):
        roles.add(Role.SUBJECT)
    if _same(actor.person, case.reporter):
        roles.add(Role.REPORTER)
    if case.status is CaseStatus.DRAFT:
        return roles  # a draft is the reporter's own until it is sent
    if _same(actor.person, case.leader):
        roles.add(Role.LEADER)
    if _same(actor.person, case.deputy):
        roles.add(Role.DEPUTY)
    if _hr_may_see(case, actor):
        roles.add(Role.HR)
    if _on_call_may_see(case, actor):
        roles.add(Role.ON_CALL)
    return roles


def owns_draft(case: Case, actor: Actor) -> bool:
    """A draft (a report not sent) is its reporter's alone: only they continue, send or delete it."""
    return case.status is CaseStatus.DRAFT and Role.REPORTER in roles_on(case, actor)


def _on_call_may_see(case: Case, actor: Actor) -> bool:
    """The on-call group has the case once Værn gave it to them (`handling.on_call`), in the case's tenant."""
    same_tenant = case.tenant_id is None or actor.tenant_id == case.tenant_id
    return actor.on_call and case.handling.on_call is not None and same_tenant


def acting_role(case: Case, actor: Actor) -> Role | None:
    """The role in which the actor may carry out leadership actions, if any."""
    roles = roles_on(case, actor)
    for role in (Role.LEADER, Role.DEPUTY, Role.HR, Role.ON_CALL):
        if role in roles:
            return role
    return None


def in_work_environment_group(unit_id: str, tenant_id: str | None, actor: Actor) -> bool:
    """The actor is in the arbejdsmiljøgruppe of this unit, in its tenant (an object id is needed, as for a role)."""
    same_tenant = not tenant_id or actor.tenant_id == tenant_id
    return bool(actor.person.aad_object_id and unit_id) and unit_id in actor.work_environment_units and same_tenant


def may_analyse(case: Case, actor: Actor) -> bool:
    """A member of the case's unit's arbejdsmiljøgruppe, once leadership sent the case to the group: sees its
    anonymised summary and records the analysis. Never the employee the case is about."""
    sent = case.handling.work_environment is not None and case.status is not CaseStatus.DRAFT
    in_group = in_work_environment_group(case.unit_id, case.tenant_id, actor)
    return sent and in_group and not _same(actor.person, case.subject)


def can_see_case(case: Case, actor: Actor) -> bool:
    return bool(roles_on(case, actor))


def can_act(case: Case, actor: Actor) -> bool:
    return acting_role(case, actor) is not None


def can_read_evidence(case: Case, actor: Actor, uploaded_by: str) -> bool:
    """Leader, deputy, (escalated) HR and (alerted) on-call read all evidence; the employee their case's; a
    colleague who reported on someone's behalf only what they uploaded themselves."""
    roles = roles_on(case, actor)
    if roles & {Role.LEADER, Role.DEPUTY, Role.HR, Role.ON_CALL, Role.SUBJECT}:
        return True
    return Role.REPORTER in roles and uploaded_by == actor.person.user_id


LEADERSHIP_ROLES = frozenset({Role.LEADER, Role.DEPUTY, Role.HR})
BREAK_THE_GLASS_FOR = timedelta(hours=4)  # one working session; after it, a new reason is needed
MIN_REASON_CHARS = 10
MAX_REASON_CHARS = 1000


def may_break_the_glass(actor: Actor, tenant_id: str | None, status: CaseStatus) -> bool:
    """HR (with an object id) may break the glass on a sent case of their own tenant."""
    same_tenant = not tenant_id or actor.tenant_id == tenant_id
    return actor.is_hr and bool(actor.person.aad_object_id) and same_tenant and status is not CaseStatus.DRAFT


def party_to(case: Case, actor: Actor) -> bool:
    """The actor is the case's employee or reported it: their own case is theirs in "Mine sager", never one to
    open with HR's break the glass (leadership's notes and the full access log are not theirs to read that way)."""
    return bool(roles_on(case, actor) & {Role.SUBJECT, Role.REPORTER})


def break_the_glass_reason(text: object) -> str | None:
    """The written reason, trimmed, when it says something (MIN_REASON_CHARS to MAX_REASON_CHARS); else None."""
    if not isinstance(text, str):
        return None
    reason = " ".join(text.split())
    return reason if MIN_REASON_CHARS <= len(reason) <= MAX_REASON_CHARS else None


def glass_open(broken_at: Iterable[datetime], now: datetime) -> bool:
    """A break the glass given at one of these moments still lets its person read the case at `now`."""
    return any(at <= now < at + BREAK_THE_GLASS_FOR for at in broken_at)


def leadership_roles(case: Case, actor: Actor) -> frozenset[Role]:
    """Leader, deputy, or HR the case reached: the roles that open a case in full without breaking the glass."""
    return frozenset(roles_on(case, actor)) & LEADERSHIP_ROLES


def overview_roles(case: Case, actor: Actor, broken_at: Iterable[datetime], now: datetime) -> frozenset[Role]:
    """The roles in which the actor opens a case in the Overblik tab: leader, deputy, or HR it reached; else HR
    while a break the glass of theirs on this case is open; else none (they learn nothing)."""
    roles = leadership_roles(case, actor)
    if roles:
        return roles
    if may_break_the_glass(actor, case.tenant_id, case.status) and glass_open(broken_at, now):
        return frozenset({Role.HR})
    return frozenset()


def sees_access_log(roles: Iterable[Role]) -> bool:
    """The full access log of a case is HR's (the employee sees who opened it: domain.access_log)."""
    return Role.HR in roles


# --- data subject requests (GDPR art. 15 and 16) ----------------------------------------------------------------

SUBJECT_REQUESTS_FUNCTION = HrFunction.JURA  # the HR function that answers data subject requests


def may_answer_subject_requests(actor: Actor) -> bool:
    """Export everything held about a person across the tenant's cases: HR's legal function (Jura) only. The export
    opens every case that names the person, whichever function it reached, so it is kept to the function that
    answers requests under the GDPR rather than to all of HR (need-to-know); each export is audited on every case."""
    return actor.is_hr and bool(actor.person.aad_object_id) and actor.hr_function is SUBJECT_REQUESTS_FUNCTION


def in_tenant(case: Case, actor: Actor) -> bool:
    """The case belongs to the actor's tenant (a case without one: a single-tenant installation)."""
    return case.tenant_id is None or case.tenant_id == actor.tenant_id


def rectification_role(case: Case, actor: Actor) -> Role | None:
    """Who may append a rectification to a case, and as what: its leader or deputy, HR it reached, or HR's function
    for data subject requests (in the case's tenant). Never the employee or a reporter: they ask, leadership or HR
    records it. A draft has no leadership yet: nobody."""
    if case.status is CaseStatus.DRAFT:
        return None
    roles = roles_on(case, actor)
    for role in (Role.LEADER, Role.DEPUTY, Role.HR):
        if role in roles:
            return role
    if may_answer_subject_requests(actor) and in_tenant(case, actor):
        return Role.HR
    return None
