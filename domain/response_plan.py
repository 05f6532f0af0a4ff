"""The unit's response plan (beredskabsplan, the guideline's Bilag 1): pure rules, no storage, no botbuilder.

A plan answers the ten questions the guideline asks leadership to settle together with the work environment group
/ MED ("Ledelsens opgaver – forebyggelse og håndtering"), in the guideline's order, and adds who is contacted,
who does what when it happens, and when the plan is revised. It is laid out for print in the common plan layout:
situation, alarm, tasks, actions, responsible leader, staffing, communication, contacts, revision date.

Editing is for the unit's leader, its deputy and its safety representatives (arbejdsmiljørepræsentanter);
every employee of the unit may read the current version, and have it as a PDF (`PlanOffer`, bot.plan_files).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.file_offer import OFFER_ID, FileOffer

# The ten questions of "Ledelsens opgaver – forebyggelse og håndtering", in the guideline's order.
QUESTION_KEYS: tuple[str, ...] = (
    "prevention",  # Hvilke tiltag skal tages for at forebygge krænkende adfærd?
    "workflow",  # Hvordan håndteres en digital krænkelse – hvilken beredskabsplan/arbejdsgang?
    "protection",  # Hvilke tiltag kan iværksættes for at beskytte medarbejdere?
    "findability",  # Hvor nemt er det at "genkende og finde" en medarbejder (navne, billeder, skilte …)?
    "digital_media",  # Hvordan der sikkert anvendes digitale medier som arbejdsredskab
    "sms_mail",  # Hvordan sms og mails med krænkende eller anklagende indhold håndteres
    "competences",  # Er der tilstrækkelige kompetencer inden for konfliktforebyggelse?
    "escalation",  # Hvordan der handles i situationer, der eskalerer og bliver ubehagelige
    "help_offered",  # Hvilken hjælp tilbydes den krænkede medarbejder og øvrige på arbejdspladsen
    "offender_handling",  # Hvordan den krænkende borger håndteres af ledelsen og efterfølgende af medarbejderne
)
QuestionKey = Literal[
    "prevention",
    "workflow",
    "protection",
    "findability",
    "digital_media",
    "sms_mail",
    "competences",
    "escalation",
    "help_offered",
    "offender_handling",
]
CONTACT_KEYS: tuple[str, ...] = ("leader", "deputy", "safety_representative", "hr", "crisis_line")
ROLE_KEYS: tuple[str, ...] = ("alarm", "responsible_leader", "staffing", "communication")

MAX_ANSWER = 2000
MAX_ROLE = 1000
MAX_CONTACT = 200
MAX_REVISION_YEARS = 3
DEFAULT_REVISION = timedelta(days=365)

# The common plan layout: each section and what fills it (questions, roles, contacts, the revision date).
LAYOUT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("situation", ("findability", "digital_media")),
    ("alarm", ("role:alarm", "workflow")),
    ("tasks", ("prevention", "protection", "competences")),
    ("actions", ("sms_mail", "escalation", "help_offered", "offender_handling")),
    ("responsible_leader", ("role:responsible_leader",)),
    ("staffing", ("role:staffing",)),
    ("communication", ("role:communication",)),
    ("contacts", tuple(f"contact:{key}" for key in CONTACT_KEYS)),
    ("revision", ("revision_date",)),
)


class PlanError(ValueError):
    """A plan that breaks a rule (unknown question, too long, revision date not in the future)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Contacts(_Model):
    leader: str = Field(default="", max_length=MAX_CONTACT)
    deputy: str = Field(default="", max_length=MAX_CONTACT)
    safety_representative: str = Field(default="", max_length=MAX_CONTACT)
    hr: str = Field(default="", max_length=MAX_CONTACT)
    crisis_line: str = Field(default="", max_length=MAX_CONTACT)


class RolesWhenItHappens(_Model):
    """Who does what when it happens."""

    alarm: str = Field(default="", max_length=MAX_ROLE, description="who is told first, and how")
    responsible_leader: str = Field(default="", max_length=MAX_ROLE, description="who leads the handling")
    staffing: str = Field(default="", max_length=MAX_ROLE, description="who covers the employee's tasks")
    communication: str = Field(default="", max_length=MAX_ROLE, description="who informs colleagues and others")


class ResponsePlan(_Model):
    """One saved version of a unit's plan."""

    unit_id: str = Field(min_length=1)
    unit_name: str = Field(min_length=1)
    answers: dict[QuestionKey, str] = Field(default_factory=dict[QuestionKey, str])
    contacts: Contacts = Field(default_factory=Contacts)
    roles_when_it_happens: RolesWhenItHappens = Field(default_factory=RolesWhenItHappens)
    revision_date: date
    version: int = Field(ge=1)
    updated_by: str = Field(default="", max_length=MAX_CONTACT, description="name of who saved this version")
    updated_by_id: str = Field(default="", description="aad object id of who saved this version")
    updated_at: datetime
    changed: list[str] = Field(default_factory=list, description="what differs from the version before")

    @field_validator("answers")
    @classmethod
    def _answer_lengths(cls, answers: dict[str, str]) -> dict[str, str]:
        for key, text in answers.items():
            if len(text) > MAX_ANSWER:
                raise ValueError(f"answer {key} is longer than {MAX_ANSWER} characters")
        return {key: text.strip() for key, text in answers.items() if text.strip()}

    def answer(self, key: str) -> str:
        return self.answers.get(key, "")  # type: ignore[call-overload]

    def revision_due(self, today: date) -> bool:
        return self.revision_date <= today

    def field_text(self, field: str) -> str:
        """The text behind one LAYOUT entry ('role:alarm', 'contact:hr', 'revision_date' or a question key)."""
        if field.startswith("role:"):
            return str(getattr(self.roles_when_it_happens, field.removeprefix("role:")))
        if field.startswith("contact:"):
            return str(getattr(self.contacts, field.removeprefix("contact:")))
        if field == "revision_date":
            return self.revision_date.isoformat()
        return self.answer(field)


class PlanOffer(FileOffer):
    """One version of a plan as a PDF, waiting for the person who asked to accept it. The card carries `file_id`."""

    file_id: str = Field(pattern=OFFER_ID.pattern)
    unit_id: str
    unit_name: str
    version: int

    @property
    def offer_id(self) -> str:
        return self.file_id


def check_revision_date(value: date, today: date) -> date:
    """A new or edited plan must be revised in the future, and not later than MAX_REVISION_YEARS ahead."""
    if value <= today:
        raise PlanError("revision_date_not_future")
    if value > today + timedelta(days=366 * MAX_REVISION_YEARS):
        raise PlanError("revision_date_too_far")
    return value


def default_revision_date(today: date) -> date:
    return today + DEFAULT_REVISION


def check_answer(text: str, limit: int = MAX_ANSWER) -> str:
    if len(text) > limit:
        raise PlanError("too_long")
    return text.strip()


def changed_fields(before: ResponsePlan | None, after: ResponsePlan) -> list[str]:
    """The fields that differ ('prevention', 'contacts.hr', 'roles.alarm', 'revision_date'); all set ones if new."""
    keys = [*QUESTION_KEYS, *(f"contacts.{k}" for k in CONTACT_KEYS), *(f"roles.{k}" for k in ROLE_KEYS)]

    def value(plan: ResponsePlan | None, key: str) -> str:
        if plan is None:
            return ""
        if key.startswith("contacts."):
            return str(getattr(plan.contacts, key.removeprefix("contacts.")))
        if key.startswith("roles."):
            return str(getattr(plan.roles_when_it_happens, key.removeprefix("roles.")))
        return plan.answer(key)

    changed = [key for key in keys if value(before, key) != value(after, key)]
    if before is None or before.revision_date != after.revision_date:
        changed.append("revision_date")
    return changed


def who_may_edit(unit: Any, aad_object_id: str | None) -> bool:
    """The unit's leader, its deputy or one of its safety representatives (AMR). `unit` is a services.roles.Unit."""
    if not aad_object_id or unit is None:
        return False
    return aad_object_id in {unit.leader, unit.deputy, *unit.safety_representatives}


def may_read(unit: Any, aad_object_id: str | None, person_unit_id: str | None) -> bool:
    """Anyone who may edit, and every employee of the unit."""
    if unit is None or not aad_object_id:
        return False
    return who_may_edit(unit, aad_object_id) or person_unit_id == unit.id
