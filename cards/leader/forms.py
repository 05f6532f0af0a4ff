"""The guideline's duties as forms on the leadership cards: one Action.ShowCard per verb whose inputs use exactly the
field names of `domain.leader_actions.COMMANDS`; blank forms are memoised. Closing asks a reason for each duty not
recorded; a closed case shows only the form that reopens it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.common import choices, element_json, heading, paragraph
from cards.guidance import configured_link
from cards.leader.letter import _letter_block, _links_within
from cards.leader.parts import (
    LINK_TITLE_LIMIT,
    RESTRICTION_TOGGLES,
    Card,
    _case_data,
    _execute,
    _hr_function,
    _local_day,
    _short,
)
from cards.memo import PartMemo
from content import Texts
from domain.case import Case, CaseStatus
from domain.closing import reason_field, undone_duties
from domain.follow_ups import work_injury_suggested
from domain.handling import (
    ContactMethod,
    ContactRestrictions,
    FirstAid,
    FollowUp,
    Handling,
    HrFunction,
    RemovalStatus,
    SafetyNetCategory,
)
from domain.leader_actions import COMMANDS, Verb

LINK_CHOICES_BUDGET = 4000  # characters of links offered as choices; beyond it the leader pastes the link
BUTTONS_PER_ROW = 2
ACTION_GROUPS: tuple[tuple[str, tuple[Verb, ...]], ...] = (
    ("leader.group_employee", (Verb.FIRST_AID, Verb.POLICE, Verb.SAFETYNET, Verb.ABSENCE)),
    ("leader.group_offender", (Verb.CONTACT_OFFENDER, Verb.RESTRICTIONS, Verb.REMOVAL)),
    ("leader.group_case", (Verb.ESCALATE_HR, Verb.WORK_ENVIRONMENT, Verb.CLOSE)),
)
SAVE_TITLES: dict[Verb, str] = {
    Verb.CONTACT_OFFENDER: "actions.contact_save",
    Verb.RESTRICTIONS: "actions.restrictions_save",
    Verb.SAFETYNET: "actions.safetynet_save",
    Verb.ESCALATE_HR: "actions.hr_save",
    Verb.CLOSE: "actions.close",
    Verb.ABSENCE: "actions.absence_save",
    Verb.HR_ASSIGN: "actions.hr_assign_save",
    Verb.HR_ADVICE: "actions.hr_advice_save",
    Verb.LEGAL_HOLD: "actions.legal_hold_save",
    Verb.LIFT_LEGAL_HOLD: "actions.lift_legal_hold_save",
    Verb.HR_REASSIGN: "actions.hr_reassign_save",
    Verb.REOPEN: "actions.reopen_save",
    Verb.WORK_ENVIRONMENT: "actions.work_environment_save",
}


# --- inputs for each action -----------------------------------------------------------------------------
def field_max_length(verb: Verb, field: str) -> int | None:
    """The command's own length limit for a text field, so the card's input never allows more."""
    for constraint in COMMANDS[verb].model_fields[field].metadata:
        if getattr(constraint, "max_length", None) is not None:
            return int(constraint.max_length)
    return None


def _required(verb: Verb, field: str) -> bool:
    return COMMANDS[verb].model_fields[field].is_required()


def _date_input(texts: Texts, verb: Verb, field: str, value: date | None = None) -> ac.InputDate:
    required = _required(verb, field)
    return ac.InputDate(
        id=field,
        label=texts(f"actions.{field}"),
        value=value.isoformat() if value else None,
        is_required=required or None,
        error_message=texts("actions.required") if required else None,
    )


def _toggle(texts: Texts, field: str, on: bool) -> ac.InputToggle:
    return ac.InputToggle(
        id=field,
        title=texts(f"actions.{field}"),
        value="true" if on else "false",
        value_on="true",
        value_off="false",
        wrap=True,
    )


def _text_input(
    texts: Texts, verb: Verb, field: str, value: str = "", *, multiline: bool = False, placeholder: str = ""
) -> ac.InputText:
    required = _required(verb, field)
    return ac.InputText(
        id=field,
        label=texts(f"actions.{field}"),
        value=value or None,
        placeholder=placeholder or None,
        max_length=field_max_length(verb, field),
        is_multiline=multiline or None,
        is_required=required or None,
        error_message=texts("actions.required") if required else None,
    )


def _choice_input(
    texts: Texts,
    verb: Verb,
    field: str,
    options: Sequence[tuple[str, str]],
    value: str | None = None,
    *,
    label: str = "",
    compact: bool = False,
) -> ac.InputChoiceSet:
    """Radio buttons for a few options, a drop-down for many (or when asked, e.g. long links)."""
    required = _required(verb, field)
    compact = compact or len(options) > 4
    return ac.InputChoiceSet(
        id=field,
        label=label or texts(f"actions.{field}"),
        choices=choices(options),
        style=act.ChoiceInputStyle.COMPACT if compact else act.ChoiceInputStyle.EXPANDED,
        value=value,
        wrap=True,
        is_required=required or None,
        error_message=texts("actions.required") if required else None,
    )


def _first_aid_inputs(texts: Texts, case: Case) -> list[Any]:
    first_aid = case.handling.first_aid
    return [
        paragraph(texts("actions.first_aid_hint")),
        _date_input(texts, Verb.FIRST_AID, "talked_through_on", first_aid.talked_through_on),
        _date_input(texts, Verb.FIRST_AID, "colleagues_informed_on", first_aid.colleagues_informed_on),
        _toggle(texts, "debriefing_held", first_aid.debriefing_held),
    ]


def _contact_offender_inputs(texts: Texts, case: Case) -> list[Any]:
    methods = [(m.value, texts(f"actions.method_{m.value}")) for m in ContactMethod]
    return [
        paragraph(texts("actions.contact_hint")),
        *_letter_block(texts, case),
        _choice_input(texts, Verb.CONTACT_OFFENDER, "method", methods),
        _date_input(texts, Verb.CONTACT_OFFENDER, "contacted_on"),
        _text_input(texts, Verb.CONTACT_OFFENDER, "outcome", multiline=True),
    ]


def _restrictions_inputs(texts: Texts, case: Case) -> list[Any]:
    current = case.handling.restrictions or ContactRestrictions(by="", at=case.created_at)
    return [
        paragraph(texts("actions.restrictions_hint")),
        _date_input(texts, Verb.RESTRICTIONS, "ban_until", current.ban_until),
        *(_toggle(texts, name, getattr(current, name)) for name in RESTRICTION_TOGGLES),
        _text_input(texts, Verb.RESTRICTIONS, "limited_contact_hours", current.limited_contact_hours),
    ]


def _link_input(texts: Texts, case: Case) -> ac.InputChoiceSet | ac.InputText:
    """The case's links as choices when they fit the card; otherwise a text box to paste the link into."""
    links = case.incident.links
    if links and _links_within(links, LINK_CHOICES_BUDGET) == links:
        options = [(link, _short(link, LINK_TITLE_LIMIT)) for link in links]
        return _choice_input(texts, Verb.REMOVAL, "link", options, compact=True)
    return _text_input(texts, Verb.REMOVAL, "link", placeholder=texts("actions.link_placeholder"))


def _removal_inputs(texts: Texts, case: Case) -> list[Any]:
    channel = case.incident.channel
    hints = [texts("actions.removal_hint"), texts("removal_paths.before")]
    if channel:
        hints.append(texts(f"removal_paths.{channel.value}"))
    hints.append(texts("removal_paths.dsa"))
    statuses = [(s.value, texts(f"actions.removal_{s.value}")) for s in RemovalStatus]
    platform = texts(f"channel.{channel.value}") if channel else ""
    return [
        *(paragraph(hint, subtle=index > 0) for index, hint in enumerate(hints)),
        _link_input(texts, case),
        _text_input(texts, Verb.REMOVAL, "platform", platform),
        _choice_input(texts, Verb.REMOVAL, "status", statuses, label=texts("actions.removal_status")),
    ]


def _police_inputs(texts: Texts, case: Case) -> list[Any]:
    police = case.handling.police
    return [
        paragraph(texts("actions.police_hint")),
        _toggle(texts, "employee_decided_to_report", bool(police and police.employee_decided_to_report)),
        _date_input(texts, Verb.POLICE, "reported_on", police.reported_on if police else None),
        _text_input(texts, Verb.POLICE, "journal_number", police.journal_number if police else ""),
        _toggle(texts, "joint_report", bool(police and police.joint_report)),
    ]


def _safetynet_inputs(texts: Texts, case: Case) -> list[Any]:
    current = case.handling.safetynet
    suggested = SafetyNetCategory.WORK_INJURY if work_injury_suggested(case) else None
    category = current.category if current else suggested
    options = [(c.value, texts(f"handling.category_{c.value}")) for c in SafetyNetCategory]
    body: list[Any] = [paragraph(texts("actions.safetynet_hint"))]
    safetynet = configured_link(texts, "safetynet")
    if safetynet is not None:
        body.append(ac.ActionSet(actions=[safetynet]))
    if suggested and not current:
        body.append(paragraph(texts("actions.safetynet_suggest_injury"), color=act.Colors.ATTENTION))
    return [
        *body,
        _choice_input(texts, Verb.SAFETYNET, "category", options, category.value if category else None),
        _date_input(texts, Verb.SAFETYNET, "registered_on", current.registered_on if current else None),
        _toggle(texts, "doctor_advised", bool(current and current.doctor_advised)),
    ]


def _escalate_hr_inputs(texts: Texts, case: Case) -> list[Any]:
    current = case.handling.hr_escalation
    function = current.function.value if current and current.function else None
    options = [(f.value, texts(f"handling.function_{f.value}")) for f in HrFunction]
    return [
        paragraph(texts("actions.hr_hint")),
        _choice_input(texts, Verb.ESCALATE_HR, "function", options, function),
        _text_input(texts, Verb.ESCALATE_HR, "message", current.message if current else "", multiline=True),
    ]


def _absence_inputs(texts: Texts, case: Case) -> list[Any]:
    current = case.handling.absence
    return [
        paragraph(texts("actions.absence_hint")),
        _date_input(texts, Verb.ABSENCE, "first_day", current.first_day if current else None),
    ]


def _hr_assign_inputs(texts: Texts, case: Case) -> list[Any]:
    function = _hr_function(case.handling)
    options = [(f.value, texts(f"handling.function_{f.value}")) for f in HrFunction]
    return [
        paragraph(texts("actions.hr_assign_hint")),
        _choice_input(texts, Verb.HR_ASSIGN, "function", options, function.value if function else None),
    ]


def _hr_advice_inputs(texts: Texts, case: Case) -> list[Any]:
    return [paragraph(texts("actions.hr_advice_hint")), _text_input(texts, Verb.HR_ADVICE, "text", multiline=True)]


def _hold_inputs(verb: Verb) -> Callable[[Texts, Case], list[Any]]:
    """Placing or lifting a legal hold: what it means, and the reason (required: the rule refuses it without)."""

    def inputs(texts: Texts, case: Case) -> list[Any]:
        reason = ac.InputText(
            id="hold_reason",
            label=texts("actions.hold_reason"),
            max_length=field_max_length(verb, "hold_reason"),
            is_multiline=True,
            is_required=True,
            error_message=texts("actions.required"),
        )
        return [paragraph(texts(f"actions.{verb.value}_hint")), reason]

    return inputs


def _hr_reassign_inputs(texts: Texts, case: Case) -> list[Any]:
    return [
        paragraph(texts("actions.hr_reassign_hint")),
        _text_input(texts, Verb.HR_REASSIGN, "leader_name"),
        ac.InputText(
            id="reassign_reason",
            label=texts("actions.reassign_reason"),
            max_length=field_max_length(Verb.HR_REASSIGN, "reassign_reason"),
            is_multiline=True,
            is_required=True,
            error_message=texts("actions.required"),
        ),
    ]


def _work_environment_inputs(texts: Texts, case: Case) -> list[Any]:
    """What the group gets and does; the form is gone once the case is sent (`_action_sections`)."""
    return [paragraph(texts("actions.work_environment_hint"))]


def _required_text(texts: Texts, verb: Verb, field: str) -> ac.InputText:
    """A text the rule needs in this form (though the command has it optional for other cases)."""
    return ac.InputText(
        id=field,
        label=texts(f"actions.{field}"),
        max_length=field_max_length(verb, field),
        is_multiline=True,
        is_required=True,
        error_message=texts("actions.required"),
    )


def _close_inputs(texts: Texts, case: Case) -> list[Any]:
    """The duties not recorded yet (domain/closing.py) each ask for a reason; the rule refuses the close without."""
    options = [(f.value, texts(f"actions.follow_up_{f.value}")) for f in FollowUp]
    undone = undone_duties(case.handling)
    duties: list[Any] = [paragraph(texts("actions.close_duties_hint"), color=act.Colors.ATTENTION)] if undone else []
    duties += [_required_text(texts, Verb.CLOSE, reason_field(duty)) for duty in undone]
    return [
        paragraph(texts("actions.close_hint")),
        _toggle(texts, "employee_informed", False),
        _choice_input(texts, Verb.CLOSE, "follow_up", options),
        _text_input(texts, Verb.CLOSE, "reason", multiline=True),
        *duties,
    ]


def _reopen_inputs(texts: Texts, case: Case) -> list[Any]:
    return [paragraph(texts("actions.reopen_hint")), _required_text(texts, Verb.REOPEN, "reopen_reason")]


INPUTS: dict[Verb, Callable[[Texts, Case], list[Any]]] = {
    Verb.FIRST_AID: _first_aid_inputs,
    Verb.CONTACT_OFFENDER: _contact_offender_inputs,
    Verb.RESTRICTIONS: _restrictions_inputs,
    Verb.REMOVAL: _removal_inputs,
    Verb.POLICE: _police_inputs,
    Verb.SAFETYNET: _safetynet_inputs,
    Verb.ESCALATE_HR: _escalate_hr_inputs,
    Verb.WORK_ENVIRONMENT: _work_environment_inputs,
    Verb.CLOSE: _close_inputs,
    Verb.ABSENCE: _absence_inputs,
    Verb.HR_ASSIGN: _hr_assign_inputs,
    Verb.HR_ADVICE: _hr_advice_inputs,
    Verb.LEGAL_HOLD: _hold_inputs(Verb.LEGAL_HOLD),
    Verb.LIFT_LEGAL_HOLD: _hold_inputs(Verb.LIFT_LEGAL_HOLD),
    Verb.HR_REASSIGN: _hr_reassign_inputs,
    Verb.REOPEN: _reopen_inputs,
}


# --- the actions ------------------------------------------------------------------------------------------
def _is_recorded(case: Case, verb: Verb) -> bool:
    handling = case.handling
    recorded: dict[Verb, object] = {
        Verb.ACKNOWLEDGE: handling.acknowledged,
        Verb.FIRST_AID: handling.first_aid.recorded,
        Verb.CONTACT_OFFENDER: handling.offender_contacts,
        Verb.RESTRICTIONS: handling.restrictions,
        Verb.REMOVAL: handling.removals,
        Verb.POLICE: handling.police,
        Verb.SAFETYNET: handling.safetynet,
        Verb.ESCALATE_HR: handling.hr_escalation,
        Verb.WORK_ENVIRONMENT: handling.work_environment,
        Verb.CLOSE: handling.closure,
        Verb.ABSENCE: handling.absence,
        Verb.HR_ASSIGN: handling.hr_response.assigned,
        Verb.HR_ADVICE: handling.hr_response.advice,
        Verb.LEGAL_HOLD: handling.active_hold(),
        Verb.LIFT_LEGAL_HOLD: None,
        Verb.HR_REASSIGN: handling.leader_changes,
        Verb.REOPEN: None,
    }
    return bool(recorded[verb])


def _show_card(texts: Texts, case: Case, verb: Verb) -> ac.ActionShowCard:
    """One duty: its inputs, and an Action.Execute that saves them."""
    title = texts(f"actions.{verb.value}")
    save = _execute(texts(SAVE_TITLES.get(verb, "actions.save")), verb.value, case, primary=True)
    inner = ac.AdaptiveCard(version="1.5", body=INPUTS[verb](texts, case), actions=[save])
    return ac.ActionShowCard(title=f"✓ {title}" if _is_recorded(case, verb) else title, card=inner)


_NO_FIRST_AID = FirstAid()
# Whether a duty's form shows nothing of the case but its Action.Execute data: nothing recorded for the duty (the
# SafetyNet form also says whether a work injury is suggested, `_blank_form`). The offender's letter and the
# removal form (the case's links and platform) always show the case.
_BLANK: dict[Verb, Callable[[Handling], bool]] = {
    Verb.FIRST_AID: lambda handling: handling.first_aid == _NO_FIRST_AID,
    Verb.RESTRICTIONS: lambda handling: handling.restrictions is None,
    Verb.POLICE: lambda handling: handling.police is None,
    Verb.SAFETYNET: lambda handling: handling.safetynet is None,
    Verb.ABSENCE: lambda handling: handling.absence is None,
    Verb.ESCALATE_HR: lambda handling: handling.hr_escalation is None,
    Verb.WORK_ENVIRONMENT: lambda handling: handling.work_environment is None,
    Verb.HR_ASSIGN: lambda handling: _hr_function(handling) is None,
    Verb.CLOSE: lambda handling: not undone_duties(handling),
    Verb.HR_ADVICE: lambda handling: True,
    Verb.HR_REASSIGN: lambda handling: True,
}
_BLANK_FORMS = PartMemo(size=4 * len(_BLANK) * 2)  # both languages, recorded or not, work injury suggested or not


def _blank_form(case: Case, verb: Verb) -> tuple[Verb, bool, bool] | None:
    """The memo key of a duty's form while it is blank (see `_BLANK`), else None."""
    blank = _BLANK.get(verb)
    if blank is None or not blank(case.handling):
        return None
    return verb, _is_recorded(case, verb), verb is Verb.SAFETYNET and work_injury_suggested(case)


def _show_card_json(texts: Texts, case: Case, verb: Verb) -> Card:
    """`_show_card` as JSON. Blank forms are memoised (a new case's card has ten, built as ~100 typed elements):
    the same for every case but the data of their Action.Execute, which is set on the copy (benchmarks/README.md
    has what it saves)."""
    key = _blank_form(case, verb)
    if key is None:
        return element_json(_show_card(texts, case, verb))
    form = _BLANK_FORMS.part((texts.identity, *key), lambda: element_json(_show_card(texts, case, verb)))
    form["card"]["actions"][0]["data"] = _case_data(case)
    return form


def _show_card_rows(texts: Texts, case: Case, verbs: Sequence[Verb]) -> list[Card]:
    return [
        {
            "type": "ActionSet",
            "actions": [_show_card_json(texts, case, verb) for verb in verbs[row : row + BUTTONS_PER_ROW]],
        }
        for row in range(0, len(verbs), BUTTONS_PER_ROW)
    ]


def _action_sections(texts: Texts, case: Case, skip: frozenset[Verb] = frozenset()) -> list[Card]:
    """'Kvittér' as a direct action, the other duties in three captioned groups, two buttons a row so no title
    is cut on a phone (360 px). `skip` leaves duties out (HR neither acknowledges for the leader nor asks
    itself for advice). In JSON, for `build_card(finished=...)`: most duty forms come from `_BLANK_FORMS`."""
    body: list[Card] = [element_json(heading(texts("leader.actions_title")))]
    if case.handling.acknowledged is None and Verb.ACKNOWLEDGE not in skip:
        acknowledge = _execute(texts("actions.acknowledge"), Verb.ACKNOWLEDGE.value, case, primary=True)
        body.append(element_json(ac.ActionSet(actions=[acknowledge])))
    sent = frozenset({Verb.WORK_ENVIRONMENT}) if case.handling.work_environment is not None else frozenset[Verb]()
    for caption, group in ACTION_GROUPS:
        verbs = [verb for verb in group if verb not in skip | sent]  # sent to the group once: its state is in "done"
        caption_block = ac.TextBlock(text=texts(caption), weight=act.FontWeight.BOLDER, spacing=act.Spacing.MEDIUM)
        body.append(element_json(caption_block))
        body += _show_card_rows(texts, case, verbs)
    return body


def _closed_banner(texts: Texts, case: Case) -> ac.Container:
    """A closed case says so, and when its employee asked for it to be reopened (since it closed)."""
    items: list[Any] = [paragraph(texts("leader.closed_banner"))]
    asked = case.handling.reopen_asked()
    if asked is not None:
        items.append(paragraph(texts("reopen_request.leader_asked", date=_local_day(asked.at))))
    return ac.Container(items=items, style=act.ContainerStyle.GOOD)


def _actions_or_closed(texts: Texts, case: Case, skip: frozenset[Verb] = frozenset()) -> list[Card]:
    """The duties (`_action_sections`), or the banner of a closed case with the form that reopens it; in JSON."""
    if case.status is CaseStatus.CLOSED:
        banner = [element_json(_closed_banner(texts, case))]
        if Verb.REOPEN in skip:
            return banner
        return [*banner, element_json(ac.ActionSet(actions=[_show_card(texts, case, Verb.REOPEN)]))]
    return _action_sections(texts, case, skip)
