"""The arbejdsmiljøgruppe's part of a case: "Arbejdsmiljøgruppen skal analysere hændelsen" and find new prevention.

Leadership sends the case to the unit's group (`Verb.WORK_ENVIRONMENT` in domain/leader_actions.py records `sent`).
A member of that group (domain.authorization.may_analyse) then records the group's analysis once: the causes, the
measures decided (both required), and whether the beredskabsplan must change (yes needs what); that marks the case
handled. The analysis is the group's and never blocks closing the case (domain/closing.py counts the duty done when
the case was sent); it may be recorded on an open or a closed case.

What the group sees of a case is `anonymised_summary`: the month, the kinds, the channel, whether it was in working
hours, whether colleagues were targeted too, and what leadership did, by kind. No names, no description, no links,
no evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from domain.authorization import Actor, may_analyse
from domain.case import Case
from domain.handling import Signed, WorkEnvironmentAnalysis
from domain.leader_actions import InvalidCommand, NotAllowed
from domain.reporting import clean_free_text

ANALYSIS_ACTION = "work_environment_analysis"  # the audit action (and `Case.last_change`) of a recorded analysis
TEXT_LIMIT = 2000


class AnalysisCommand(BaseModel):
    """The group's form, as JSON: every field by name, nothing else."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    causes: str = Field(default="", max_length=TEXT_LIMIT)
    measures: str = Field(default="", max_length=TEXT_LIMIT)
    plan_change: StrictBool = False
    plan_change_text: str = Field(default="", max_length=TEXT_LIMIT)


@dataclass(frozen=True)
class AnonymisedSummary:
    """A case as the arbejdsmiljøgruppe sees it: categories only (`done` names what leadership did, by kind)."""

    month: str  # MM-YYYY of the report
    kinds: tuple[str, ...]
    channel: str | None
    during_work_hours: bool | None
    colleagues_targeted: bool
    done: tuple[str, ...]


def anonymised_summary(case: Case) -> AnonymisedSummary:
    incident, handling = case.incident, case.handling
    done = (
        ("offender_contacted", bool(handling.offender_contacts)),
        ("restrictions", handling.restrictions is not None),
        ("removal", bool(handling.removals)),
        ("police", handling.police is not None and handling.police.employee_decided_to_report),
        ("safetynet", handling.safetynet is not None),
    )
    return AnonymisedSummary(
        month=case.created_at.strftime("%m-%Y"),
        kinds=tuple(kind.value for kind in incident.kinds),
        channel=incident.channel.value if incident.channel else None,
        during_work_hours=incident.during_work_hours,
        colleagues_targeted=bool(incident.colleagues_targeted),
        done=tuple(name for name, happened in done if happened),
    )


def record_analysis(case: Case, data: Any, actor: Actor, now: datetime) -> Case:
    """A copy of the case with the group's analysis, one version on; NotAllowed for anyone not in the group of the
    case's unit (or a case not sent to it), InvalidCommand (with the field to fix) for input that does not do."""
    if not may_analyse(case, actor):
        raise NotAllowed(ANALYSIS_ACTION)
    review = case.handling.work_environment
    if review is None:  # may_analyse said it was sent
        raise NotAllowed(ANALYSIS_ACTION)
    if review.analysis is not None:
        raise InvalidCommand("already_handled")
    if not isinstance(data, dict):
        raise InvalidCommand("invalid_input")
    try:
        command = AnalysisCommand.model_validate(data)
    except ValidationError as error:
        location = error.errors()[0]["loc"] if error.errors() else ()
        raise InvalidCommand("invalid_input", str(location[0]) if location else "") from error
    causes, measures = clean_free_text(command.causes, TEXT_LIMIT), clean_free_text(command.measures, TEXT_LIMIT)
    plan_change_text = clean_free_text(command.plan_change_text, TEXT_LIMIT) if command.plan_change else ""
    for field, text in (("causes", causes), ("measures", measures)):
        if not text:
            raise InvalidCommand("required", field)
    if command.plan_change and not plan_change_text:
        raise InvalidCommand("required", "plan_change_text")
    changed = case.model_copy(deep=True)
    signed = Signed(by=actor.person.user_id, by_name=actor.person.name, at=now)
    analysis = WorkEnvironmentAnalysis(
        **signed.model_dump(),
        causes=causes,
        measures=measures,
        plan_change=command.plan_change,
        plan_change_text=plan_change_text,
    )
    changed.handling.work_environment = review.model_copy(update={"analysis": analysis})
    changed.version += 1
    return changed
