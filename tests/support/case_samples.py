"""A reported case with every duty of the guideline recorded, and leadership notes marked so a test can see
whether they leaked into something the employee gets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.case import (
    Case,
    CaseStatus,
    Channel,
    HarassmentKind,
    Impact,
    Incident,
    Offender,
    OffenderRelation,
    Person,
    Witness,
)
from domain.handling import (
    Acknowledgement,
    Closure,
    ContactMethod,
    ContactRestrictions,
    FirstAid,
    FollowUp,
    Handling,
    HrEscalation,
    HrFunction,
    OffenderContact,
    PoliceReport,
    Removal,
    RemovalStatus,
    SafetyNetCategory,
    SafetyNetRegistration,
    Signed,
    WorkEnvironmentReview,
)

# Leadership's own notes: never in a police package.
OUTCOME_NOTE = "NOTE-OUTCOME-4411"
HR_NOTE = "NOTE-HR-5522"
CONCLUSION_NOTE = "NOTE-CONCLUSION-6633"
INITIATIVE_NOTE = "NOTE-INITIATIVE-7744"
CLOSING_NOTE = "NOTE-CLOSING-8855"
LEADER_NOTES = (OUTCOME_NOTE, HR_NOTE, CONCLUSION_NOTE, INITIATIVE_NOTE, CLOSING_NOTE)
# What the employee may see and the police need.
DESCRIPTION = "Han skrev, at han ved hvor jeg bor på Ærø, og at jeg skal passe på. Blåbærgrød-MARKER-1199"
JOURNAL_NUMBER = "4100-84210-00017-26"

EMPLOYEE = Person(user_id="29:employee", name="Søren Østergaard", aad_object_id="aad-employee")
COLLEAGUE = Person(user_id="29:colleague", name="Åse Kjær", aad_object_id="aad-colleague")
LEADER = Person(user_id="29:leader", name="Birgitte Lærke", aad_object_id="aad-leader")
DEPUTY = Person(user_id="29:deputy", name="Jens Møller", aad_object_id="aad-deputy")
HR = Person(user_id="29:hr", name="Hanne Jura", aad_object_id="aad-hr")
STRANGER = Person(user_id="29:stranger", name="Ukendt Person", aad_object_id="aad-stranger")
TENANT = "tenant-1"
CASE_ID = "c0ffee00c0ffee00c0ffee00c0ffee00"
REPORTED_AT = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def signed(person: Person, hours: float) -> dict:
    return Signed(by=person.user_id, by_name=person.name, at=REPORTED_AT + timedelta(hours=hours)).model_dump()


def full_case(*, reporter: Person = EMPLOYEE, status: CaseStatus = CaseStatus.CLOSED) -> Case:
    """A case from report to closure, every duty recorded, notes marked."""
    handling = Handling(
        acknowledged=Acknowledgement(**signed(LEADER, 1)),
        first_aid=FirstAid(
            talked_through_on=date(2026, 11, 20),
            colleagues_informed_on=date(2026, 11, 21),
            debriefing_held=True,
            recorded=Signed(**signed(LEADER, 2)),
        ),
        offender_contacts=[
            OffenderContact(
                **signed(LEADER, 3),
                method=ContactMethod.LETTER,
                contacted_on=date(2026, 11, 21),
                outcome=f"Han lovede at stoppe {OUTCOME_NOTE}",
            )
        ],
        restrictions=ContactRestrictions(
            **signed(LEADER, 4),
            ban_until=date(2026, 12, 31),
            no_replies_to_mail_or_letters=True,
            functional_mailbox_only=True,
        ),
        removals=[
            Removal(
                **signed(DEPUTY, 5),
                link="https://www.facebook.com/groups/1/posts/2",
                platform="Facebook",
                status=RemovalStatus.REQUESTED,
            )
        ],
        police=PoliceReport(
            **signed(LEADER, 6),
            employee_decided_to_report=True,
            reported_on=date(2026, 11, 22),
            journal_number=JOURNAL_NUMBER,
        ),
        safetynet=SafetyNetRegistration(
            **signed(LEADER, 7),
            category=SafetyNetCategory.MINOR_VIOLENCE_THREATS_HARASSMENT,
            registered_on=date(2026, 11, 22),
            doctor_advised=True,
        ),
        hr_escalation=HrEscalation(**signed(LEADER, 8), function=HrFunction.JURA, message=f"Hjælp til brev {HR_NOTE}"),
        work_environment=WorkEnvironmentReview(
            **signed(LEADER, 9),
            conclusion=f"Navneskilte {CONCLUSION_NOTE}",
            new_initiative=f"Fornavne {INITIATIVE_NOTE}",
        ),
        closure=Closure(
            **signed(LEADER, 10), employee_informed=True, follow_up=FollowUp.DONE, reason=f"Stoppet {CLOSING_NOTE}"
        )
        if status is CaseStatus.CLOSED
        else None,
    )
    return Case(
        case_id=CASE_ID,
        reference="VK-2026-0042",
        status=status,
        subject=EMPLOYEE,
        reporter=reporter,
        incident=Incident(
            urgent=True,
            kinds=[HarassmentKind.THREATS, HarassmentKind.PRIVATE_INFORMATION],
            during_work_hours=True,
            colleagues_targeted=False,
            channel=Channel.FACEBOOK,
            occurred_at=REPORTED_AT - timedelta(hours=3),
            description=DESCRIPTION,
            offender=Offender(
                name="Łukasz Şahin-Đorđević", profile="fb.com/lukas.s", relation=OffenderRelation.CITIZEN
            ),
            links=["https://www.facebook.com/groups/1/posts/2", "https://www.facebook.com/lukas.s"],
            witnesses=[Witness(name="Karen Blixen", phone="+45 20 30 40 50")],
            impact=Impact(score=4, text="Jeg sover dårligt og er bange for at gå hjem 😟"),
        ),
        created_at=REPORTED_AT,
        tenant_id=TENANT,
        service_url="https://smba.trafficmanager.net/emea/",
        unit="Borgerservice Nord",
        unit_id="unit-1",
        leader=LEADER,
        deputy=DEPUTY,
        handling=handling,
        version=11,
    )
