"""Who may see and do what on a case (need-to-know). Anyone without a role learns nothing, not even that
the case exists.

Every role is decided by the Azure AD object id alone (Teams' `from.aadObjectId`): an actor without one has no
role on any case, and a matching Teams user id or name counts for nothing. HR (Organisation og Personale) sees an
escalated case only when they belong to the function it went to: the one the leader named, the intake function
for Værn's own escalation, and the one HR assigned it to since. The on-call group (domain.urgency) sees and acts on
an urgent case as a deputy does, once Værn gave it to them because nobody acknowledged it in time.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    the on-call group."""

    person: Person
    is_hr: bool = False
    tenant_id: str | None = None
    hr_function: HrFunction | None = None
    hr_intake: bool = False
    on_call: bool = False


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
