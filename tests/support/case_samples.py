"""A reported case with every duty of the guideline recorded, and leadership notes marked so a test can see
whether they leaked into something the employee gets."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from cards.leader.forms import field_max_length
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
    Duty,
    DutyReason,
    FirstAid,
    FollowUp,
    Handling,
    HrEscalation,
    HrFunction,
    OffenderContact,
    PoliceReport,
    Removal,
    RemovalStatus,
    Reopening,
    SafetyNetCategory,
    SafetyNetRegistration,
    Signed,
    WorkEnvironmentAnalysis,
    WorkEnvironmentReview,
)
from domain.leader_actions import Verb
from domain.reporting import MAX_FREE_TEXT, MAX_LINKS, MAX_WITNESSES
from domain.work_environment import TEXT_LIMIT as ANALYSIS_TEXT_LIMIT

# Leadership's own notes: never in a police package.
OUTCOME_NOTE = "NOTE-OUTCOME-4411"
HR_NOTE = "NOTE-HR-5522"
CONCLUSION_NOTE = "NOTE-CONCLUSION-6633"
INITIATIVE_NOTE = "NOTE-INITIATIVE-7744"
CLOSING_NOTE = "NOTE-CLOSING-8855"
DUTY_NOTE = "NOTE-DUTY-9966"  # why a duty was not done when the case closed the first time
REOPEN_NOTE = "NOTE-REOPEN-1077"
PLAN_CHANGE_NOTE = "NOTE-PLANCHANGE-8855"
LEADER_NOTES = (
    OUTCOME_NOTE,
    HR_NOTE,
    CONCLUSION_NOTE,
    INITIATIVE_NOTE,
    PLAN_CHANGE_NOTE,
    CLOSING_NOTE,
    DUTY_NOTE,
    REOPEN_NOTE,
)
# What the employee may see and the police need.
DESCRIPTION = "Han skrev, at han ved hvor jeg bor på Ærø, og at jeg skal passe på. Blåbærgrød-MARKER-1199"
JOURNAL_NUMBER = "4100-84210-00017-26"

EMPLOYEE = Person(user_id="29:employee", name="Søren Østergaard", aad_object_id="aad-employee")
COLLEAGUE = Person(user_id="29:colleague", name="Åse Kjær", aad_object_id="aad-colleague")
LEADER = Person(user_id="29:leader", name="Birgitte Lærke", aad_object_id="aad-leader")
DEPUTY = Person(user_id="29:deputy", name="Jens Møller", aad_object_id="aad-deputy")
HR = Person(user_id="29:hr", name="Hanne Jura", aad_object_id="aad-hr")
STRANGER = Person(user_id="29:stranger", name="Ukendt Person", aad_object_id="aad-stranger")
GROUP_MEMBER = Person(user_id="aad:aad-amg", name="Anna Arbejdsmiljø", aad_object_id="aad-amg")
TENANT = "tenant-1"
CASE_ID = "c0ffee00c0ffee00c0ffee00c0ffee00"
REPORTED_AT = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def signed(person: Person, hours: float) -> dict:
    return Signed(by=person.user_id, by_name=person.name, at=REPORTED_AT + timedelta(hours=hours)).model_dump()


def _reopening() -> Reopening:
    """Closed once before the work environment review, without it (and said why), and reopened."""
    first = Closure(
        **signed(LEADER, 8.5),
        employee_informed=True,
        follow_up=FollowUp.DONE,
        duty_reasons=[DutyReason(duty=Duty.WORK_ENVIRONMENT, reason=f"Næste møde {DUTY_NOTE}")],
    )
    return Reopening(**signed(LEADER, 8.75), reason=f"Nye opslag {REOPEN_NOTE}", closure=first)


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
            sent=signed(LEADER, 9),
            analysis=WorkEnvironmentAnalysis(
                **signed(GROUP_MEMBER, 9.5),
                causes=f"Navneskilte {CONCLUSION_NOTE}",
                measures=f"Fornavne {INITIATIVE_NOTE}",
                plan_change=True,
                plan_change_text=f"Skilte {PLAN_CHANGE_NOTE}",
            ),
        ),
        closure=Closure(
            **signed(LEADER, 10), employee_informed=True, follow_up=FollowUp.DONE, reason=f"Stoppet {CLOSING_NOTE}"
        )
        if status is CaseStatus.CLOSED
        else None,
        reopenings=[_reopening()] if status is CaseStatus.CLOSED else [],
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


# --- every free-text field at the longest its validation lets through -------------------------------------------

# The report dialog's own cuts (dialogs/report_questions.py): names typed into a card, the offender's profile and the
# impact text. The description and anything typed in chat are cut at MAX_FREE_TEXT (domain.reporting.clean_free_text);
# a leader's texts at their command's max_length (cards.leader.field_max_length reads it).
CARD_NAME_CHARS = 200
OFFENDER_PROFILE_CHARS = 500
IMPACT_TEXT_CHARS = 2000
LONGEST_PHONE = "+45 20 30 40 50 60 70"  # the longest number domain.reporting._PHONE accepts: 21 characters
LONG_TOKEN = "Rødgrødmedfløde" * 20  # one 300-character word, no place to break it
EMOJI = "😟 👩‍👩‍👧 ❤️ 👍🏽"
OFFENDER_CONTACTS = 3


def filler(key: str, length: int, *, lines: bool = True) -> str:
    """Exactly `length` characters that start with `key`-BEGIN and end with `key`-END, with Danish letters, emoji,
    a 300-character word, a link and (when `lines`) many short lines, as pasted messages have."""
    begin, end = f"{key}-BEGIN ", f" {key}-END"
    parts = [
        "Han skrev, at han ved hvor jeg bor på Ærø, og at jeg skal passe på. Blåbærgrød og ØL på Åen.",
        EMOJI,
        LONG_TOKEN,
        "https://www.facebook.com/groups/1234567890/permalink/9876543210/?comment_id=1122334455&svar=ÆØÅ",
        *(f"\n{number}. linje" for number in range(1, 6) if lines),
        "Ærgerligt, men sådan er det. Øv!",
    ]
    body = " ".join(itertools.islice(itertools.cycle(parts), length))[: length - len(begin) - len(end)]
    return begin + body + end


def noted(note: str, key: str, length: int) -> str:
    """A leader's note of `length` characters that starts with its marker, so a test can see where it went."""
    return f"{note} " + filler(key, length - len(note) - 1)


def longest_link(number: int) -> str:
    """A link of 2,048 characters, the most domain.reporting.is_web_link takes."""
    head, tail = f"https://www.facebook.com/groups/ærø-{number}/posts/", f"-LINK{number:02d}-END"
    return head + ("a1b2c3/" * 300)[: 2048 - len(head) - len(tail)] + tail


def _limit(verb: Verb, field: str) -> int:
    limit = field_max_length(verb, field)
    assert limit is not None, f"{verb}.{field} has no max_length"
    return limit


def longest_case() -> Case:
    """`full_case` with every free-text field it shows as long as validation allows."""
    case = full_case()
    incident, handling = case.incident, case.handling
    incident.description = filler("DESCRIPTION", MAX_FREE_TEXT)
    incident.offender = Offender(
        name=filler("OFFENDER", CARD_NAME_CHARS, lines=False),
        profile=filler("PROFILE", OFFENDER_PROFILE_CHARS, lines=False),
        relation=OffenderRelation.RELATIVE,
    )
    incident.links = [longest_link(number) for number in range(1, MAX_LINKS + 1)]
    incident.witnesses = [
        Witness(name=filler(f"WITNESS{number:02d}", CARD_NAME_CHARS, lines=False), phone=LONGEST_PHONE)
        for number in range(1, MAX_WITNESSES)
    ]
    # A witness typed in chat as "name, phone" is cut only by the chat's MAX_FREE_TEXT.
    typed = filler("TYPEDWITNESS", MAX_FREE_TEXT - len(LONGEST_PHONE) - 2, lines=False)
    incident.witnesses.append(Witness(name=typed, phone=LONGEST_PHONE))
    incident.impact = Impact(score=5, text=filler("IMPACT", IMPACT_TEXT_CHARS))
    contact = handling.offender_contacts[0]
    handling.offender_contacts = [
        contact.model_copy(
            update={"outcome": noted(OUTCOME_NOTE, f"OUTCOME{n}", _limit(Verb.CONTACT_OFFENDER, "outcome"))}
        )
        for n in range(1, OFFENDER_CONTACTS + 1)
    ]
    hours = filler("HOURS", _limit(Verb.RESTRICTIONS, "limited_contact_hours"), lines=False)
    handling.restrictions = handling.restrictions.model_copy(update={"limited_contact_hours": hours})
    removal = handling.removals[0]
    handling.removals = [
        removal.model_copy(
            update={"link": link, "platform": filler(f"PLATFORM{n:02d}", _limit(Verb.REMOVAL, "platform"), lines=False)}
        )
        for n, link in enumerate(incident.links, start=1)
    ]
    journal = filler("JOURNAL", _limit(Verb.POLICE, "journal_number"), lines=False)
    handling.police = handling.police.model_copy(update={"journal_number": journal})
    message = noted(HR_NOTE, "HRMESSAGE", _limit(Verb.ESCALATE_HR, "message"))
    handling.hr_escalation = handling.hr_escalation.model_copy(update={"message": message})
    analysis = {
        "causes": noted(CONCLUSION_NOTE, "CAUSES", ANALYSIS_TEXT_LIMIT),
        "measures": noted(INITIATIVE_NOTE, "MEASURES", ANALYSIS_TEXT_LIMIT),
        "plan_change_text": noted(PLAN_CHANGE_NOTE, "PLANCHANGE", ANALYSIS_TEXT_LIMIT),
    }
    review = handling.work_environment
    assert review is not None and review.analysis is not None
    handling.work_environment = review.model_copy(update={"analysis": review.analysis.model_copy(update=analysis)})
    reason = noted(CLOSING_NOTE, "CLOSING", _limit(Verb.CLOSE, "reason"))
    handling.closure = handling.closure.model_copy(update={"reason": reason})
    return case


def free_texts(case: Case) -> dict[str, str]:
    """Every free text of `case` that a package's summary shows, by where it comes from (empty ones left out)."""
    incident, handling = case.incident, case.handling
    analysis = handling.work_environment.analysis if handling.work_environment else None
    texts = {
        "description": incident.description,
        "offender name": incident.offender.name,
        "offender profile": incident.offender.profile,
        "impact text": incident.impact.text if incident.impact else "",
        **{f"link {n}": link for n, link in enumerate(incident.links, start=1)},
        **{f"witness {n}": w.name for n, w in enumerate(incident.witnesses, start=1)},
        **{f"outcome {n}": c.outcome for n, c in enumerate(handling.offender_contacts, start=1)},
        "contact hours": handling.restrictions.limited_contact_hours if handling.restrictions else "",
        **{f"removal {n} platform": r.platform for n, r in enumerate(handling.removals, start=1)},
        "journal number": handling.police.journal_number if handling.police else "",
        "hr message": handling.hr_escalation.message if handling.hr_escalation else "",
        "causes": analysis.causes if analysis else "",
        "measures": analysis.measures if analysis else "",
        "plan change": analysis.plan_change_text if analysis else "",
        "closing reason": handling.closure.reason if handling.closure else "",
    }
    return {name: text for name, text in texts.items() if text}
