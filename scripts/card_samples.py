"""Sample cards for `render_cards.py`: every Adaptive Card Værn sends, in both languages, in the states a
person meets (each report question, summary, the choice of leader, the leader's card from new to closed with
each duty done, urgent, the EFTER phase with absence, check-ins and HR's advice, HR escalation by the leader or
by Værn with what is overdue, the employee's status and check-ins, "Mine sager" with a case's status and adding
evidence, the evidence view, the choice of case for a package, the anonymised summary for the work environment
group, the guidance cards for every platform, the privacy notice, and the unit's beredskabsplan from each question to
the saved plan as an editor and an employee see it). Made from realistic, fixed data. Teams attachments that are not
Adaptive Cards (file consent and file info cards) are not here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import content
from cards import guidance, report
from cards import response_plan as plan_cards
from cards.case_package import MAX_CHOICES, choose_case_card
from cards.check_in import check_in_card
from cards.choose_leader import choose_leader_card
from cards.evidence import evidence_card
from cards.leader.employee_view import employee_status_card
from cards.leader.hr_view import hr_escalation_card
from cards.leader.leader_view import leader_card
from cards.my_cases import (
    CaseEntry,
    add_evidence_card,
    case_detail_card,
    delete_draft_card,
    is_open,
    my_cases_card,
    which_case_card,
)
from cards.privacy import DataProtectionOfficer, privacy_notice_card
from cards.summary import submitted_card, summary_card
from cards.welcome import welcome_card
from cards.work_environment import anonymised_summary_card
from content import SUPPORTED, Texts
from domain.access_log import Access, AccessEntry
from domain.authorization import Role
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
from domain.case_package import PackageKind
from domain.evidence import EvidenceItem, EvidenceSource
from domain.follow_ups import JobKind
from domain.handling import (
    Absence,
    Acknowledgement,
    CheckInAnswer,
    Closure,
    ContactMethod,
    ContactRestrictions,
    Duty,
    DutyReason,
    FirstAid,
    FollowUp,
    Handling,
    HrAdvice,
    HrAssignment,
    HrEscalation,
    HrFunction,
    HrResponse,
    OffenderContact,
    PoliceReport,
    Removal,
    RemovalStatus,
    SafetyNetCategory,
    SafetyNetRegistration,
    Signed,
    WorkEnvironmentAnalysis,
    WorkEnvironmentReview,
)
from domain.leader_actions import Verb
from domain.reporting import MAX_LINKS, ReportDraft
from domain.response_plan import (
    MAX_ANSWER,
    MAX_CONTACT,
    MAX_ROLE,
    QUESTION_KEYS,
    Contacts,
    ResponsePlan,
    RolesWhenItHappens,
)
from domain.retention import RetentionPolicy

Card = dict[str, Any]
DESKTOP, PHONE = 480, 360
CRISIS_LINE = "89 70 12 99"
CASE_ID = "5f0c3a9e8b7d4c21a6e1f2d3b4c5a6e7"
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
DAY = date(2026, 11, 25)

EMPLOYEE = Person(user_id="29:mette", name="Mette Hansen", aad_object_id="aad-mette")
COLLEAGUE = Person(user_id="29:anne", name="Anne Jensen", aad_object_id="aad-anne")
LEADER = Person(user_id="29:karen", name="Karen Nielsen", aad_object_id="aad-karen")
DEPUTY = Person(user_id="29:peter", name="Peter Holm", aad_object_id="aad-peter")
HR_PERSON = Person(user_id="29:hanne", name="Hanne Bach", aad_object_id="aad-hanne")
SIGNED = Signed(by=LEADER.user_id, by_name=LEADER.name, at=NOW + timedelta(minutes=20)).model_dump()
HR_SIGNED = Signed(by=HR_PERSON.user_id, by_name=HR_PERSON.name, at=NOW + timedelta(days=1, hours=2)).model_dump()
REFRESH_USERS = [EMPLOYEE.user_id, LEADER.user_id, DEPUTY.user_id]
LINKS = ["https://www.facebook.com/groups/silkeborgdebat/posts/184467", "https://www.facebook.com/profile.php?id=1000"]


@dataclass(frozen=True)
class Sample:
    """One card to render: `name` is the file name, `title` what docs/cards/index.md says it shows."""

    name: str
    title: str
    card: Card
    widths: tuple[int, ...] = (DESKTOP,)
    expand: tuple[str, ...] = ()  # one name per Action.ShowCard, in document order: also shown opened ("": not)


def texts_for(language: str) -> Texts:
    return content.texts_for(language, CRISIS_LINE)


# --- sample data --------------------------------------------------------------------------------------------


def _incident(**changes: Any) -> Incident:
    incident = Incident(
        kinds=[HarassmentKind.THREATS, HarassmentKind.PRIVATE_INFORMATION],
        during_work_hours=True,
        colleagues_targeted=False,
        channel=Channel.FACEBOOK,
        occurred_at=NOW - timedelta(hours=3),
        description=(
            "En borger skrev i en lokal Facebook-gruppe, at Mette 'skal passe på, når hun går hjem', "
            "og delte et billede af hendes bil."
        ),
        offender=Offender(
            name="Ole Olsen", profile="facebook.com/profile.php?id=1000", relation=OffenderRelation.CITIZEN
        ),
        links=LINKS,
        witnesses=[Witness(name="Lars Nielsen", phone="+45 98 76 54 32")],
        impact=Impact(score=3, text="Jeg sover dårligt og er utryg ved at gå hjem."),
    )
    return incident.model_copy(update=changes)


def _evidence(count: int) -> list[EvidenceItem]:
    names = ["skaermbillede-facebook.png", "trusselsmail.eml", "telefonsvarer.m4a"]
    types = ["image/png", "message/rfc822", "audio/mp4"]
    return [
        EvidenceItem(
            evidence_id=f"ev-{n}",
            case_id=CASE_ID,
            sha256=f"{n:02d}" + "3fa9c1e07b" * 6 + "d2",
            size=48_213 * (n + 1),
            content_type=types[n % 3],
            original_name=names[n % 3],
            received_at=NOW - timedelta(minutes=50 - n),
            uploaded_by=EMPLOYEE.user_id,
            source=EvidenceSource.TEAMS_FILE,
        )
        for n in range(count)
    ]


def _case(**changes: Any) -> Case:
    case = Case(
        case_id=CASE_ID,
        reference="VK-2026-0042",
        subject=EMPLOYEE,
        reporter=EMPLOYEE,
        incident=_incident(),
        created_at=NOW,
        tenant_id="tenant-1",
        unit="Jobcenter Silkeborg",
        leader=LEADER,
        deputy=DEPUTY,
        version=2,
    )
    return case.model_copy(update=changes)


ACKNOWLEDGED = Handling(acknowledged=Acknowledgement(**SIGNED))

DONE: dict[Verb, dict[str, Any]] = {
    Verb.FIRST_AID: {
        "first_aid": FirstAid(talked_through_on=DAY, colleagues_informed_on=DAY, debriefing_held=True, recorded=SIGNED)
    },
    Verb.CONTACT_OFFENDER: {
        "offender_contacts": [
            OffenderContact(**SIGNED, method=ContactMethod.LETTER, contacted_on=DAY, outcome="Brev sendt.")
        ]
    },
    Verb.RESTRICTIONS: {
        "restrictions": ContactRestrictions(
            **SIGNED,
            ban_until=date(2027, 2, 28),
            no_personal_or_phone_contact=True,
            functional_mailbox_only=True,
            limited_contact_hours="man–tors 9–12",
        )
    },
    Verb.REMOVAL: {
        "removals": [
            Removal(**SIGNED, link=LINKS[0], platform="Facebook", status=RemovalStatus.REMOVED),
            Removal(**SIGNED, link=LINKS[1], platform="Facebook", status=RemovalStatus.REQUESTED),
        ]
    },
    Verb.POLICE: {
        "police": PoliceReport(
            **SIGNED, employee_decided_to_report=True, reported_on=DAY, journal_number="3700-80151-00123-26"
        )
    },
    Verb.SAFETYNET: {
        "safetynet": SafetyNetRegistration(
            **SIGNED, category=SafetyNetCategory.MINOR_VIOLENCE_THREATS_HARASSMENT, registered_on=DAY
        )
    },
    Verb.ESCALATE_HR: {
        "hr_escalation": HrEscalation(
            **SIGNED, function=HrFunction.JURA, message="Kan vi give borgeren et kontaktforbud til hele kommunen?"
        )
    },
    Verb.WORK_ENVIRONMENT: {"work_environment": WorkEnvironmentReview(sent=Signed(**SIGNED))},
}
GROUP_ANALYSIS = WorkEnvironmentAnalysis(
    by="aad:aad-anna",
    by_name="Anna Arbejdsmiljø",
    at=NOW + timedelta(days=12),
    causes="Fulde navne og billeder på skiltene ved skranken gjorde medarbejderen let at finde på nettet.",
    measures="Kun fornavne på skilte og i mails fra 1. maj; fælles funktionspostkasse.",
    plan_change=True,
    plan_change_text="Spørgsmålet om genkendelighed: kun fornavne på skilte og i signaturer.",
)


HR_ADVICE = (
    "Registrér hændelsen som arbejdsskade i SafetyNet, og anmeld den i EASY inden fristen. "
    "Ring gerne til mig, før I skriver til borgeren – jeg hjælper med formuleringen."
)
CHECK_IN_HARD = CheckInAnswer(
    by=EMPLOYEE.user_id,
    by_name=EMPLOYEE.name,
    at=NOW + timedelta(days=3),
    day=3,
    score=4,
    text="Jeg sover stadig dårligt og tør ikke tage bilen på arbejde.",
    talk_to_leader=True,
)


def _follow_up(handling: Handling) -> Handling:
    """The EFTER phase under way: absent since the day after, a hard check-in on day 3, HR has answered."""
    return handling.model_copy(
        update={
            "absence": Absence(**SIGNED, first_day=DAY + timedelta(days=1)),
            "check_ins": [CHECK_IN_HARD],
            "hr_response": HrResponse(
                acknowledged=Signed(**HR_SIGNED),
                assigned=HrAssignment(**HR_SIGNED, function=HrFunction.WORK_ENVIRONMENT_COORDINATOR),
                advice=[HrAdvice(**HR_SIGNED, text=HR_ADVICE)],
            ),
        }
    )


def _handling(*verbs: Verb, closed: bool = False) -> Handling:
    changes: dict[str, Any] = {}
    for verb in verbs:
        changes |= DONE[verb]
    if closed:
        changes["closure"] = Closure(**SIGNED, employee_informed=True, follow_up=FollowUp.DONE, reason="")
    return ACKNOWLEDGED.model_copy(update=changes)


def _draft() -> ReportDraft:
    return ReportDraft(case_id=CASE_ID, reporter=EMPLOYEE, incident=_incident(), locale="da", tenant_id="tenant-1")


def _largest_case() -> Case:
    """Every field at its longest: the card must still stay under Teams' 28 KB."""
    incident = _incident(
        urgent=True,
        kinds=list(HarassmentKind),
        description="Æøå " * 1000,
        offender=Offender(name="N" * 200, profile="P" * 500, relation=OffenderRelation.RELATIVE),
        links=[f"https://example.com/{n:02d}/".ljust(2000, "a") for n in range(MAX_LINKS)],
        witnesses=[Witness(name="W" * 200, phone="+45 12 34 56 78") for _ in range(20)],
        impact=Impact(score=5, text="x" * 4000),
    )
    return _case(incident=incident, status=CaseStatus.ACKNOWLEDGED, handling=_handling(*DONE))


def _older_case(case_id: str, reference: str, days_ago: int, **changes: Any) -> Case:
    """Another of the employee's cases, reported `days_ago` days before the sample case."""
    return _case(case_id=case_id, reference=reference, created_at=NOW - timedelta(days=days_ago), **changes)


def _my_cases() -> list[CaseEntry]:
    """Mette's cases in "Mine sager": a draft, the new case, one under way, one closed and one she reported for
    a colleague."""
    draft = _case(case_id="d" * 32, reference="", status=CaseStatus.DRAFT, created_at=NOW + timedelta(hours=2))
    under_way = _older_case(
        "a1" * 16, "VK-2026-0031", 20, status=CaseStatus.ACKNOWLEDGED, handling=_handling(Verb.FIRST_AID)
    )
    closed = _older_case("c1" * 16, "VK-2026-0017", 75, status=CaseStatus.CLOSED, handling=_handling(closed=True))
    for_colleague = _older_case(
        "b1" * 16, "VK-2026-0025", 40, subject=Person(user_id="named:Lars Nielsen", name="Lars Nielsen")
    )
    return [
        CaseEntry(draft, Role.SUBJECT, evidence_count=2),
        CaseEntry(_case(), Role.SUBJECT),
        CaseEntry(under_way, Role.SUBJECT),
        CaseEntry(for_colleague, Role.REPORTER),
        CaseEntry(closed, Role.SUBJECT),
    ]


# The unit's beredskabsplan as its leader and AMR wrote it (the answers are theirs, so Danish in both languages).
PLAN_UNIT_ID = "unit-jobcenter"
PLAN_UNIT = "Jobcenter Silkeborg"
PLAN_ANSWERS: dict[str, str] = {
    "prevention": (
        "Vi bruger kun fornavne på skilte og i breve. Retningslinjen gennemgås på personalemødet hvert efterår, "
        "og nye medarbejdere får den ved opstart."
    ),
    "workflow": (
        "Medarbejderen sikrer beviser (skærmbilleder med dato og link) og anmelder i Værn. Lederen kvitterer "
        "samme dag og følger retningslinjens tjekliste."
    ),
    "protection": (
        "Borgerne skriver til funktionspostkassen, ikke til personlige mails. En borger med kontaktforbud får "
        "en fast kontaktperson, og medarbejderen kan flyttes fra skranken."
    ),
    "findability": (
        "Kun fornavn på navneskilte og i mails til borgere. Ingen billeder af medarbejdere på hjemmesiden; "
        "tavlen i receptionen viser kun funktioner."
    ),
    "digital_media": (
        "Vi svarer ikke borgere på Facebook eller i private beskeder. Vi deler ikke billeder fra arbejdspladsen, "
        "og vi anbefaler lukkede private profiler."
    ),
    "sms_mail": (
        "Krænkende sms'er og mails gemmes og sendes til lederen; medarbejderen svarer ikke. Lederen svarer fra "
        "funktionspostkassen."
    ),
    "competences": (
        "Alle med borgerkontakt har haft kursus i konfliktnedtrapning. Nye medarbejdere kommer på kurset inden "
        "for tre måneder."
    ),
    "escalation": (
        "Afbryd samtalen, og hent en kollega eller lederen. Ring 112 ved trusler om vold. Skriv hændelsen ned "
        "samme dag."
    ),
    "help_offered": (
        "Samtale med lederen samme dag, debriefing for teamet og psykologhjælp via HR's krisetelefon. Lederen "
        "følger op efter en uge."
    ),
    "offender_handling": (
        "Kun ledelsen kontakter borgeren: et brev om, at adfærden skal stoppe, og om nødvendigt kontaktforbud. "
        "Medarbejderne henviser borgeren til lederen."
    ),
}


def _plan(t: Texts, **changes: Any) -> ResponsePlan:
    """The plan as saved from a new draft: contacts from the directory, Værn's suggested roles, the ten answers."""
    plan = ResponsePlan(
        unit_id=PLAN_UNIT_ID,
        unit_name=PLAN_UNIT,
        answers=PLAN_ANSWERS,
        contacts=Contacts(
            leader=LEADER.name,
            deputy=DEPUTY.name,
            safety_representative=COLLEAGUE.name,
            hr=t("plan_card.hr_default"),
            crisis_line=CRISIS_LINE,
        ),
        roles_when_it_happens=RolesWhenItHappens(
            alarm=t("plan_card.role_alarm_default"),
            responsible_leader=t("plan_card.role_responsible_leader_default", leader=LEADER.name, deputy=DEPUTY.name),
            staffing=t("plan_card.role_staffing_default"),
            communication=t("plan_card.role_communication_default"),
        ),
        revision_date=DAY + timedelta(days=365),
        version=3,
        updated_by=LEADER.name,
        updated_by_id=LEADER.aad_object_id,
        updated_at=NOW,
    )
    return plan.model_copy(update=changes)


def _largest_plan(t: Texts) -> ResponsePlan:
    """Every answer, role and contact at its longest, and the revision overdue: the card must stay under 28 KB."""
    return _plan(
        t,
        answers={key: "Æøå " * (MAX_ANSWER // 4) for key in QUESTION_KEYS},
        contacts=Contacts(**{key: "Ø" * MAX_CONTACT for key in Contacts.model_fields}),
        roles_when_it_happens=RolesWhenItHappens(**{key: "å" * MAX_ROLE for key in RolesWhenItHappens.model_fields}),
        revision_date=DAY - timedelta(days=1),
        updated_by="B" * MAX_CONTACT,
    )


# --- the samples ----------------------------------------------------------------------------------------------

SHOW_CARDS = tuple(
    verb.value
    for verb in (
        Verb.FIRST_AID,
        Verb.POLICE,
        Verb.SAFETYNET,
        Verb.ABSENCE,
        Verb.CONTACT_OFFENDER,
        Verb.RESTRICTIONS,
        Verb.REMOVAL,
        Verb.ESCALATE_HR,
        Verb.WORK_ENVIRONMENT,
        Verb.CLOSE,
    )
)

QUESTIONS: dict[str, Callable[[Texts], Card]] = {
    "safety": report.safety_card,
    "subject": report.subject_card,
    "subject-choice": lambda t: report.colleague_choice_card(
        t, "Mette", [("aad-mette-hansen", "Mette Hansen"), ("aad-mette-holm", "Mette Holm")]
    ),
    "kinds": lambda t: report.kinds_card(t, [HarassmentKind.THREATS.value]),
    "context": lambda t: report.context_card(t, True, None),
    "channel": lambda t: report.channel_card(t, Channel.FACEBOOK.value),
    "when": lambda t: report.when_card(t, DAY.isoformat()),
    "description": lambda t: report.description_card(t, ""),
    "offender": lambda t: report.offender_card(t, "", "", None, ""),
    "links": lambda t: report.links_card(t, LINKS[:1]),
    "witnesses": lambda t: report.witnesses_card(t, ["Lars Nielsen"]),
    "impact": lambda t: report.impact_card(t, None),
    "evidence": lambda t: report.evidence_card(t, 2),
}


def _employee_cards(t: Texts, lang: str) -> Iterator[Sample]:
    yield Sample(f"welcome-{lang}", "Welcome and main menu", welcome_card(t, "Mette"), (DESKTOP, PHONE))
    officer = DataProtectionOfficer("Databeskyttelsesrådgiveren", "dpo@silkeborg.dk", "89 70 10 00")
    notice = privacy_notice_card(t, RetentionPolicy(), officer)
    yield Sample(f"privacy-{lang}", "Privacy notice (first contact, and on 'privatliv')", notice, (DESKTOP, PHONE))
    yield Sample(
        f"prevention-{lang}", "Prevention: safe behaviour online (FØR)", guidance.prevention_card(t), (DESKTOP, PHONE)
    )
    citizen = guidance.citizen_card(t)
    yield Sample(
        f"citizen-{lang}", "Working with the citizen (FØR), with the beredskabsplan", citizen, (DESKTOP, PHONE)
    )
    yield Sample(
        f"removal-{lang}", "Remove content: secure evidence first, then the platform", guidance.removal_overview_card(t)
    )
    for platform in guidance.PLATFORMS:
        card = guidance.removal_platform_card(t, platform)
        name = texts_for("en")(f"removal_{platform}.name")
        yield Sample(f"removal-{platform}-{lang}", f"Remove content: {name}", card)
    yield Sample(f"law-{lang}", "When is it a crime?", guidance.law_card(t))
    for key, build in QUESTIONS.items():
        widths = (DESKTOP, PHONE) if key in ("safety", "evidence") else (DESKTOP,)
        yield Sample(f"report-{key}-{lang}", f"Report question: {key}", build(t), widths)
    yield Sample(f"summary-{lang}", "Summary before sending", summary_card(t, _draft(), _evidence(2)), (DESKTOP, PHONE))
    yield Sample(f"submitted-{lang}", "Report sent", submitted_card(t, "VK-2026-0042", _draft()))
    for_colleague = _draft().model_copy(update={"reporter": COLLEAGUE, "on_behalf_of": EMPLOYEE.name,
                                                "on_behalf_person": EMPLOYEE})  # fmt: skip
    receipt = submitted_card(t, "VK-2026-0044", for_colleague)
    yield Sample(f"submitted-on-behalf-{lang}", "Report sent for a colleague found in the directory", receipt)
    receipt = submitted_card(t, "VK-2026-0042", _draft(), plan=True)
    yield Sample(f"submitted-plan-{lang}", "Report sent, the unit has a beredskabsplan", receipt, (DESKTOP, PHONE))
    urgent = submitted_card(
        t, "VK-2026-0043", _draft(), urgent=True, told_at_once=("deputy", "hr"), on_call_phone="70 12 34 56"
    )
    yield Sample(f"submitted-urgent-{lang}", "Urgent report sent: who has it at once, the on-call phone", urgent)
    again = submitted_card(t, "VK-2026-0045", _draft(), same_offender=["VK-2026-0017"], same_offender_ids=["f" * 32])
    yield Sample(f"submitted-same-offender-{lang}", "Report sent, same offender as a closed case: ask to reopen", again)
    yield Sample(
        f"choose-leader-{lang}",
        "Leader not in the directory: the matches for the name the employee typed (at most 5)",
        choose_leader_card(t, LEADER_MATCHES),
        (DESKTOP, PHONE),
    )


LEADER_MATCHES = [
    (LEADER.aad_object_id, LEADER.name),
    ("aad-karen-marie", "Karen Marie Østergaard-Christensen"),
    ("aad-karen-holm", "Karen Holm"),
    ("aad-karen-lund", "Karen Lund Sørensen"),
    ("aad-karina", "Karina Bach"),
]


def _status_cards(t: Texts, lang: str) -> Iterator[Sample]:
    new = _case()
    in_progress = _case(
        status=CaseStatus.ACKNOWLEDGED,
        handling=_handling(
            Verb.FIRST_AID, Verb.CONTACT_OFFENDER, Verb.RESTRICTIONS, Verb.REMOVAL, Verb.POLICE, Verb.SAFETYNET
        ),
    )
    closed = _case(status=CaseStatus.CLOSED, handling=_handling(*DONE, closed=True))
    widths = (DESKTOP, PHONE)
    yield Sample(f"status-new-{lang}", "Employee's status: just reported", employee_status_card(t, new, REFRESH_USERS))
    progress = employee_status_card(t, in_progress, REFRESH_USERS)
    yield Sample(f"status-in-progress-{lang}", "Employee's status: duties done", progress, widths)
    yield Sample(f"status-closed-{lang}", "Employee's status: closed", employee_status_card(t, closed, REFRESH_USERS))
    on_behalf = _case(subject=Person(user_id="named:Mette Hansen", name="Mette Hansen"), reporter=COLLEAGUE)
    reporter = employee_status_card(t, on_behalf, [COLLEAGUE.user_id], viewer=Role.REPORTER)
    yield Sample(f"status-reporter-{lang}", "Status for a colleague who reported on someone's behalf", reporter)


def _leader_cards(t: Texts, lang: str) -> Iterator[Sample]:
    def leader(case: Case, evidence: int = 2) -> Card:
        return leader_card(t, case, _evidence(evidence), REFRESH_USERS)

    yield Sample(f"leader-new-{lang}", "Leader: new case", leader(_case()), (DESKTOP, PHONE))
    urgent = _case(incident=_incident(urgent=True, impact=Impact(score=5, text="Jeg tør ikke gå hjem alene.")))
    yield Sample(f"leader-urgent-{lang}", "Leader: urgent case (threat of violence)", leader(urgent))
    again = _case(same_offender_closed=["VK-2026-0017"])
    yield Sample(f"leader-same-offender-{lang}", "Leader: new case, same offender as a closed one", leader(again))
    acknowledged = _case(status=CaseStatus.ACKNOWLEDGED, handling=ACKNOWLEDGED)
    yield Sample(
        f"leader-acknowledged-{lang}",
        "Leader: acknowledged, each duty opened",
        leader(acknowledged),
        expand=SHOW_CARDS,
    )
    if lang == "da":
        for verb in DONE:
            case = _case(status=CaseStatus.ACKNOWLEDGED, handling=_handling(verb))
            yield Sample(f"leader-done-{verb.value}-{lang}", f"Leader: after '{verb.value}'", leader(case))
        handled = _handling(Verb.FIRST_AID, Verb.WORK_ENVIRONMENT)
        assert handled.work_environment is not None
        handled.work_environment = handled.work_environment.model_copy(update={"analysis": GROUP_ANALYSIS})
        case = _case(status=CaseStatus.ACKNOWLEDGED, handling=handled)
        yield Sample(
            f"leader-work-environment-handled-{lang}",
            "Leader: the arbejdsmiljøgruppe handled the case (its analysis, a plan change)",
            leader(case),
        )
    everything = _case(status=CaseStatus.ACKNOWLEDGED, handling=_handling(*DONE))
    yield Sample(f"leader-everything-done-{lang}", "Leader: every duty done", leader(everything, 3))
    closed = _case(status=CaseStatus.CLOSED, handling=_handling(*DONE, closed=True))
    yield Sample(
        f"leader-closed-{lang}", "Leader: closed, the form that reopens it", leader(closed, 3), expand=("reopen",)
    )
    asked = closed.model_copy(deep=True)
    asked.handling.reopen_requests.append(
        Signed(by=EMPLOYEE.user_id, by_name=EMPLOYEE.name, at=NOW + timedelta(days=40))
    )
    yield Sample(
        f"leader-closed-reopen-asked-{lang}", "Leader: closed, its employee asked to reopen it", leader(asked, 3)
    )
    without = _case(status=CaseStatus.CLOSED, handling=_handling(Verb.FIRST_AID, Verb.SAFETYNET, closed=True))
    assert without.handling.closure is not None
    without.handling.closure.duty_reasons = [
        DutyReason(duty=Duty.WORK_ENVIRONMENT, reason="Tages op på arbejdsmiljøgruppens møde i januar.")
    ]
    yield Sample(
        f"leader-closed-duty-undone-{lang}", "Leader: closed without a duty (reason in the package)", leader(without)
    )
    no_evidence = _case(incident=Incident(), unit="", version=1)
    yield Sample(
        f"leader-empty-report-{lang}", "Leader: report with nothing filled in, no evidence", leader(no_evidence, 0)
    )
    if lang == "da":
        yield Sample(
            f"leader-largest-{lang}", "Leader: every field at its longest (size check)", leader(_largest_case(), 60)
        )
    follow_up = _case(
        status=CaseStatus.ACKNOWLEDGED,
        handling=_follow_up(_handling(Verb.FIRST_AID, Verb.ESCALATE_HR)),
    )
    yield Sample(
        f"leader-follow-up-{lang}",
        "Leader: absence with the EASY deadline, a hard check-in, HR's answer and advice",
        leader(follow_up),
        (DESKTOP, PHONE),
    )
    escalated = _case(status=CaseStatus.ACKNOWLEDGED, handling=_handling(Verb.FIRST_AID, Verb.ESCALATE_HR))
    reads = [
        AccessEntry(at=NOW + timedelta(hours=31), name="Hanne Jura", role="hr", access=Access.CASE),
        AccessEntry(at=NOW + timedelta(hours=28), name="Mette Hansen", role="subject", access=Access.PACKAGE),
        *_opened_by()[1:],
    ]
    hr = hr_escalation_card(t, escalated, _evidence(2), ["29:hr"], opened_by=(reads, 14))
    yield Sample(f"hr-escalation-{lang}", "HR (Organisation og Personale): escalated case, who opened it", hr)
    automatic = _case(
        handling=Handling(
            hr_escalation=HrEscalation(
                by="vaern", by_name="Værn", at=NOW + timedelta(days=1), automatic_reason="ack_overdue"
            )
        )
    )
    overdue = [JobKind.ACK_HR, JobKind.FIRST_AID, JobKind.DEBRIEF, JobKind.SAFETYNET]
    yield Sample(
        f"hr-escalation-automatic-{lang}",
        "HR: escalated by Værn (no acknowledgement in time), what is overdue, HR's actions opened",
        hr_escalation_card(t, automatic, _evidence(2), ["29:hr"], overdue),
        (DESKTOP, PHONE),
        expand=(
            Verb.HR_ASSIGN.value,
            Verb.HR_ADVICE.value,
            Verb.HR_REASSIGN.value,
            Verb.LEGAL_HOLD.value,
            *("" for verb in SHOW_CARDS if verb != Verb.ESCALATE_HR),
        ),
    )
    urgent_case = _case(
        incident=_incident(urgent=True),
        handling=Handling(hr_escalation=HrEscalation(by="vaern", by_name="Værn", at=NOW, automatic_reason="urgent")),
    )
    yield Sample(
        f"hr-escalation-urgent-{lang}",
        "HR's intake: an urgent case, sent at once beside the leader and the deputy",
        hr_escalation_card(t, urgent_case, _evidence(1), ["29:hr"]),
    )
    leaderless = _case(
        leader=None,
        deputy=None,
        unit="",
        handling=Handling(hr_escalation=HrEscalation(by="vaern", by_name="Værn", at=NOW, automatic_reason="no_leader")),
    )
    yield Sample(
        f"hr-escalation-no-leader-{lang}",
        "HR's intake: a case filed without a leader, held by HR until one is named",
        hr_escalation_card(t, leaderless, _evidence(1), ["29:hr"]),
    )
    advised = hr_escalation_card(t, follow_up, _evidence(2), ["29:hr"], [JobKind.SAFETYNET])
    yield Sample(f"hr-escalation-advised-{lang}", "HR: acknowledged, assigned and advised; SafetyNet overdue", advised)


def _check_in_cards(t: Texts, lang: str) -> Iterator[Sample]:
    case = _case(status=CaseStatus.ACKNOWLEDGED, handling=ACKNOWLEDGED)
    yield Sample(
        f"check-in-{lang}", "Employee's check-in: how are you now? (day 3)", check_in_card(t, case, 3), (DESKTOP, PHONE)
    )
    answered = CHECK_IN_HARD.model_copy(update={"professional_help": True})
    yield Sample(
        f"check-in-answered-{lang}",
        "Check-in answered: a hard time, wants to talk and professional help",
        check_in_card(t, case, 3, answered),
    )
    yield Sample(
        f"check-in-stopped-{lang}", "Check-ins stopped by the employee", check_in_card(t, case, 3, stopped=True)
    )


def _evidence_cards(t: Texts, lang: str) -> Iterator[Sample]:
    items = _evidence(2)
    pasted = EvidenceItem(
        evidence_id="ev-sms",
        case_id=CASE_ID,
        sha256="9c" * 32,
        size=214,
        content_type="text/plain",
        original_name="sms.txt",
        received_at=NOW - timedelta(minutes=40),
        uploaded_by=EMPLOYEE.user_id,
        source=EvidenceSource.PASTED_TEXT,
    )
    contents = {"ev-sms": "Fra +45 11 22 33 44, 24-11-2026 22:14:\nDu skal passe på, når du går hjem i aften."}
    card = evidence_card(t, _case(), [*items, pasted], contents)
    yield Sample(f"evidence-view-{lang}", "Evidence as leadership opens it", card)


def _opened_by() -> list[AccessEntry]:
    """Who opened the case, newest first (domain.access_log)."""
    return [
        AccessEntry(at=NOW + timedelta(hours=30), name="Hanne Jura", role="hr", access=Access.BREAK_THE_GLASS),
        AccessEntry(at=NOW + timedelta(hours=26), name="Karen Leder", role="leader", access=Access.CASE),
        AccessEntry(at=NOW + timedelta(hours=5), name="Karen Leder", role="leader", access=Access.PACKAGE),
        AccessEntry(at=NOW + timedelta(hours=1), name="Peter Stedfortræder", role="deputy", access=Access.EVIDENCE),
    ]


def _my_cases_cards(t: Texts, lang: str) -> Iterator[Sample]:
    entries = _my_cases()
    yield Sample(
        f"my-cases-{lang}",
        "Mine sager: a draft, sent, under way, reported for a colleague, closed",
        my_cases_card(t, entries),
        (DESKTOP, PHONE),
    )
    yield Sample(f"my-cases-empty-{lang}", "Mine sager: no cases yet", my_cases_card(t, []))
    in_progress = _case(
        status=CaseStatus.ACKNOWLEDGED, handling=_handling(Verb.FIRST_AID, Verb.CONTACT_OFFENDER, Verb.RESTRICTIONS)
    )
    next_check_in = DAY + timedelta(days=7)
    detail = case_detail_card(
        t, in_progress, Role.SUBJECT, REFRESH_USERS, next_check_in=next_check_in, opened_by=(_opened_by(), 2)
    )
    yield Sample(
        f"my-case-{lang}",
        "Mine sager: a case under way, with the next check-in and who opened it",
        detail,
        (DESKTOP, PHONE),
    )
    closed = _case(status=CaseStatus.CLOSED, handling=_handling(*DONE, closed=True))
    closed_detail = case_detail_card(t, closed, Role.SUBJECT, REFRESH_USERS, opened_by=([], 0))
    yield Sample(f"my-case-closed-{lang}", "Mine sager: a closed case (nothing more can be added)", closed_detail)
    draft = entries[0]
    draft_detail = case_detail_card(t, draft.case, Role.SUBJECT, evidence_count=draft.evidence_count)
    yield Sample(f"my-case-draft-{lang}", "Mine sager: a draft, not sent: continue and send, or delete", draft_detail)
    delete = delete_draft_card(t, draft.case, draft.evidence_count)
    yield Sample(f"delete-draft-{lang}", "Mine sager: asked before a draft and its evidence are deleted", delete)
    held = _case(
        leader=None,
        deputy=None,
        unit="",
        handling=Handling(hr_escalation=HrEscalation(by="vaern", by_name="Værn", at=NOW, automatic_reason="no_leader")),
    )
    held_detail = case_detail_card(t, held, Role.SUBJECT, REFRESH_USERS)
    yield Sample(
        f"my-case-with-hr-{lang}", "Mine sager: no leader found, HR holds the case; name the leader", held_detail
    )
    yield Sample(f"add-evidence-{lang}", "Add evidence or a note to an open case", add_evidence_card(t, _case()))
    open_cases = [entry.case for entry in entries if is_open(entry.case)]
    yield Sample(
        f"which-case-{lang}",
        "Files sent with more than one open case: which case they belong to",
        which_case_card(t, open_cases, 2),
        (DESKTOP, PHONE),
    )


def _package_cards(t: Texts, lang: str) -> Iterator[Sample]:
    cases = [entry.case for entry in _my_cases() if entry.case.status is not CaseStatus.DRAFT]
    yield Sample(
        f"package-choose-police-{lang}",
        "Police package: which of the employee's cases?",
        choose_case_card(t, cases, PackageKind.POLICE),
    )
    yield Sample(
        f"package-choose-full-{lang}",
        "Case package: which of the leader's cases?",
        choose_case_card(t, cases[:2], PackageKind.FULL),
    )
    if lang == "da":
        many = [_older_case(f"{n:032x}", f"VK-2026-{n:04d}", n, status=CaseStatus.CLOSED) for n in range(MAX_CHOICES)]
        yield Sample(
            f"package-choose-most-{lang}",
            f"Case package: the most cases offered ({MAX_CHOICES})",
            choose_case_card(t, many, PackageKind.FULL),
        )


def _work_environment_cards(t: Texts, lang: str) -> Iterator[Sample]:
    case = _case(
        incident=_incident(colleagues_targeted=True), status=CaseStatus.CLOSED, handling=_handling(*DONE, closed=True)
    )
    yield Sample(
        f"work-environment-{lang}",
        "Anonymised summary for the unit's arbejdsmiljøgruppe",
        anonymised_summary_card(t, case),
    )


def _plan_cards(t: Texts, lang: str) -> Iterator[Sample]:
    plan = _plan(t)
    for number, key in enumerate(QUESTION_KEYS, start=1):
        card = plan_cards.question_card(t, PLAN_UNIT, key, "")
        widths = (DESKTOP, PHONE) if number == 1 else (DESKTOP,)
        yield Sample(
            f"plan-question-{key}-{lang}", f"Beredskabsplan, question {number}: {key} (new plan)", card, widths
        )
    editing = plan_cards.question_card(t, PLAN_UNIT, "protection", plan.answer("protection"))
    yield Sample(f"plan-question-editing-{lang}", "Beredskabsplan: a question with the saved answer (editing)", editing)
    yield Sample(
        f"plan-contacts-{lang}",
        "Beredskabsplan: contacts, filled in from the directory",
        plan_cards.contacts_card(t, PLAN_UNIT, plan.contacts),
        (DESKTOP, PHONE),
    )
    yield Sample(
        f"plan-roles-{lang}",
        "Beredskabsplan: who does what when it happens (Værn's suggestions)",
        plan_cards.roles_card(t, PLAN_UNIT, plan.roles_when_it_happens),
    )
    yield Sample(
        f"plan-revision-{lang}",
        "Beredskabsplan: revision date",
        plan_cards.revision_card(t, PLAN_UNIT, plan.revision_date, DAY),
    )
    yield Sample(
        f"plan-summary-{lang}",
        "Beredskabsplan: review before saving",
        plan_cards.summary_card(t, plan),
        (DESKTOP, PHONE),
    )
    saved_on = DAY
    editor = plan_cards.plan_card(t, plan, today=DAY, can_edit=True, saved_on=saved_on)
    yield Sample(f"plan-view-editor-{lang}", "Beredskabsplan as the leader or AMR sees it (can edit)", editor)
    employee = plan_cards.plan_card(t, plan, today=DAY, can_edit=False, saved_on=saved_on)
    yield Sample(f"plan-view-employee-{lang}", "Beredskabsplan as an employee of the unit sees it", employee)
    overdue_day = plan.revision_date + timedelta(days=14)
    overdue = plan_cards.plan_card(t, plan, today=overdue_day, can_edit=True, saved_on=saved_on)
    yield Sample(f"plan-view-overdue-{lang}", "Beredskabsplan past its revision date", overdue)
    if lang == "da":
        largest = plan_cards.plan_card(t, _largest_plan(t), today=DAY, can_edit=True, saved_on=saved_on)
        yield Sample(f"plan-view-largest-{lang}", "Beredskabsplan: every answer at its longest (size check)", largest)
    units = [
        (PLAN_UNIT_ID, PLAN_UNIT),
        ("unit-borgerservice", "Borgerservice Silkeborg"),
        ("unit-ydelse", "Ydelsescenter"),
    ]
    yield Sample(
        f"plan-choose-unit-{lang}",
        "Beredskabsplan: which unit? (a role in more than one)",
        plan_cards.choose_unit_card(t, units, plan_cards.PLAN_EDIT_COMMAND),
    )


def samples() -> list[Sample]:
    """All sample cards, Danish first."""
    result: list[Sample] = []
    for lang in SUPPORTED:
        t = texts_for(lang)
        for family in (
            _employee_cards,
            _status_cards,
            _my_cases_cards,
            _check_in_cards,
            _leader_cards,
            _evidence_cards,
            _package_cards,
            _work_environment_cards,
            _plan_cards,
        ):
            result += family(t, lang)
    return result
