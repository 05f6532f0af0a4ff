"""What leadership and HR have done on a case (UNDER and EFTER): one record per duty in the guideline."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, cast

from pydantic import BaseModel, Field, model_validator

from domain.person import Person


class ContactMethod(StrEnum):
    PHONE = "phone"
    MAIL = "mail"
    LETTER = "letter"
    MEETING = "meeting"


class RemovalStatus(StrEnum):
    REQUESTED = "requested"
    REMOVED = "removed"
    REFUSED = "refused"


class SafetyNetCategory(StrEnum):
    """'mindre vold, trusler og anden krænkende adfærd', or arbejdsskade for grave cases/strong reactions."""

    MINOR_VIOLENCE_THREATS_HARASSMENT = "minor_violence_threats_harassment"
    WORK_INJURY = "work_injury"


class HrFunction(StrEnum):
    """Organisation og Personale: Jura (legal) or Arbejdsmiljøkoordinatoren."""

    JURA = "jura"
    WORK_ENVIRONMENT_COORDINATOR = "work_environment_coordinator"


class FollowUp(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"


class Signed(BaseModel):
    """Who recorded something, and when (server time)."""

    by: str
    by_name: str = ""
    at: datetime


class Acknowledgement(Signed):
    pass


class FirstAid(BaseModel):
    talked_through_on: date | None = None
    colleagues_informed_on: date | None = None
    debriefing_held: bool = False
    recorded: Signed | None = None


class OffenderContact(Signed):
    method: ContactMethod
    contacted_on: date
    outcome: str = ""


class ContactRestrictions(Signed):
    ban_until: date | None = None
    no_personal_or_phone_contact: bool = False
    prior_appointment_required: bool = False
    limited_contact_hours: str = ""
    no_replies_to_mail_or_letters: bool = False
    functional_mailbox_only: bool = False
    caseworker_changed: bool = False

    @property
    def any(self) -> bool:
        return bool(
            self.ban_until
            or self.no_personal_or_phone_contact
            or self.prior_appointment_required
            or self.limited_contact_hours
            or self.no_replies_to_mail_or_letters
            or self.functional_mailbox_only
            or self.caseworker_changed
        )


class Removal(Signed):
    link: str
    platform: str = ""
    status: RemovalStatus


class PoliceReport(Signed):
    employee_decided_to_report: bool
    reported_on: date | None = None
    journal_number: str = ""
    joint_report: bool = False


class SafetyNetRegistration(Signed):
    category: SafetyNetCategory
    registered_on: date
    doctor_advised: bool = False


class HrEscalation(Signed):
    """The case handed to Organisation og Personale: by the leader (with a function), or by Værn itself when a
    deadline passed (`automatic_reason`, no function yet: HR assigns Jura or Arbejdsmiljøkoordinatoren)."""

    function: HrFunction | None = None
    message: str = ""
    automatic_reason: str = ""


class HrAssignment(Signed):
    function: HrFunction


class HrAdvice(Signed):
    text: str


class HrResponse(BaseModel):
    """What HR did with an escalation: acknowledged it, assigned a function, advice the leader sees."""

    acknowledged: Signed | None = None
    assigned: HrAssignment | None = None
    advice: list[HrAdvice] = Field(default_factory=list[HrAdvice])


class Absence(Signed):
    """The employee's first day of absence after the incident: starts the work-injury (EASY) deadline."""

    first_day: date


class CheckInAnswer(Signed):
    """The employee's answer to a check-in: 1 (fine) to 5 (very hard), as the report's impact question."""

    day: int
    score: int = Field(ge=1, le=5)
    text: str = ""
    talk_to_leader: bool = False
    professional_help: bool = False

    @property
    def needs_leader(self) -> bool:
        """A hard time, or a wish to talk or for professional help: the leader hears at once."""
        return self.score >= 4 or self.talk_to_leader or self.professional_help

    @property
    def suggests_work_injury(self) -> bool:
        return self.score >= 4 or self.professional_help


class WorkEnvironmentAnalysis(Signed):
    """The arbejdsmiljøgruppe's analysis of the incident, signed by the member who recorded it: the causes, the
    measures decided, and whether the unit's beredskabsplan must change (and what). Recording it marks the case
    handled by the group."""

    causes: str = ""
    measures: str = ""
    plan_change: bool = False
    plan_change_text: str = ""


class WorkEnvironmentReview(BaseModel):
    """The case at the unit's arbejdsmiljøgruppe: `sent` by leadership (who, when), and the group's `analysis` once
    recorded (None: waiting for the group).

    A record from before the group recorded its own analysis (`{by, by_name, at, conclusion, new_initiative}`: the
    leader sent the case and wrote the group's conclusion in one step) loads as sent and handled at that moment by
    that leader, the conclusion as the causes and the new initiative as the measures."""

    sent: Signed
    analysis: WorkEnvironmentAnalysis | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_the_leaders_record(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        old = cast(dict[str, Any], data)
        if "sent" in old:
            return old
        signed = {key: old[key] for key in ("by", "by_name", "at") if key in old}
        analysis = {**signed, "causes": old.get("conclusion", ""), "measures": old.get("new_initiative", "")}
        return {"sent": signed, "analysis": analysis}

    @property
    def handled(self) -> Signed | None:
        """When the group marked it handled (its analysis recorded), and by whom."""
        return self.analysis


class Duty(StrEnum):
    """The guideline's duties a leader answers for when closing a case (domain/closing.py says when each is done)."""

    SAFETYNET = "safetynet"
    FIRST_AID = "first_aid"
    COLLEAGUES = "colleagues"
    WORK_ENVIRONMENT = "work_environment"
    HR = "hr"


class DutyReason(BaseModel):
    """Why a duty was not done when the case closed, in the leader's words."""

    duty: Duty
    reason: str


class Closure(Signed):
    employee_informed: bool
    follow_up: FollowUp
    reason: str = ""
    duty_reasons: list[DutyReason] = Field(default_factory=list[DutyReason])


class Reopening(Signed):
    """Leadership opened a closed case again (the harassment started again), with the reason; the closure it
    undid stays on the record here."""

    reason: str
    closure: Closure | None = None


class LegalHold(BaseModel):
    """A legal hold (retshold) HR placed on a case, with its reason: while it stands the case is never deleted,
    whatever its retention period says. Lifting it is signed and reasoned too; the record of both stays."""

    placed: Signed
    reason: str
    lifted: Signed | None = None
    lift_reason: str = ""


class LeaderChange(Signed):
    """The case went to another leader (or a first one while it had none): given by HR, with a reason, or chosen
    by the employee."""

    from_leader: Person | None = None  # None: the case had no leader
    to_leader: Person
    reason: str


class Handling(BaseModel):
    acknowledged: Acknowledgement | None = None
    first_aid: FirstAid = Field(default_factory=FirstAid)
    offender_contacts: list[OffenderContact] = Field(default_factory=list[OffenderContact])
    restrictions: ContactRestrictions | None = None
    removals: list[Removal] = Field(default_factory=list[Removal])
    police: PoliceReport | None = None
    safetynet: SafetyNetRegistration | None = None
    hr_escalation: HrEscalation | None = None
    on_call: Signed | None = None  # an urgent case nobody acknowledged in time, given to the on-call group (by Værn)
    work_environment: WorkEnvironmentReview | None = None
    closure: Closure | None = None
    hr_response: HrResponse = Field(default_factory=HrResponse)
    absence: Absence | None = None
    check_ins: list[CheckInAnswer] = Field(default_factory=list[CheckInAnswer])
    check_ins_stopped: Signed | None = None
    legal_holds: list[LegalHold] = Field(default_factory=list[LegalHold])
    leader_changes: list[LeaderChange] = Field(default_factory=list[LeaderChange])
    reopenings: list[Reopening] = Field(default_factory=list[Reopening])
    # The employee asked whoever holds the closed case to reopen it (a new report named the same offender).
    reopen_requests: list[Signed] = Field(default_factory=list[Signed])

    def reopen_asked(self) -> Signed | None:
        """The employee's request to reopen the case as it is closed now (None: not asked since it closed)."""
        closure = self.closure
        if closure is None:
            return None
        return next((asked for asked in reversed(self.reopen_requests) if asked.at >= closure.at), None)

    def round_started(self) -> datetime | None:
        """When the case was last reopened (None: never); the follow-ups and check-ins start again from there."""
        return self.reopenings[-1].at if self.reopenings else None

    def active_hold(self) -> LegalHold | None:
        """The legal hold that stands now, if any (at most one does)."""
        return next((hold for hold in self.legal_holds if hold.lifted is None), None)

    def check_in(self, day: int) -> CheckInAnswer | None:
        """The answer to this day's check-in since the case was last reopened (the earlier ones stay recorded)."""
        start = self.round_started()
        return next(
            (a for a in self.check_ins if a.day == day and (start is None or a.at >= start)),
            None,
        )
