"""Who may see and do what on a case (need-to-know). Anyone without a role learns nothing, not even that
the case exists."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.case import Case, CaseStatus, Person


class Role(StrEnum):
    SUBJECT = "subject"
    REPORTER = "reporter"
    LEADER = "leader"
    DEPUTY = "deputy"
    HR = "hr"


@dataclass(frozen=True)
class Actor:
    """A person acting through the bot; `is_hr` comes from the directory (Organisation og Personale)."""

    person: Person
    is_hr: bool = False
    tenant_id: str | None = None


def roles_on(case: Case, actor: Actor) -> set[Role]:
    roles: set[Role] = set()
    if case.subject.is_(actor.person):
        roles.add(Role.SUBJECT)
    if case.reporter.is_(actor.person):
        roles.add(Role.REPORTER)
    if case.status is CaseStatus.DRAFT:
        return roles  # a draft is the reporter's own until it is sent
    if actor.person.is_(case.leader):
        roles.add(Role.LEADER)
    if actor.person.is_(case.deputy):
        roles.add(Role.DEPUTY)
    same_tenant = case.tenant_id is None or actor.tenant_id == case.tenant_id
    if actor.is_hr and same_tenant and case.handling.hr_escalation is not None:
        roles.add(Role.HR)
    return roles


def acting_role(case: Case, actor: Actor) -> Role | None:
    """The role in which the actor may carry out leadership actions, if any."""
    roles = roles_on(case, actor)
    for role in (Role.LEADER, Role.DEPUTY, Role.HR):
        if role in roles:
            return role
    return None


def can_see_case(case: Case, actor: Actor) -> bool:
    return bool(roles_on(case, actor))


def can_act(case: Case, actor: Actor) -> bool:
    return acting_role(case, actor) is not None


def can_read_evidence(case: Case, actor: Actor, uploaded_by: str) -> bool:
    """Leader, deputy and (escalated) HR read all evidence; the employee their case's; a colleague who
    reported on someone's behalf only what they uploaded themselves."""
    roles = roles_on(case, actor)
    if roles & {Role.LEADER, Role.DEPUTY, Role.HR, Role.SUBJECT}:
        return True
    return Role.REPORTER in roles and uploaded_by == actor.person.user_id
