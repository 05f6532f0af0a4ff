"""Need-to-know: who sees a case, who may act on it, and who reads which evidence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from domain.authorization import (
    BREAK_THE_GLASS_FOR,
    Actor,
    Role,
    acting_role,
    break_the_glass_reason,
    can_act,
    can_read_evidence,
    can_see_case,
    may_break_the_glass,
    overview_roles,
    roles_on,
    sees_access_log,
)
from domain.case import Case, CaseStatus, Incident, Person
from domain.evidence import EvidenceItem, EvidenceSource
from domain.handling import HrAssignment, HrEscalation, HrFunction
from domain.reporting import ReportDraft, to_case

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

EMPLOYEE = Person(user_id="29:employee", name="Mette Hansen", aad_object_id="aad-mette")
COLLEAGUE = Person(user_id="29:colleague", name="Anne Jensen", aad_object_id="aad-anne")
LEADER = Person(user_id="29:leader", name="Karen Leder", aad_object_id="aad-karen")
DEPUTY = Person(user_id="29:deputy", name="Peter Stedfortræder", aad_object_id="aad-peter")
STRANGER = Person(user_id="29:stranger", name="Ole Anden Enhed", aad_object_id="aad-ole")
HR_PERSON = Person(user_id="29:hr", name="Hanne HR", aad_object_id="aad-hanne")


def _evidence(case_id: str, uploaded_by: str) -> EvidenceItem:
    return EvidenceItem(
        evidence_id=f"ev-{uploaded_by}",
        case_id=case_id,
        sha256="ab" * 32,
        size=1024,
        content_type="image/png",
        original_name="screenshot.png",
        received_at=NOW,
        uploaded_by=uploaded_by,
        source=EvidenceSource.TEAMS_FILE,
    )


def _with_leadership(case: Case) -> Case:
    return case.model_copy(update={"unit": "Jobcenter Nord", "leader": LEADER, "deputy": DEPUTY})


def _own_case(status: CaseStatus = CaseStatus.REPORTED) -> Case:
    """The employee reported their own case."""
    draft = ReportDraft(case_id="case-own", reporter=EMPLOYEE, tenant_id="tenant-1")
    case = to_case(
        draft, reference="VAERN-1", evidence=[_evidence("case-own", EMPLOYEE.user_id)], now=NOW, status=status
    )
    return _with_leadership(case)


def _on_behalf_case(status: CaseStatus = CaseStatus.REPORTED) -> Case:
    """A colleague reported on the employee's behalf (the subject is a real Teams user here)."""
    case = Case(
        case_id="case-behalf",
        reference="VAERN-2",
        status=status,
        subject=EMPLOYEE,
        reporter=COLLEAGUE,
        incident=Incident(description="Trusler på Facebook."),
        evidence=[_evidence("case-behalf", COLLEAGUE.user_id), _evidence("case-behalf", EMPLOYEE.user_id)],
        created_at=NOW,
        tenant_id="tenant-1",
    )
    return _with_leadership(case)


def _escalated(case: Case) -> Case:
    escalated = case.model_copy(deep=True)
    escalated.handling.hr_escalation = HrEscalation(
        by=LEADER.user_id, by_name=LEADER.name, at=NOW, function=HrFunction.JURA, message="Bistand til politianmeldelse"
    )
    return escalated


# Seeing a case


def test_subject_sees_own_case() -> None:
    case = _own_case()
    assert can_see_case(case, Actor(EMPLOYEE))
    assert roles_on(case, Actor(EMPLOYEE)) == {Role.SUBJECT, Role.REPORTER}


def test_subject_sees_case_a_colleague_reported_for_them() -> None:
    case = _on_behalf_case()
    assert can_see_case(case, Actor(EMPLOYEE))
    assert roles_on(case, Actor(EMPLOYEE)) == {Role.SUBJECT}


def test_on_behalf_reporter_sees_the_case_they_reported() -> None:
    draft = ReportDraft(case_id="case-named", reporter=COLLEAGUE, on_behalf_of="Mette Hansen", tenant_id="tenant-1")
    case = _with_leadership(to_case(draft, reference="VAERN-3", evidence=[], now=NOW, status=CaseStatus.REPORTED))
    assert case.reported_on_behalf
    assert can_see_case(case, Actor(COLLEAGUE))
    assert roles_on(case, Actor(COLLEAGUE)) == {Role.REPORTER}


def test_on_behalf_reporter_cannot_act() -> None:
    case = _on_behalf_case()
    assert not can_act(case, Actor(COLLEAGUE))
    assert acting_role(case, Actor(COLLEAGUE)) is None


def test_subject_cannot_act_on_own_case() -> None:
    assert not can_act(_own_case(), Actor(EMPLOYEE))


@pytest.mark.parametrize("make_case", [_own_case, _on_behalf_case])
def test_stranger_in_other_unit_sees_nothing_and_cannot_act(make_case: Callable[[], Case]) -> None:
    case = make_case()
    stranger = Actor(STRANGER)
    assert roles_on(case, stranger) == set()
    assert not can_see_case(case, stranger)
    assert not can_act(case, stranger)
    assert acting_role(case, stranger) is None
    assert not any(can_read_evidence(case, stranger, item.uploaded_by) for item in case.evidence)


def test_leader_cannot_see_other_units_case() -> None:
    other_unit = _own_case().model_copy(update={"unit": "Børn og Unge", "leader": STRANGER, "deputy": None})
    assert not can_see_case(other_unit, Actor(LEADER))
    assert not can_act(other_unit, Actor(LEADER))


def test_leader_can_see_and_act() -> None:
    case = _own_case()
    assert can_see_case(case, Actor(LEADER))
    assert can_act(case, Actor(LEADER))
    assert acting_role(case, Actor(LEADER)) is Role.LEADER


def test_deputy_can_see_and_act() -> None:
    case = _own_case()
    assert can_see_case(case, Actor(DEPUTY))
    assert can_act(case, Actor(DEPUTY))
    assert acting_role(case, Actor(DEPUTY)) is Role.DEPUTY


def test_case_without_leader_or_deputy_has_no_one_to_act() -> None:
    case = _own_case().model_copy(update={"leader": None, "deputy": None})
    for person in (EMPLOYEE, LEADER, DEPUTY, STRANGER):
        assert not can_act(case, Actor(person))


# HR


def test_hr_cannot_see_or_act_before_escalation() -> None:
    case = _own_case()
    hr = Actor(HR_PERSON, is_hr=True, tenant_id="tenant-1", hr_function=HrFunction.JURA)
    assert not can_see_case(case, hr)
    assert not can_act(case, hr)
    assert not can_read_evidence(case, hr, EMPLOYEE.user_id)


def test_hr_can_see_and_act_after_escalation() -> None:
    case = _escalated(_own_case())
    hr = Actor(HR_PERSON, is_hr=True, tenant_id="tenant-1", hr_function=HrFunction.JURA)
    assert can_see_case(case, hr)
    assert can_act(case, hr)
    assert acting_role(case, hr) is Role.HR


def test_non_hr_stranger_cannot_see_escalated_case() -> None:
    case = _escalated(_own_case())
    assert not can_see_case(case, Actor(STRANGER))
    assert not can_act(case, Actor(STRANGER))


# Drafts


def test_draft_is_visible_to_its_reporter_and_subject_only() -> None:
    case = _escalated(_own_case(CaseStatus.DRAFT))
    assert can_see_case(case, Actor(EMPLOYEE))
    assert not can_see_case(case, Actor(LEADER))
    assert not can_see_case(case, Actor(DEPUTY))
    assert not can_see_case(case, Actor(HR_PERSON, is_hr=True, tenant_id="tenant-1", hr_function=HrFunction.JURA))
    assert not can_see_case(case, Actor(STRANGER))


def test_leader_cannot_act_on_a_draft() -> None:
    case = _own_case(CaseStatus.DRAFT)
    assert not can_act(case, Actor(LEADER))
    assert not can_act(case, Actor(DEPUTY))
    assert not can_read_evidence(case, Actor(LEADER), EMPLOYEE.user_id)


def test_on_behalf_draft_is_visible_to_reporter_not_leader() -> None:
    case = _on_behalf_case(CaseStatus.DRAFT)
    assert can_see_case(case, Actor(COLLEAGUE))
    assert can_see_case(case, Actor(EMPLOYEE))
    assert not can_see_case(case, Actor(LEADER))


# Person.is_


def test_person_matches_by_aad_id_even_if_teams_ids_differ() -> None:
    same = Person(user_id="29:other-registration", aad_object_id=EMPLOYEE.aad_object_id)
    assert EMPLOYEE.is_(same)
    assert same.is_(EMPLOYEE)


def test_person_with_different_aad_ids_differs_even_with_same_teams_id() -> None:
    impostor = Person(user_id=EMPLOYEE.user_id, aad_object_id="aad-someone-else")
    assert not EMPLOYEE.is_(impostor)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (Person(user_id="29:a"), Person(user_id="29:a"), True),
        (Person(user_id="29:a"), Person(user_id="29:b"), False),
        (Person(user_id="29:a", aad_object_id="aad-a"), Person(user_id="29:a"), True),
        (Person(user_id="29:a"), Person(user_id="29:a", aad_object_id="aad-a"), True),
        (Person(user_id="29:a", aad_object_id="aad-a"), Person(user_id="29:b"), False),
        (Person(user_id="29:a", aad_object_id=""), Person(user_id="29:a", aad_object_id="aad-a"), True),
    ],
)
def test_person_matches_by_user_id_when_an_aad_id_is_missing(first: Person, second: Person, expected: bool) -> None:
    assert first.is_(second) is expected


def test_person_is_never_none() -> None:
    assert not EMPLOYEE.is_(None)


def test_leader_recognised_by_aad_id_when_teams_id_differs() -> None:
    case = _own_case()
    same_leader = Person(user_id="29:leader-in-other-app", aad_object_id=LEADER.aad_object_id)
    assert acting_role(case, Actor(same_leader)) is Role.LEADER


def test_someone_reusing_leaders_teams_id_with_other_aad_id_is_not_leader() -> None:
    case = _own_case()
    other = Person(user_id=LEADER.user_id, aad_object_id="aad-not-karen")
    assert not can_see_case(case, Actor(other))


# Evidence


def test_on_behalf_reporter_reads_only_evidence_they_uploaded() -> None:
    case = _on_behalf_case()
    reporter = Actor(COLLEAGUE)
    assert can_read_evidence(case, reporter, COLLEAGUE.user_id)
    assert not can_read_evidence(case, reporter, EMPLOYEE.user_id)
    assert not can_read_evidence(case, reporter, LEADER.user_id)


@pytest.mark.parametrize("person", [EMPLOYEE, LEADER, DEPUTY])
def test_subject_leader_and_deputy_read_all_evidence(person: Person) -> None:
    case = _on_behalf_case()
    for item in case.evidence:
        assert can_read_evidence(case, Actor(person), item.uploaded_by)
    assert can_read_evidence(case, Actor(person), "29:someone-else")


def test_escalated_hr_reads_all_evidence() -> None:
    case = _escalated(_on_behalf_case())
    hr = Actor(HR_PERSON, is_hr=True, tenant_id="tenant-1", hr_function=HrFunction.JURA)
    for item in case.evidence:
        assert can_read_evidence(case, hr, item.uploaded_by)


def test_stranger_reads_no_evidence_even_their_own_upload_id() -> None:
    case = _on_behalf_case()
    assert not can_read_evidence(case, Actor(STRANGER), STRANGER.user_id)
    assert not can_read_evidence(case, Actor(STRANGER), COLLEAGUE.user_id)


# acting_role


def test_acting_role_prefers_leader_over_deputy_and_hr() -> None:
    case = _escalated(_own_case()).model_copy(update={"deputy": LEADER})
    actor = Actor(LEADER, is_hr=True, tenant_id="tenant-1", hr_function=HrFunction.JURA)
    assert roles_on(case, actor) >= {Role.LEADER, Role.DEPUTY, Role.HR}
    assert acting_role(case, actor) is Role.LEADER


def test_acting_role_prefers_deputy_over_hr() -> None:
    case = _escalated(_own_case())
    actor = Actor(DEPUTY, is_hr=True, tenant_id="tenant-1", hr_function=HrFunction.JURA)
    assert roles_on(case, actor) == {Role.DEPUTY, Role.HR}
    assert acting_role(case, actor) is Role.DEPUTY


def test_acting_role_of_leader_who_is_also_subject_is_leader() -> None:
    case = _own_case().model_copy(update={"leader": EMPLOYEE})
    assert acting_role(case, Actor(EMPLOYEE)) is Role.LEADER


def test_hr_of_another_tenant_sees_nothing_of_an_escalated_case() -> None:
    case = _escalated(_own_case())
    assert can_see_case(case, Actor(HR_PERSON, is_hr=True, tenant_id="tenant-1", hr_function=HrFunction.JURA))
    assert not can_see_case(case, Actor(HR_PERSON, is_hr=True, tenant_id="tenant-2", hr_function=HrFunction.JURA))


# Roles by Azure AD object id alone


@pytest.mark.parametrize("person", [EMPLOYEE, COLLEAGUE, LEADER, DEPUTY])
def test_the_teams_id_of_someone_with_a_role_without_an_aad_id_has_no_role(person: Person) -> None:
    case = _escalated(_on_behalf_case())
    impostor = Person(user_id=person.user_id, name="Mallory")
    for is_hr in (False, True):
        actor = Actor(impostor, is_hr=is_hr, tenant_id="tenant-1", hr_function=HrFunction.JURA if is_hr else None)
        assert roles_on(case, actor) == set()
        assert not can_read_evidence(case, actor, person.user_id)


def test_people_stored_without_an_aad_id_are_matched_by_no_one() -> None:
    case = _own_case().model_copy(update={"leader": Person(user_id="29:leader", name="Karen Leder")})
    assert not can_act(case, Actor(Person(user_id="29:leader")))
    assert not can_act(case, Actor(LEADER))


# HR: only the function the case went to


COORDINATOR = Person(user_id="29:coordinator", name="Karsten Koordinator", aad_object_id="aad-karsten")


def _hr(person: Person, function: HrFunction, *, intake: bool = False) -> Actor:
    return Actor(person, is_hr=True, tenant_id="tenant-1", hr_function=function, hr_intake=intake)


def test_hr_of_another_function_sees_nothing_of_a_case_escalated_to_jura() -> None:
    case = _escalated(_own_case())
    coordinator = _hr(COORDINATOR, HrFunction.WORK_ENVIRONMENT_COORDINATOR, intake=True)
    assert roles_on(case, coordinator) == set()
    assert not can_read_evidence(case, coordinator, EMPLOYEE.user_id)
    assert acting_role(case, _hr(HR_PERSON, HrFunction.JURA)) is Role.HR


def test_hr_without_a_function_sees_no_escalated_case() -> None:
    assert not can_see_case(_escalated(_own_case()), Actor(HR_PERSON, is_hr=True, tenant_id="tenant-1"))


def test_an_automatic_escalation_goes_to_the_intake_function_only() -> None:
    case = _own_case()
    case.handling.hr_escalation = HrEscalation(by="vaern", by_name="Værn", at=NOW, automatic_reason="ack_overdue")
    assert can_see_case(case, _hr(COORDINATOR, HrFunction.WORK_ENVIRONMENT_COORDINATOR, intake=True))
    assert not can_see_case(case, _hr(HR_PERSON, HrFunction.JURA))
    assert can_see_case(case, _hr(HR_PERSON, HrFunction.JURA, intake=True))  # when Jura is the intake


def test_the_function_hr_assigned_the_case_to_sees_it_too() -> None:
    case = _own_case()
    case.handling.hr_escalation = HrEscalation(by="vaern", by_name="Værn", at=NOW, automatic_reason="ack_overdue")
    case.handling.hr_response.assigned = HrAssignment(by=COORDINATOR.user_id, at=NOW, function=HrFunction.JURA)
    assert can_see_case(case, _hr(HR_PERSON, HrFunction.JURA))
    assert can_see_case(case, _hr(COORDINATOR, HrFunction.WORK_ENVIRONMENT_COORDINATOR, intake=True))


# Break the glass (the Overblik tab)

JURA = Actor(HR_PERSON, is_hr=True, tenant_id="tenant-1", hr_function=HrFunction.JURA)


def test_hr_opens_an_escalated_case_without_breaking_the_glass() -> None:
    assert overview_roles(_escalated(_own_case()), JURA, [], NOW) == {Role.HR}


def test_hr_opens_a_case_that_did_not_reach_them_only_while_their_glass_is_broken() -> None:
    case = _own_case()
    assert overview_roles(case, JURA, [], NOW) == frozenset()
    assert overview_roles(case, JURA, [NOW], NOW) == {Role.HR}
    assert overview_roles(case, JURA, [NOW], NOW + BREAK_THE_GLASS_FOR - timedelta(seconds=1)) == {Role.HR}
    assert overview_roles(case, JURA, [NOW], NOW + BREAK_THE_GLASS_FOR) == frozenset()  # time is up
    assert overview_roles(case, JURA, [NOW + timedelta(hours=1)], NOW) == frozenset()  # not before it was given


def test_breaking_the_glass_reads_and_never_acts() -> None:
    case = _own_case()
    assert not can_act(case, JURA) and not can_see_case(case, JURA)


def test_only_hr_of_the_cases_tenant_may_break_the_glass_on_a_sent_case() -> None:
    assert may_break_the_glass(JURA, "tenant-1", CaseStatus.REPORTED)
    assert not may_break_the_glass(JURA, "tenant-2", CaseStatus.REPORTED)
    assert not may_break_the_glass(JURA, "tenant-1", CaseStatus.DRAFT)
    assert not may_break_the_glass(Actor(LEADER, tenant_id="tenant-1"), "tenant-1", CaseStatus.REPORTED)
    nameless = Actor(Person(user_id="29:x", name="X"), is_hr=True, tenant_id="tenant-1")
    assert not may_break_the_glass(nameless, "tenant-1", CaseStatus.REPORTED)
    leader = Actor(LEADER, tenant_id="tenant-1")
    assert overview_roles(_own_case(), leader, [NOW], NOW) == {Role.LEADER}
    assert overview_roles(_own_case(), Actor(STRANGER, tenant_id="tenant-1"), [NOW], NOW) == frozenset()


@pytest.mark.parametrize("text", [None, "", "   ", "kort", 42, "x" * 1001])
def test_breaking_the_glass_needs_a_written_reason(text: object) -> None:
    assert break_the_glass_reason(text) is None


def test_the_reason_is_kept_trimmed() -> None:
    assert break_the_glass_reason("  Klage fra\nmedarbejderen  ") == "Klage fra medarbejderen"


def test_only_hr_sees_the_full_access_log() -> None:
    assert sees_access_log({Role.HR}) and not sees_access_log({Role.LEADER, Role.DEPUTY, Role.SUBJECT})
