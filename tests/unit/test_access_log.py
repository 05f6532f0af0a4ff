"""Who saw my case: which audit events count as someone opening the case, one entry per deliberate read, the
employee's own reads left out, names and roles only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.access_log import Access, case_reads, newest, who_opened
from domain.audit import AuditEvent
from domain.case import Person

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
EMPLOYEE = Person(user_id="29:mette", name="Mette Hansen", aad_object_id="aad-mette")


def event(action: str, minutes: int, *, who: str = "karen", role: str = "leader", **fields: str) -> AuditEvent:
    return AuditEvent(
        case_id="case-1",
        at=NOW + timedelta(minutes=minutes),
        actor_id=f"29:{who}",
        actor_name=f"{who.title()} Navn",
        role=role,
        action=action,
        actor_aad_object_id=f"aad-{who}",
        **fields,
    )


def test_every_kind_of_deliberate_read_is_one_entry_with_name_role_and_time() -> None:
    events = [
        event("evidence_read", 1, correlation_id="req-1", detail="ev-1"),
        event("evidence_read", 1, correlation_id="req-1", detail="ev-2"),  # the same opening, another item
        event("evidence_read", 30, correlation_id="req-2", detail="ev-1"),  # opened again later
        event("package_built", 40, detail="kind=full package=p1 sha256=ab"),
        event("package_delivered", 41, detail="kind=full package=p1 sha256=ab"),
        event("overview_case_read", 50, who="peter", role="deputy"),
        event("break_the_glass", 60, who="hanne", role="hr", detail="Klage fra medarbejderen"),
    ]

    entries = who_opened(events, EMPLOYEE)

    assert [(e.name, e.role, e.access, e.at - NOW) for e in entries] == [
        ("Karen Navn", "leader", Access.EVIDENCE, timedelta(minutes=1)),
        ("Karen Navn", "leader", Access.EVIDENCE, timedelta(minutes=30)),
        ("Karen Navn", "leader", Access.PACKAGE, timedelta(minutes=40)),
        ("Peter Navn", "deputy", Access.CASE, timedelta(minutes=50)),
        ("Hanne Navn", "hr", Access.BREAK_THE_GLASS, timedelta(minutes=60)),
    ]
    shown = " ".join(entry.model_dump_json() for entry in entries)
    assert "aad-" not in shown and "29:" not in shown and "Klage" not in shown and "sha256" not in shown


def test_changes_refusals_and_the_employees_own_reads_are_not_listed() -> None:
    events = [
        event("acknowledge", 1),
        event("refused", 2, who="ole", role="none", detail="evidence no_role"),
        event("package_built", 3, who="mette", role="subject", detail="kind=police package=p2"),
        AuditEvent(case_id="case-1", at=NOW, actor_id="29:mette", role="subject", action="evidence_read"),
    ]
    assert who_opened(events, EMPLOYEE) == []


def test_the_employee_sees_the_newest_and_how_many_earlier() -> None:
    entries = who_opened([event("overview_case_read", minute) for minute in range(25)], EMPLOYEE)
    shown, earlier = newest(entries, 20)
    assert len(shown) == 20 and earlier == 5 and shown[0].at == NOW + timedelta(minutes=24)


def test_hr_sees_every_deliberate_read_the_employees_own_too_and_no_changes() -> None:
    events = [
        event("acknowledge", 1),
        event("refused", 2, who="ole", role="none", detail="evidence no_role"),
        event("package_built", 3, who="mette", role="subject", detail="kind=police package=p2"),
        event("package_delivered", 4, who="mette", role="subject", detail="kind=police package=p2"),
        event("overview_case_read", 5, who="hanne", role="hr"),
    ]
    entries = case_reads(events)
    assert [(e.name, e.role, e.access) for e in entries] == [
        ("Mette Navn", "subject", Access.PACKAGE),
        ("Hanne Navn", "hr", Access.CASE),
    ]
