"""The leader's duties from the guideline as commands on a case: each checks its input and is recorded.

`execute` is the only way a case changes after it is reported: it authorizes the actor, refuses stale
cards (an old case version), validates the command and bumps the version. Most verbs are leadership's
(leader, deputy, escalated HR); HR's own verbs need the HR role, and the employee answers check-ins. A closed case
takes only the record verbs (legal holds), leadership reopening it, and its own employee asking them to (once per
closure: asking again changes nothing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from domain.authorization import Actor, Role, acting_role, roles_on
from domain.case import Case, CaseStatus, Person
from domain.closing import reason_field, undone_duties
from domain.handling import (
    Absence,
    Acknowledgement,
    CheckInAnswer,
    Closure,
    ContactMethod,
    ContactRestrictions,
    DutyReason,
    FollowUp,
    HrAdvice,
    HrAssignment,
    HrEscalation,
    HrFunction,
    LeaderChange,
    LegalHold,
    OffenderContact,
    PoliceReport,
    Removal,
    RemovalStatus,
    Reopening,
    SafetyNetCategory,
    SafetyNetRegistration,
    Signed,
    WorkEnvironmentReview,
)
from domain.reporting import DEFAULT_TIMEZONE, clean_free_text, is_web_link
from domain.responsibility import Holder, holder

# The verbs of a case card that only look (no duty recorded): the card's refresh, and opening the evidence.
REFRESH = "refresh"
OPEN_EVIDENCE = "evidence"


class Verb(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    FIRST_AID = "first_aid"
    CONTACT_OFFENDER = "contact_offender"
    RESTRICTIONS = "restrictions"
    REMOVAL = "removal"
    POLICE = "police"
    SAFETYNET = "safetynet"
    ESCALATE_HR = "escalate_hr"
    WORK_ENVIRONMENT = "work_environment"
    CLOSE = "close"
    ABSENCE = "absence"
    CHECK_IN = "check_in"
    STOP_CHECK_INS = "stop_check_ins"
    HR_ACKNOWLEDGE = "hr_acknowledge"
    HR_ASSIGN = "hr_assign"
    HR_ADVICE = "hr_advice"
    LEGAL_HOLD = "legal_hold"
    LIFT_LEGAL_HOLD = "lift_legal_hold"
    HR_REASSIGN = "hr_reassign"
    CHOOSE_LEADER = "choose_leader"
    REOPEN = "reopen"
    ASK_REOPEN = "ask_reopen"


EMPLOYEE_VERBS = frozenset({Verb.CHECK_IN, Verb.STOP_CHECK_INS})
# The employee (or the colleague who reported for them) gives their open case to another leader, from "Mine sager".
OWN_CASE_VERBS = frozenset({Verb.CHOOSE_LEADER})
LEADER_CHANGES = frozenset({Verb.HR_REASSIGN, Verb.CHOOSE_LEADER})
# The employee (the case's subject, no one else) asks whoever holds their closed case to reopen it.
SUBJECT_VERBS = frozenset({Verb.ASK_REOPEN})
# Legal holds keep the record (domain/retention.py): HR's, and the only verbs a closed case still takes.
RECORD_VERBS = frozenset({Verb.LEGAL_HOLD, Verb.LIFT_LEGAL_HOLD})
HR_VERBS = frozenset({Verb.HR_ACKNOWLEDGE, Verb.HR_ASSIGN, Verb.HR_ADVICE, Verb.HR_REASSIGN}) | RECORD_VERBS
# Leadership's duties (leader, deputy, escalated HR, the on-call group): everything the others' verbs are not.
LEADERSHIP_VERBS = frozenset(Verb) - EMPLOYEE_VERBS - OWN_CASE_VERBS - SUBJECT_VERBS - HR_VERBS
# What a closed case takes: the record verbs, leadership reopening it, and its employee asking them to.
CLOSED_CASE_VERBS = RECORD_VERBS | {Verb.REOPEN, Verb.ASK_REOPEN}
# Verbs whose button is not on the case's own card (a check-in card, the receipt of another case): no stale check.
VERSIONLESS_VERBS = EMPLOYEE_VERBS | SUBJECT_VERBS
HOLD_REASON_LIMIT = 500
DUTY_REASON_LIMIT = 500
NAME_LIMIT = 200


class NotAllowed(Exception):
    """The actor has no leadership role on this case."""


class StaleCard(Exception):
    """The card was built from an older version of the case; show the fresh one instead."""


class InvalidCommand(Exception):
    """The input does not make sense for this action; `field` names what to fix when known."""

    def __init__(self, reason: str, field: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


def _text(value: object, limit: int = 2000) -> str:
    return clean_free_text(value, limit) if isinstance(value, str) else ""


_DAY_DIGITS = re.compile(r"[0-9]{1,3}")  # fullmatch; str.isdigit would let "²" and other scripts' digits through


def _day_number(value: object) -> object:
    """A check-in's day as its card sends it: a number, or the same in ASCII digits (Adaptive Cards send text)."""
    if isinstance(value, bool):
        raise ValueError("the day is a number")
    if isinstance(value, str):
        if not _DAY_DIGITS.fullmatch(value):
            raise ValueError("the day is a number")
        return int(value)
    return value


# The day after the report a check-in belongs to (1, 3, 7, 21; at most a year), as every check-in card carries it.
CheckInDay = Annotated[int, BeforeValidator(_day_number), Field(strict=True, ge=1, le=366)]
_CHECK_IN_DAY: TypeAdapter[int] = TypeAdapter(CheckInDay)


def check_in_day(data: Mapping[str, Any]) -> int:
    """The day of the check-in card an action came from; 0 when it carries none (or none that is valid)."""
    try:
        return _CHECK_IN_DAY.validate_python(data.get("day"))
    except ValidationError:
        return 0


class Command(BaseModel):
    """Input from a card. Adaptive Cards send every value as text; empty inputs arrive as ''."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    def apply(self, case: Case, signed: Signed) -> None:
        raise NotImplementedError


class AcknowledgeCommand(Command):
    def apply(self, case: Case, signed: Signed) -> None:
        if case.handling.acknowledged is None:
            case.handling.acknowledged = Acknowledgement(**signed.model_dump())
        if case.status is CaseStatus.REPORTED:
            case.status = CaseStatus.ACKNOWLEDGED


class FirstAidCommand(Command):
    talked_through_on: date | None = None
    colleagues_informed_on: date | None = None
    debriefing_held: bool = False

    def apply(self, case: Case, signed: Signed) -> None:
        if not (self.talked_through_on or self.colleagues_informed_on or self.debriefing_held):
            raise InvalidCommand("nothing_recorded", "talked_through_on")
        first_aid = case.handling.first_aid
        first_aid.talked_through_on = self.talked_through_on or first_aid.talked_through_on
        first_aid.colleagues_informed_on = self.colleagues_informed_on or first_aid.colleagues_informed_on
        first_aid.debriefing_held = self.debriefing_held or first_aid.debriefing_held
        first_aid.recorded = signed


class ContactOffenderCommand(Command):
    method: ContactMethod
    contacted_on: date
    outcome: str = Field(default="", max_length=2000)

    def apply(self, case: Case, signed: Signed) -> None:
        record = OffenderContact(
            **signed.model_dump(), method=self.method, contacted_on=self.contacted_on, outcome=_text(self.outcome)
        )
        case.handling.offender_contacts.append(record)


class RestrictionsCommand(Command):
    ban_until: date | None = None
    no_personal_or_phone_contact: bool = False
    prior_appointment_required: bool = False
    limited_contact_hours: str = Field(default="", max_length=200)
    no_replies_to_mail_or_letters: bool = False
    functional_mailbox_only: bool = False
    caseworker_changed: bool = False

    def apply(self, case: Case, signed: Signed) -> None:
        fields = self.model_dump() | {"limited_contact_hours": _text(self.limited_contact_hours, 200)}
        restrictions = ContactRestrictions.model_validate(signed.model_dump() | fields)
        if not restrictions.any:
            raise InvalidCommand("nothing_chosen", "ban_until")
        if restrictions.ban_until and restrictions.ban_until <= signed.at.astimezone(DEFAULT_TIMEZONE).date():
            raise InvalidCommand("ban_end_in_past", "ban_until")
        case.handling.restrictions = restrictions


class RemovalCommand(Command):
    link: str = Field(max_length=2048)
    platform: str = Field(default="", max_length=100)
    status: RemovalStatus

    def apply(self, case: Case, signed: Signed) -> None:
        if not is_web_link(self.link):
            raise InvalidCommand("invalid_link", "link")
        removals = [r for r in case.handling.removals if r.link != self.link]
        record = Removal(**signed.model_dump(), link=self.link, platform=_text(self.platform, 100), status=self.status)
        case.handling.removals = [*removals, record]


class PoliceCommand(Command):
    employee_decided_to_report: bool
    reported_on: date | None = None
    journal_number: str = Field(default="", max_length=100)
    joint_report: bool = False

    def apply(self, case: Case, signed: Signed) -> None:
        if self.reported_on and not self.employee_decided_to_report:
            raise InvalidCommand("employee_is_reporter", "employee_decided_to_report")
        case.handling.police = PoliceReport(
            **signed.model_dump(),
            employee_decided_to_report=self.employee_decided_to_report,
            reported_on=self.reported_on,
            journal_number=_text(self.journal_number, 100),
            joint_report=self.joint_report,
        )


class SafetyNetCommand(Command):
    category: SafetyNetCategory
    registered_on: date
    doctor_advised: bool = False

    def apply(self, case: Case, signed: Signed) -> None:
        case.handling.safetynet = SafetyNetRegistration(**signed.model_dump(), **self.model_dump())


class EscalateHrCommand(Command):
    function: HrFunction
    message: str = Field(default="", max_length=2000)

    def apply(self, case: Case, signed: Signed) -> None:
        case.handling.hr_escalation = HrEscalation(
            **signed.model_dump(), function=self.function, message=_text(self.message)
        )


class WorkEnvironmentCommand(Command):
    """Send the case to the unit's arbejdsmiljøgruppe (once): its members get the anonymised summary and record
    their analysis themselves (domain/work_environment.py)."""

    def apply(self, case: Case, signed: Signed) -> None:
        if case.handling.work_environment is not None:
            raise InvalidCommand("already_sent")
        case.handling.work_environment = WorkEnvironmentReview(sent=signed)


class CloseCommand(Command):
    """Close the case: the employee is told, and every duty not recorded (domain/closing.py) has a reason."""

    employee_informed: bool = False
    follow_up: FollowUp
    reason: str = Field(default="", max_length=2000)
    safetynet_reason: str = Field(default="", max_length=DUTY_REASON_LIMIT)
    first_aid_reason: str = Field(default="", max_length=DUTY_REASON_LIMIT)
    colleagues_reason: str = Field(default="", max_length=DUTY_REASON_LIMIT)
    work_environment_reason: str = Field(default="", max_length=DUTY_REASON_LIMIT)
    hr_reason: str = Field(default="", max_length=DUTY_REASON_LIMIT)

    def apply(self, case: Case, signed: Signed) -> None:
        if not self.employee_informed:
            raise InvalidCommand("employee_not_informed", "employee_informed")
        if self.follow_up is FollowUp.SKIPPED and not _text(self.reason):
            raise InvalidCommand("reason_required", "reason")
        reasons: list[DutyReason] = []
        for duty in undone_duties(case.handling):
            field = reason_field(duty)
            reason = _text(getattr(self, field), DUTY_REASON_LIMIT)
            if not reason:
                raise InvalidCommand("duty_reason_required", field)
            reasons.append(DutyReason(duty=duty, reason=reason))
        case.handling.closure = Closure(
            **signed.model_dump(),
            employee_informed=True,
            follow_up=self.follow_up,
            reason=_text(self.reason),
            duty_reasons=reasons,
        )
        case.status = CaseStatus.CLOSED


class ReopenCommand(Command):
    """Leadership opens a closed case again, with the reason; the closure stays on the record (`Reopening`)."""

    reopen_reason: str = Field(default="", max_length=HOLD_REASON_LIMIT)

    def apply(self, case: Case, signed: Signed) -> None:
        if case.status is not CaseStatus.CLOSED:
            raise InvalidCommand("case_open")
        reason = _text(self.reopen_reason, HOLD_REASON_LIMIT)
        if not reason:
            raise InvalidCommand("reopen_reason_required", "reopen_reason")
        reopening = Reopening(**signed.model_dump(), reason=reason, closure=case.handling.closure)
        case.handling.reopenings.append(reopening)
        case.handling.closure = None
        case.status = CaseStatus.ACKNOWLEDGED if case.handling.acknowledged else CaseStatus.REPORTED


class AskReopenCommand(Command):
    """The employee asks whoever holds their closed case (domain.responsibility) to reopen it. Once per closure: a
    second ask is refused ("already_asked") and records nothing; an open case needs no asking ("case_open"); a case
    nobody holds has nobody to ask ("nobody_holds")."""

    def apply(self, case: Case, signed: Signed) -> None:
        if case.status is not CaseStatus.CLOSED:
            raise InvalidCommand("case_open")
        if case.handling.reopen_asked() is not None:
            raise InvalidCommand("already_asked")
        if holder(case) is Holder.NOBODY:
            raise InvalidCommand("nobody_holds")
        case.handling.reopen_requests.append(signed)


class AbsenceCommand(Command):
    first_day: date

    def apply(self, case: Case, signed: Signed) -> None:
        if self.first_day > signed.at.astimezone(DEFAULT_TIMEZONE).date():
            raise InvalidCommand("absence_in_future", "first_day")
        case.handling.absence = Absence(**signed.model_dump(), first_day=self.first_day)


class CheckInCommand(Command):
    day: CheckInDay
    score: int = Field(ge=1, le=5)
    text: str = Field(default="", max_length=2000)
    talk_to_leader: bool = False
    professional_help: bool = False

    def apply(self, case: Case, signed: Signed) -> None:
        answer = CheckInAnswer.model_validate(signed.model_dump() | self.model_dump() | {"text": _text(self.text)})
        start = case.handling.round_started()  # an answer from before the case was reopened stays
        others = [a for a in case.handling.check_ins if a.day != self.day or (start is not None and a.at < start)]
        case.handling.check_ins = sorted([*others, answer], key=lambda a: a.day)


class StopCheckInsCommand(Command):
    day: CheckInDay | None = None  # the card's; checked like a check-in's, so a forged one changes nothing

    def apply(self, case: Case, signed: Signed) -> None:
        case.handling.check_ins_stopped = case.handling.check_ins_stopped or signed


class HrAcknowledgeCommand(Command):
    def apply(self, case: Case, signed: Signed) -> None:
        case.handling.hr_response.acknowledged = case.handling.hr_response.acknowledged or signed


class HrAssignCommand(Command):
    function: HrFunction

    def apply(self, case: Case, signed: Signed) -> None:
        case.handling.hr_response.assigned = HrAssignment(**signed.model_dump(), function=self.function)
        case.handling.hr_response.acknowledged = case.handling.hr_response.acknowledged or signed


class HrAdviceCommand(Command):
    text: str = Field(max_length=2000)

    def apply(self, case: Case, signed: Signed) -> None:
        text = _text(self.text)
        if not text:
            raise InvalidCommand("advice_required", "text")
        case.handling.hr_response.advice.append(HrAdvice(**signed.model_dump(), text=text))
        case.handling.hr_response.acknowledged = case.handling.hr_response.acknowledged or signed


class LegalHoldCommand(Command):
    """HR places a legal hold: the case is kept past its retention period until the hold is lifted."""

    hold_reason: str = Field(default="", max_length=HOLD_REASON_LIMIT)

    def apply(self, case: Case, signed: Signed) -> None:
        reason = _text(self.hold_reason, HOLD_REASON_LIMIT)
        if not reason:
            raise InvalidCommand("hold_reason_required", "hold_reason")
        if case.handling.active_hold() is not None:
            raise InvalidCommand("already_held")
        case.handling.legal_holds.append(LegalHold(placed=signed, reason=reason))


class LiftLegalHoldCommand(Command):
    """HR lifts the standing hold: from then on the case goes when its retention period says (at once if passed)."""

    hold_reason: str = Field(default="", max_length=HOLD_REASON_LIMIT)

    def apply(self, case: Case, signed: Signed) -> None:
        hold = case.handling.active_hold()
        if hold is None:
            raise InvalidCommand("not_held")
        reason = _text(self.hold_reason, HOLD_REASON_LIMIT)
        if not reason:
            raise InvalidCommand("hold_reason_required", "hold_reason")
        hold.lifted, hold.lift_reason = signed, reason


class NewLeader(BaseModel):
    """A leader from the directory, with the unit they lead the case in and that unit's deputy (when they lead it)."""

    leader: Person
    deputy: Person | None = None
    unit: str = ""
    unit_id: str = ""


class HrReassignCommand(Command):
    """HR gives the case to another leader (or a first one), found by name in the directory. The service puts the
    directory's answer in `matches` (what the card sends there is dropped first); exactly one person must match."""

    leader_name: str = Field(max_length=NAME_LIMIT)
    reassign_reason: str = Field(default="", max_length=HOLD_REASON_LIMIT)
    matches: list[NewLeader] = Field(default_factory=list[NewLeader])

    def apply(self, case: Case, signed: Signed) -> None:
        reason = _text(self.reassign_reason, HOLD_REASON_LIMIT)
        if not reason:
            raise InvalidCommand("reassign_reason_required", "reassign_reason")
        _hand_over(case, self.matches, signed, reason)


class ChooseLeaderCommand(Command):
    """The employee (or their reporting colleague) gives the case to the leader they chose among the directory's
    matches; the service puts that person in `matches` by their directory id (what the card sends there is dropped).
    Nobody chooses themselves into leadership of the case (`appoints_self`)."""

    matches: list[NewLeader] = Field(default_factory=list[NewLeader])

    def apply(self, case: Case, signed: Signed) -> None:
        _hand_over(case, self.matches, signed, "")


def appoints_self(case: Case, actor: Actor, leader: Person, deputy: Person | None) -> bool:
    """Giving the case to this leader (with this deputy) would make the actor its leader or deputy when they were
    neither: the employee or a reporting colleague choosing a leader may not choose themselves (by object id), nor a
    leader whose deputy they are. Leadership reads everything; a reporter reads only what they uploaded."""
    aad = actor.person.aad_object_id
    if not aad:
        return False
    is_actor = [person is not None and person.aad_object_id == aad for person in (leader, deputy)]
    already = [person is not None and person.aad_object_id == aad for person in (case.leader, case.deputy)]
    return any(is_actor) and not any(already)


def _hand_over(case: Case, matches: list[NewLeader], signed: Signed, reason: str) -> None:
    """The case goes to the one leader `matches` names, with its unit and deputy; signed, and kept in the record."""
    if not matches:
        raise InvalidCommand("leader_not_found", "leader_name")
    if len(matches) > 1:
        raise InvalidCommand("leader_ambiguous", "leader_name")
    new = matches[0]
    if new.leader.is_(case.subject):
        raise InvalidCommand("leader_is_employee", "leader_name")
    if new.leader.is_(case.leader):
        raise InvalidCommand("same_leader", "leader_name")
    change = LeaderChange(**signed.model_dump(), from_leader=case.leader, to_leader=new.leader, reason=reason)
    case.handling.leader_changes.append(change)
    case.leader, case.deputy = new.leader, new.deputy
    case.unit, case.unit_id = new.unit or case.unit, new.unit_id or case.unit_id


COMMANDS: dict[Verb, type[Command]] = {
    Verb.ACKNOWLEDGE: AcknowledgeCommand,
    Verb.FIRST_AID: FirstAidCommand,
    Verb.CONTACT_OFFENDER: ContactOffenderCommand,
    Verb.RESTRICTIONS: RestrictionsCommand,
    Verb.REMOVAL: RemovalCommand,
    Verb.POLICE: PoliceCommand,
    Verb.SAFETYNET: SafetyNetCommand,
    Verb.ESCALATE_HR: EscalateHrCommand,
    Verb.WORK_ENVIRONMENT: WorkEnvironmentCommand,
    Verb.CLOSE: CloseCommand,
    Verb.ABSENCE: AbsenceCommand,
    Verb.CHECK_IN: CheckInCommand,
    Verb.STOP_CHECK_INS: StopCheckInsCommand,
    Verb.HR_ACKNOWLEDGE: HrAcknowledgeCommand,
    Verb.HR_ASSIGN: HrAssignCommand,
    Verb.HR_ADVICE: HrAdviceCommand,
    Verb.LEGAL_HOLD: LegalHoldCommand,
    Verb.LIFT_LEGAL_HOLD: LiftLegalHoldCommand,
    Verb.HR_REASSIGN: HrReassignCommand,
    Verb.CHOOSE_LEADER: ChooseLeaderCommand,
    Verb.REOPEN: ReopenCommand,
    Verb.ASK_REOPEN: AskReopenCommand,
}


def may_perform(case: Case, actor: Actor, verb: Verb) -> bool:
    """The employee answers their own check-ins, HR's verbs need HR, everything else leadership."""
    if verb in EMPLOYEE_VERBS:
        return Role.SUBJECT in roles_on(case, actor)
    if verb in OWN_CASE_VERBS:
        return bool({Role.SUBJECT, Role.REPORTER} & roles_on(case, actor))
    if verb in SUBJECT_VERBS:
        return Role.SUBJECT in roles_on(case, actor)
    if verb in HR_VERBS:
        return Role.HR in roles_on(case, actor)
    return acting_role(case, actor) is not None


def may_take(case: Case, actor: Actor, verb: Verb) -> bool:
    """The actor may carry out this action on the case as it is now: their role, and a closed case takes only
    CLOSED_CASE_VERBS (what a screen offers; `execute` decides)."""
    return may_perform(case, actor, verb) and (case.status is not CaseStatus.CLOSED or verb in CLOSED_CASE_VERBS)


def execute(case: Case, verb: Verb, data: dict[str, Any], actor: Actor, now: datetime, card_version: int) -> Case:
    """Apply one leadership action to a copy of the case and return it (the caller stores it with its etag)."""
    if not may_perform(case, actor, verb):
        raise NotAllowed(verb.value)
    if verb not in VERSIONLESS_VERBS and card_version != case.version:  # a check-in card is answered by its day
        raise StaleCard(f"card v{card_version}, case v{case.version}")
    if case.status is CaseStatus.CLOSED and verb not in CLOSED_CASE_VERBS:
        raise InvalidCommand("case_closed")
    try:
        command = COMMANDS[verb].model_validate({key: value for key, value in data.items() if value != ""})
    except ValidationError as error:
        field = str(error.errors()[0]["loc"][0]) if error.errors() and error.errors()[0]["loc"] else ""
        raise InvalidCommand("invalid_input", field) from error
    if isinstance(command, ChooseLeaderCommand) and any(
        appoints_self(case, actor, match.leader, match.deputy) for match in command.matches
    ):
        raise InvalidCommand("leader_is_self", "leader_name")
    changed = case.model_copy(deep=True)
    signed = Signed(by=actor.person.user_id, by_name=actor.person.name, at=now)
    command.apply(changed, signed)
    changed.version += 1
    return changed
