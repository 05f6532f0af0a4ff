"""The short texts around the leadership cards: the employee's update after an action and the message for an action that
could not be saved."""

from __future__ import annotations

from content import Texts
from domain.leader_actions import LEADERSHIP_VERBS, Verb

# The verbs after which the employee hears from Værn; their own check-in answers and HR's verbs are not news
# to them, and the first day of absence is theirs.
EMPLOYEE_UPDATE_VERBS = LEADERSHIP_VERBS - {Verb.ABSENCE}
ACTION_ERRORS = frozenset(
    {
        "nothing_recorded",
        "nothing_chosen",
        "ban_end_in_past",
        "invalid_link",
        "employee_is_reporter",
        "employee_not_informed",
        "reason_required",
        "case_closed",
        "absence_in_future",
        "advice_required",
        "hold_reason_required",
        "already_held",
        "not_held",
        "reassign_reason_required",
        "leader_not_found",
        "leader_ambiguous",
        "leader_is_employee",
        "leader_is_self",
        "hr_function_empty",
        "same_leader",
        "duty_reason_required",
        "reopen_reason_required",
        "case_open",
        "invalid_input",
        "unknown_action",
        "not_allowed",
    }
)


def employee_update_text(texts: Texts, verb: Verb | str) -> str:
    """The short message the employee gets after a leader action; never the leader's own notes.
    Empty for anything else (e.g. `refresh`, the employee's own check-in, HR's verbs, absence)."""
    return texts(f"employee_update.{verb}") if verb in EMPLOYEE_UPDATE_VERBS else ""


def action_error_text(texts: Texts, reason: str) -> str:
    """A kind message for an InvalidCommand reason; unknown reasons get a general one."""
    return texts(f"action_errors.{reason}" if reason in ACTION_ERRORS else "action_errors.other")
