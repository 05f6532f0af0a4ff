"""Cards for a reported case: the leader's (and escalated HR's) Universal Action card with the guideline's
duties, the employee's plain status view, and the texts around them (letter to the offender, the update the
employee gets after an action, and action errors).

The EFTER phase shows on the leadership cards too: the first day of absence with its work-injury (EASY)
deadline, the employee's latest check-in, and Organisation og Personale's answer (acknowledged, who helps,
advice to the leader); HR's card adds what is overdue and HR's own actions.

Every Action.Execute carries `case_id` and `version`; the inputs of each action use exactly the field names
of the matching command in `domain.leader_actions.COMMANDS`, since Teams merges input values into `data`
by input id. Every card carries `refresh` so each person sees their own view when the card is opened.
Whatever people wrote (names, notes, links, the offender's name in the letter) is escaped where a card reads
Markdown (`cards.markdown.escape_markdown`); `offender_letter` is the letter as plain text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.case_package import package_button
from cards.common import build_card, choices, element_json, heading, paragraph
from cards.markdown import escape_markdown
from cards.memo import PartMemo
from cards.summary import format_time, summary_facts
from content import Texts
from domain.authorization import Role
from domain.case import Case, CaseStatus
from domain.evidence import EvidenceItem
from domain.follow_ups import OVERDUE_KINDS, JobKind, reported_as_work_injury, work_injury_suggested
from domain.handling import (
    CheckInAnswer,
    Closure,
    ContactMethod,
    ContactRestrictions,
    FirstAid,
    FollowUp,
    Handling,
    HrAdvice,
    HrEscalation,
    HrFunction,
    OffenderContact,
    PoliceReport,
    RemovalStatus,
    SafetyNetCategory,
    SafetyNetRegistration,
    Signed,
)
from domain.leader_actions import COMMANDS, EMPLOYEE_VERBS, HR_VERBS, OPEN_EVIDENCE, REFRESH, Verb
from domain.reporting import DEFAULT_TIMEZONE, ReportDraft

DESCRIPTION_LIMIT = 300
NOTE_LIMIT = 600
MAX_EVIDENCE_LISTED = 10
EVIDENCE_NAME_LIMIT = 40
LINK_TITLE_LIMIT = 60
LINK_CHOICES_BUDGET = 4000  # characters of links offered as choices; beyond it the leader pastes the link
LETTER_LINKS_BUDGET = 2500  # characters of links shown in the card's letter template
MAX_ADVICE_SHOWN = 2  # HR's latest pieces of advice on the card (the leader gets each in full in the chat)
ADVICE_LIMIT = NOTE_LIMIT
DONE, WAITING = "✅", "⏳"
BUTTONS_PER_ROW = 2
HR_SKIPS = frozenset({Verb.ACKNOWLEDGE, Verb.ESCALATE_HR})  # the leader's own, or HR asking itself

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
}
# The verbs after which the employee hears from Værn; their own check-in answers and HR's verbs are not news
# to them, and the first day of absence is theirs.
EMPLOYEE_UPDATE_VERBS = frozenset(Verb) - EMPLOYEE_VERBS - HR_VERBS - {Verb.ABSENCE}
RESTRICTION_TOGGLES = (
    "no_personal_or_phone_contact",
    "prior_appointment_required",
    "no_replies_to_mail_or_letters",
    "functional_mailbox_only",
    "caseworker_changed",
)
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
        "invalid_input",
        "unknown_action",
        "not_allowed",
    }
)

Card = dict[str, Any]
Facts = list[tuple[str, str]]


# --- small formatting helpers ---------------------------------------------------------------------------


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(text: str, limit: int | None = None) -> str:
    """What someone wrote, cut to `limit`, as Markdown that shows it as written."""
    return escape_markdown(text if limit is None else _short(text, limit))


def _day(value: date) -> str:
    return value.strftime("%d-%m-%Y")


def _local_day(moment: datetime) -> str:
    return _day(moment.astimezone(DEFAULT_TIMEZONE).date())


def _reference(case: Case) -> str:
    return case.reference or case.case_id[:8]


def _case_data(case: Case) -> dict[str, Any]:
    return {"case_id": case.case_id, "version": case.version}


def _execute(title: str, verb: str, case: Case, *, primary: bool = False) -> ac.ActionExecute:
    style = act.ActionStyle.POSITIVE if primary else None
    return ac.ActionExecute(title=title, verb=verb, data=_case_data(case), style=style)


def _fact_set(facts: Facts) -> ac.FactSet:
    return ac.FactSet(facts=[ac.Fact(title=title, value=value) for title, value in facts])


def _with_refresh(card: Card, case: Case, user_ids: Sequence[str]) -> Card:
    """adaptive-cards-py types `Refresh.action` as a string, so the block is set on the finished dict."""
    action = {"type": "Action.Execute", "verb": REFRESH, "data": _case_data(case)}
    card["refresh"] = {"action": action, "userIds": list(user_ids)}
    return card


# --- what happened --------------------------------------------------------------------------------------


def _as_draft(case: Case) -> ReportDraft:
    description = _short(case.incident.description, DESCRIPTION_LIMIT)
    return ReportDraft(
        case_id=case.case_id,
        reporter=case.reporter,
        incident=case.incident.model_copy(update={"description": description}),
        locale=case.locale,
    )


def _evidence_text(texts: Texts, evidence: list[EvidenceItem]) -> str:
    if not evidence:
        return texts("leader.no_evidence")
    lines = [texts("leader.evidence_count", count=len(evidence))]
    lines += [
        f"{_shown(item.original_name, EVIDENCE_NAME_LIMIT)} · {item.short_hash}"
        for item in evidence[:MAX_EVIDENCE_LISTED]
    ]
    if len(evidence) > MAX_EVIDENCE_LISTED:
        lines.append(texts("leader.evidence_more", count=len(evidence) - MAX_EVIDENCE_LISTED))
    return " · ".join(lines)


def _incident_facts(texts: Texts, case: Case, evidence: list[EvidenceItem]) -> Facts:
    """The report as the leader needs it: the employee's summary facts, relabelled for the leader."""
    facts: Facts = [(texts("leader.reported_at"), format_time(case.created_at, texts))]
    if case.unit:
        facts.append((texts("leader.unit"), _shown(case.unit)))
    facts.append((texts("leader.employee"), _shown(case.subject.name) or texts("summary.not_given")))
    if case.reported_on_behalf:
        facts.append((texts("leader.reported_by"), _shown(case.reporter.name) or texts("summary.not_given")))
    skipped = {texts("summary.urgent"), texts("summary.reported_for"), texts("summary.evidence")}
    renamed = {texts("summary.impact"): texts("leader.impact")}
    for title, value in summary_facts(texts, _as_draft(case), []):
        if title not in skipped:
            facts.append((renamed.get(title, title), value))
    impact = case.incident.impact
    if impact and impact.text:
        facts.append((texts("leader.impact_text"), _shown(impact.text, DESCRIPTION_LIMIT)))
    facts.append((texts("leader.evidence"), _evidence_text(texts, evidence)))
    return facts


def _title_block(texts: Texts, case: Case, title: str) -> ac.Container:
    urgent = case.incident.urgent
    text = f"{title} · {texts('leader.urgent')}" if urgent else title
    status = texts("leader.status", status=texts(f"leader.status_{case.status.value}"))
    return ac.Container(
        items=[heading(text), paragraph(status, subtle=True)],
        style=act.ContainerStyle.ATTENTION if urgent else act.ContainerStyle.EMPHASIS,
        bleed=True,
    )


# --- what has been done -------------------------------------------------------------------------------


def restriction_rules(texts: Texts, restrictions: ContactRestrictions, *, markdown: bool = False) -> list[str]:
    """The contact restrictions in force, in plain words; with `markdown`, for a card (the hours the leader
    wrote escaped)."""
    rules = [texts("handling.ban_until", date=_day(restrictions.ban_until))] if restrictions.ban_until else []
    rules += [texts(f"handling.{name}") for name in RESTRICTION_TOGGLES if getattr(restrictions, name)]
    if restrictions.limited_contact_hours:
        hours = restrictions.limited_contact_hours
        rules.append(texts("handling.limited_contact_hours", hours=escape_markdown(hours) if markdown else hours))
    return rules


def _restrictions_text(texts: Texts, restrictions: ContactRestrictions) -> str:
    """The rules in force on one line of a card, cut to a note's length."""
    return _short("; ".join(restriction_rules(texts, restrictions, markdown=True)), NOTE_LIMIT)


def removal_counts(texts: Texts, handling: Handling) -> str:
    """'Bedt om fjernelse 2 · Fjernet 1', only the statuses that occur."""
    counts = {status: sum(r.status is status for r in handling.removals) for status in RemovalStatus}
    return " · ".join(f"{texts(f'handling.removal_{s.value}')} {n}" for s, n in counts.items() if n)


def _first_aid_lines(texts: Texts, first_aid: FirstAid) -> list[tuple[str, str | None]]:
    held = texts("handling.debriefing_held") if first_aid.debriefing_held else None
    return [
        ("talked_through", _day(first_aid.talked_through_on) if first_aid.talked_through_on else None),
        ("colleagues_informed", _day(first_aid.colleagues_informed_on) if first_aid.colleagues_informed_on else None),
        ("debriefing", held),
    ]


def _acknowledged_text(texts: Texts, acknowledged: Signed) -> str:
    return texts("handling.by_at", name=_shown(acknowledged.by_name), time=format_time(acknowledged.at, texts))


def _contacts_text(texts: Texts, contacts: list[OffenderContact]) -> str:
    last = contacts[-1]
    method = texts(f"handling.method_{last.method.value}")
    return texts("handling.offender_contacted_value", count=len(contacts), method=method, date=_day(last.contacted_on))


def _police_text(texts: Texts, police: PoliceReport) -> str:
    if not police.employee_decided_to_report:
        return texts("handling.police_not_decided")
    parts = [texts("handling.police_reported", date=_day(police.reported_on))] if police.reported_on else []
    parts = parts or [texts("handling.police_decided")]
    if police.journal_number:
        parts.append(texts("handling.police_journal", number=_shown(police.journal_number)))
    if police.joint_report:
        parts.append(texts("handling.police_joint"))
    return ", ".join(parts)


def _safetynet_text(texts: Texts, registration: SafetyNetRegistration) -> str:
    category = texts(f"handling.category_{registration.category.value}")
    text = texts("handling.safetynet_value", category=category, date=_day(registration.registered_on))
    return f"{text}, {texts('handling.doctor_advised')}" if registration.doctor_advised else text


def _hr_function(handling: Handling) -> HrFunction | None:
    """Who in Organisation og Personale helps: the function HR assigned, else the one the leader asked for
    (none yet when Værn escalated on its own)."""
    escalation, assigned = handling.hr_escalation, handling.hr_response.assigned
    if assigned is not None:
        return assigned.function
    return escalation.function if escalation else None


def _hr_text(texts: Texts, handling: Handling, escalation: HrEscalation) -> str:
    function = _hr_function(handling)
    if function is None:
        return texts("handling.hr_automatic", date=_local_day(escalation.at))
    return texts(
        "handling.hr_value", function=texts(f"handling.function_{function.value}"), date=_local_day(escalation.at)
    )


def _absence_text(texts: Texts, case: Case, easy_deadline: date | None) -> str | None:
    deadline, absence = easy_deadline, case.handling.absence
    if deadline is None or absence is None:
        return None
    return texts("handling.absence_value", date=_day(absence.first_day), deadline=_day(deadline))


def _closure_text(texts: Texts, closure: Closure) -> str:
    follow_up = texts(f"handling.follow_up_{closure.follow_up.value}")
    name = _shown(closure.by_name)
    return texts("handling.closure_value", date=_local_day(closure.at), name=name, follow_up=follow_up)


def handling_facts(texts: Texts, case: Case, easy_deadline: date | None = None) -> Facts:
    """What leadership has recorded on the case so far, one short line per duty that has a record (the first
    day of absence with its EASY deadline, as `domain.follow_ups.FollowUps.easy_deadline` gives it). Free-text
    notes (outcomes, HR message, the work environment conclusion) stay out."""
    h = case.handling
    restrictions = h.restrictions if h.restrictions and h.restrictions.any else None
    lines: list[tuple[str, str | None]] = [
        ("acknowledged", _acknowledged_text(texts, h.acknowledged) if h.acknowledged else None),
        *_first_aid_lines(texts, h.first_aid),
        ("offender_contacted", _contacts_text(texts, h.offender_contacts) if h.offender_contacts else None),
        (
            "restrictions",
            _restrictions_text(texts, restrictions) if restrictions else None,
        ),
        ("removals", removal_counts(texts, h) if h.removals else None),
        ("police", _police_text(texts, h.police) if h.police else None),
        ("safetynet", _safetynet_text(texts, h.safetynet) if h.safetynet else None),
        ("absence", _absence_text(texts, case, easy_deadline)),
        ("hr", _hr_text(texts, h, h.hr_escalation) if h.hr_escalation else None),
        (
            "work_environment",
            texts("handling.work_environment_value", date=_local_day(h.work_environment.at))
            if h.work_environment
            else None,
        ),
        ("closure", _closure_text(texts, h.closure) if h.closure else None),
    ]
    return [(texts(f"handling.{key}"), value) for key, value in lines if value]


def _section_title(text: str) -> ac.TextBlock:
    return ac.TextBlock(text=text, weight=act.FontWeight.BOLDER, wrap=True, separator=True)


def _done_section(texts: Texts, case: Case, easy_deadline: date | None) -> list[Any]:
    facts = handling_facts(texts, case, easy_deadline)
    body: list[Any] = [_section_title(texts("leader.done_title"))]
    body.append(_fact_set(facts) if facts else paragraph(texts("leader.nothing_done"), subtle=True))
    if easy_deadline and not reported_as_work_injury(case) and case.status is not CaseStatus.CLOSED:
        body.append(paragraph(texts("handling.easy_reminder", date=_day(easy_deadline)), color=act.Colors.ATTENTION))
    return body


# --- the EFTER phase: the employee's check-ins and HR's answer ----------------------------------------------


def check_in_wishes(texts: Texts, answer: CheckInAnswer, prefix: str = "check_in_status") -> str:
    """'vil tale med sin leder, vil have professionel hjælp' (empty when neither); the employee's own card
    words them to the employee with `prefix="check_in"`."""
    wishes = [name for name in ("talk_to_leader", "professional_help") if getattr(answer, name)]
    return ", ".join(texts(f"{prefix}.wish_{name}") for name in wishes)


def _check_in_section(texts: Texts, case: Case, *, for_leader: bool) -> list[Any]:
    """The employee's latest check-in (score, wishes, and for the leader their own words) or that they
    stopped the check-ins. HR sees the score and wishes, not the words."""
    h = case.handling
    latest = max(h.check_ins, key=lambda answer: answer.at, default=None)
    if latest is None and h.check_ins_stopped is None:
        return []
    facts: Facts = []
    if latest is not None:
        score = f"{texts(f'impact.scale_{latest.score}')} ({_local_day(latest.at)})"
        facts.append((texts("check_in_status.latest", day=latest.day), score))
        wishes = check_in_wishes(texts, latest)
        if wishes:
            facts.append((texts("check_in_status.wishes"), wishes))
        if for_leader and latest.text:
            facts.append((texts("check_in_status.words"), _shown(latest.text, DESCRIPTION_LIMIT)))
    if h.check_ins_stopped is not None:
        stopped = texts("check_in_status.stopped", date=_local_day(h.check_ins_stopped.at))
        facts.append((texts("check_in_status.check_ins"), stopped))
    body: list[Any] = [_section_title(texts("check_in_status.title")), _fact_set(facts)]
    if for_leader and latest is not None and latest.needs_leader and case.status is not CaseStatus.CLOSED:
        body.append(paragraph(texts("check_in_status.talk_soon"), color=act.Colors.ATTENTION))
        if latest.suggests_work_injury and not reported_as_work_injury(case):
            body.append(paragraph(texts("check_in_status.consider_work_injury"), color=act.Colors.ATTENTION))
    return body


def _advice_block(texts: Texts, advice: HrAdvice) -> ac.Container:
    by = texts("hr_response.advice_by", name=_shown(advice.by_name), time=format_time(advice.at, texts))
    items = [paragraph(by, subtle=True), paragraph(_shown(advice.text, ADVICE_LIMIT))]
    return ac.Container(items=items, style=act.ContainerStyle.EMPHASIS, spacing=act.Spacing.SMALL)


def _hr_response_section(texts: Texts, case: Case, *, for_leader: bool) -> list[Any]:
    """What Organisation og Personale did with the escalation: acknowledged, who helps, the latest advice."""
    h = case.handling
    if h.hr_escalation is None:
        return []
    response, audience = h.hr_response, "" if for_leader else "_hr"
    body: list[Any] = [_section_title(texts(f"hr_response.title{audience}"))]
    facts: Facts = []
    if response.acknowledged is not None:
        facts.append((texts("hr_response.acknowledged"), _acknowledged_text(texts, response.acknowledged)))
    if response.assigned is not None:
        function = texts(f"handling.function_{response.assigned.function.value}")
        facts.append((texts("hr_response.assigned"), f"{function} ({_shown(response.assigned.by_name)})"))
    if facts:
        body.append(_fact_set(facts))
    earlier = len(response.advice) - MAX_ADVICE_SHOWN
    if earlier > 0:
        body.append(paragraph(texts("hr_response.earlier_advice", count=earlier), subtle=True))
    body += [_advice_block(texts, advice) for advice in response.advice[-MAX_ADVICE_SHOWN:]]
    if not facts and not response.advice:
        body.append(paragraph(texts(f"hr_response.waiting{audience}"), subtle=True))
    return body


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


def _links_within(links: Sequence[str], budget: int) -> list[str]:
    """The first links whose combined length fits the budget (the card has a 28 KB limit)."""
    kept: list[str] = []
    for link in links:
        if sum(map(len, kept)) + len(link) > budget:
            break
        kept.append(link)
    return kept


def _letter_block(texts: Texts, case: Case) -> list[Any]:
    """The letter template inside the card, with as many links as fit; the full text is `offender_letter`."""
    links = _links_within(case.incident.links, LETTER_LINKS_BUDGET)
    leader_name = escape_markdown(case.leader.name if case.leader else "") or texts("letter.leader_unknown")
    letter = _letter(texts, case, leader_name, links, written=escape_markdown)
    items: list[Any] = [ac.TextBlock(text=texts("actions.letter_title"), weight=act.FontWeight.BOLDER, wrap=True)]
    items += [paragraph(part) for part in letter.split("\n\n")]
    if len(links) < len(case.incident.links):
        note = texts("actions.letter_links_cut", shown=len(links), count=len(case.incident.links))
        items.append(paragraph(note, subtle=True))
    return [ac.Container(items=items, style=act.ContainerStyle.EMPHASIS)]


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


def _work_environment_inputs(texts: Texts, case: Case) -> list[Any]:
    current = case.handling.work_environment
    return [
        paragraph(texts("actions.work_environment_hint")),
        _text_input(texts, Verb.WORK_ENVIRONMENT, "conclusion", current.conclusion if current else "", multiline=True),
        _text_input(
            texts, Verb.WORK_ENVIRONMENT, "new_initiative", current.new_initiative if current else "", multiline=True
        ),
    ]


def _close_inputs(texts: Texts, case: Case) -> list[Any]:
    options = [(f.value, texts(f"actions.follow_up_{f.value}")) for f in FollowUp]
    return [
        paragraph(texts("actions.close_hint")),
        _toggle(texts, "employee_informed", False),
        _choice_input(texts, Verb.CLOSE, "follow_up", options),
        _text_input(texts, Verb.CLOSE, "reason", multiline=True),
    ]


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
    Verb.CLOSE: lambda handling: True,
    Verb.HR_ADVICE: lambda handling: True,
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
    the same for every case but the data of their Action.Execute, which is set on the copy. A new case's
    leader card in-process (process_time, 3 x 200 builds): 525-530 -> 322-326 us; at 50 users in
    `benchmarks/load.py` building it was 6-7 % of the bot's CPU, all of it in the "confirm" step."""
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
    for caption, group in ACTION_GROUPS:
        verbs = [verb for verb in group if verb not in skip]
        caption_block = ac.TextBlock(text=texts(caption), weight=act.FontWeight.BOLDER, spacing=act.Spacing.MEDIUM)
        body.append(element_json(caption_block))
        body += _show_card_rows(texts, case, verbs)
    return body


def _closed_banner(texts: Texts) -> ac.Container:
    return ac.Container(items=[paragraph(texts("leader.closed_banner"))], style=act.ContainerStyle.GOOD)


def _actions_or_closed(texts: Texts, case: Case, skip: frozenset[Verb] = frozenset()) -> list[Card]:
    """The duties (`_action_sections`), or the banner of a closed case; in JSON."""
    if case.status is CaseStatus.CLOSED:
        return [element_json(_closed_banner(texts))]
    return _action_sections(texts, case, skip)


def leader_card(
    texts: Texts,
    case: Case,
    evidence: list[EvidenceItem],
    refresh_user_ids: Sequence[str],
    easy_deadline: date | None = None,
) -> Card:
    """What the case's leader or deputy sees: the report, what has been done (with the EASY deadline once
    absence is recorded, as `domain.follow_ups.FollowUps.easy_deadline` gives it), the employee's latest
    check-in, HR's answer and advice, and the duties as actions."""
    body = [
        _title_block(texts, case, texts("leader.title", reference=_reference(case))),
        paragraph(texts("leader.intro")),
        _fact_set(_incident_facts(texts, case, evidence)),
        *_evidence_access(texts, case, evidence),
        *_done_section(texts, case, easy_deadline),
        *_check_in_section(texts, case, for_leader=True),
        *_hr_response_section(texts, case, for_leader=True),
    ]
    card = build_card(texts, body, finished=_actions_or_closed(texts, case))
    return _with_refresh(card, case, refresh_user_ids)


def _evidence_access(texts: Texts, case: Case, evidence: list[EvidenceItem]) -> list[Any]:
    """The note that every opening is logged, and the button that opens the evidence through the bot."""
    note = paragraph(texts("leader.evidence_access"), subtle=True)
    actions = [_execute(texts("leader.open_evidence"), OPEN_EVIDENCE, case)] if evidence else []
    return [note, ac.ActionSet(actions=[*actions, package_button(texts, case)])]


# --- HR -------------------------------------------------------------------------------------------------


def hr_automatic_reason(texts: Texts, escalation: HrEscalation) -> str:
    """Why Værn escalated on its own, in words (a general text for a reason it does not know)."""
    key = f"hr.reason_{escalation.automatic_reason}"
    return texts(key) if escalation.automatic_reason and texts.has(key) else texts("hr.reason_other")


def _escalation_facts(texts: Texts, escalation: HrEscalation) -> Facts:
    """Why HR has the case: the leader's request (function, message, who and when), or Værn's own reason."""
    if escalation.function is None:
        return [
            (texts("hr.why"), hr_automatic_reason(texts, escalation)),
            (texts("hr.sent"), format_time(escalation.at, texts)),
        ]
    requested = texts("handling.by_at", name=_shown(escalation.by_name), time=format_time(escalation.at, texts))
    return [
        (texts("hr.function"), texts(f"handling.function_{escalation.function.value}")),
        (texts("hr.message"), _shown(escalation.message, NOTE_LIMIT) or texts("hr.no_message")),
        (texts("hr.requested"), requested),
    ]


def _hr_facts(texts: Texts, case: Case, evidence: list[EvidenceItem]) -> Facts:
    incident, escalation = case.incident, case.handling.hr_escalation
    missing = texts("summary.not_given")
    facts: Facts = []
    if case.unit:
        facts.append((texts("leader.unit"), _shown(case.unit)))
    if incident.urgent:
        facts.append((texts("summary.urgent"), "⚠ " + texts("common.yes")))
    if escalation:
        facts += _escalation_facts(texts, escalation)
    kinds = ", ".join(texts(f"kinds.{kind.value}") for kind in incident.kinds) or missing
    channel = texts(f"channel.{incident.channel.value}") if incident.channel else missing
    impact = texts(f"impact.scale_{incident.impact.score}") if incident.impact else missing
    facts += [
        (texts("hr.kinds"), kinds),
        (texts("hr.channel"), channel),
        (texts("hr.when"), format_time(incident.occurred_at, texts)),
        (texts("leader.impact"), impact),
        (texts("leader.evidence"), _evidence_text(texts, evidence)),
    ]
    return facts


def _overdue_section(texts: Texts, overdue: Sequence[JobKind]) -> list[Any]:
    """The duties past their time, each once, in a warning box; nothing when nothing is late."""
    kinds = [kind for kind in dict.fromkeys(overdue) if kind in OVERDUE_KINDS]
    if not kinds:
        return []
    title = ac.TextBlock(text=f"⚠ {texts('overdue.title')}", weight=act.FontWeight.BOLDER, wrap=True)
    lines = [_step(False, texts(f"overdue.{kind.value}")) for kind in kinds]
    return [ac.Container(items=[title, *lines], style=act.ContainerStyle.WARNING, spacing=act.Spacing.MEDIUM)]


def _hr_actions(texts: Texts, case: Case) -> list[Any]:
    """HR's own answer to the leader: acknowledge, choose who helps, give advice (open cases only)."""
    if case.status is CaseStatus.CLOSED:
        return []
    body: list[Any] = []
    if case.handling.hr_response.acknowledged is None:
        acknowledge = _execute(texts("actions.hr_acknowledge"), Verb.HR_ACKNOWLEDGE.value, case, primary=True)
        body.append(ac.ActionSet(actions=[acknowledge]))
    return [*body, *_show_card_rows(texts, case, [Verb.HR_ASSIGN, Verb.HR_ADVICE])]


def hr_escalation_card(
    texts: Texts,
    case: Case,
    evidence: list[EvidenceItem],
    refresh_user_ids: Sequence[str] = (),
    overdue: Sequence[JobKind] = (),
    easy_deadline: date | None = None,
) -> Card:
    """For Organisation og Personale: why the case came (the leader's question, or Værn's own reason when a
    deadline passed), a need-to-know summary, what is overdue (`FollowUps.overdue`), HR's answer so far
    with its actions (acknowledge, assign Jura or Arbejdsmiljøkoordinatoren, advise the leader), what has
    been done, the employee's latest check-in without their words, and leadership's actions."""
    escalation = case.handling.hr_escalation
    automatic = escalation is not None and escalation.function is None
    body = [
        _title_block(texts, case, texts("hr.title", reference=_reference(case))),
        paragraph(texts("hr.intro_automatic" if automatic else "hr.intro")),
        _fact_set(_hr_facts(texts, case, evidence)),
        *_evidence_access(texts, case, evidence),
        *_overdue_section(texts, overdue),
        *_hr_response_section(texts, case, for_leader=False),
        *_hr_actions(texts, case),
        *_done_section(texts, case, easy_deadline),
        *_check_in_section(texts, case, for_leader=False),
    ]
    card = build_card(texts, body, finished=_actions_or_closed(texts, case, skip=HR_SKIPS))
    return _with_refresh(card, case, refresh_user_ids)


# --- the employee's view ----------------------------------------------------------------------------------


def _step(done: bool, text: str) -> ac.TextBlock:
    return ac.TextBlock(text=f"{DONE if done else WAITING} {text}", wrap=True, spacing=act.Spacing.SMALL)


def _talk_step(texts: Texts, case: Case, for_reporter: bool) -> ac.TextBlock:
    talked = case.handling.first_aid.talked_through_on is not None
    if for_reporter:
        key = "employee_status.step_talked_other" if talked else "employee_status.step_talked_other_waiting"
        return _step(talked, texts(key, name=_shown(case.subject.name)))
    return _step(talked, texts("employee_status.step_talked" if talked else "employee_status.step_talked_waiting"))


def _police_step(texts: Texts, case: Case) -> ac.TextBlock | None:
    police = case.handling.police
    if police is None:
        return None
    if police.reported_on:
        return _step(True, texts("employee_status.step_police_reported", date=_day(police.reported_on)))
    key = "step_police_decided" if police.employee_decided_to_report else "step_police_not"
    return _step(police.employee_decided_to_report, texts(f"employee_status.{key}"))


def _safetynet_step(texts: Texts, case: Case) -> ac.TextBlock:
    registration = case.handling.safetynet
    if registration is None:
        return _step(False, texts("employee_status.step_safetynet_waiting"))
    category = texts(f"handling.category_{registration.category.value}")
    return _step(True, texts("employee_status.step_safetynet", category=category))


def _check_in_step(texts: Texts, case: Case, next_check_in: date | None) -> ac.TextBlock | None:
    """While the case is open: that the employee stopped the check-ins, or when Værn asks next."""
    if case.status is CaseStatus.CLOSED:
        return None
    if case.handling.check_ins_stopped is not None:
        return _step(True, texts("employee_status.step_check_ins_stopped"))
    if next_check_in is not None:
        return _step(False, texts("employee_status.step_next_check_in", date=_day(next_check_in)))
    return None


def _status_steps(
    texts: Texts, case: Case, for_reporter: bool, next_check_in: date | None = None
) -> list[ac.TextBlock]:
    """Reported → acknowledged → talked → offender contacted → restrictions → removals → police → SafetyNet
    → check-ins → closed. A colleague who reported on someone's behalf does not see the police, SafetyNet
    or check-in steps."""
    handling = case.handling
    acknowledged = handling.acknowledged is not None
    steps: list[ac.TextBlock | None] = [
        _step(True, texts("employee_status.step_reported", date=_local_day(case.created_at))),
        _step(
            acknowledged,
            texts("employee_status.step_acknowledged" if acknowledged else "employee_status.step_acknowledged_waiting"),
        ),
        _talk_step(texts, case, for_reporter),
    ]
    if handling.offender_contacts:
        steps.append(_step(True, texts("employee_status.step_offender")))
    elif case.incident.offender.is_known:
        steps.append(_step(False, texts("employee_status.step_offender_waiting")))
    if handling.restrictions and handling.restrictions.any:
        rules = _restrictions_text(texts, handling.restrictions)
        steps.append(_step(True, texts("employee_status.step_restrictions", rules=rules)))
    if handling.removals:
        steps.append(_step(True, texts("employee_status.step_removals", counts=removal_counts(texts, handling))))
    if not for_reporter:
        steps += [_police_step(texts, case), _safetynet_step(texts, case), _check_in_step(texts, case, next_check_in)]
    closed = case.status is CaseStatus.CLOSED
    steps.append(_step(closed, texts("employee_status.step_closed" if closed else "employee_status.step_open")))
    return [step for step in steps if step is not None]


def employee_status_card(
    texts: Texts,
    case: Case,
    refresh_user_ids: Sequence[str] = (),
    *,
    viewer: Role = Role.SUBJECT,
    next_check_in: date | None = None,
) -> Card:
    """What the harassed employee (or the colleague who reported for them) sees: plain status steps and
    advice; `next_check_in` (the day of the next planned check-in, if the caller knows it) shows as a step.
    Never the letter to the offender, outcome notes, HR messages or advice, or the work environment review."""
    for_reporter = viewer is Role.REPORTER and case.reported_on_behalf
    body: list[Any] = [heading(texts("employee_status.title", reference=_reference(case)))]
    if for_reporter:
        body.append(paragraph(texts("employee_status.on_behalf", name=_shown(case.subject.name))))
    body += _status_steps(texts, case, for_reporter, next_check_in)
    body += [
        paragraph(texts("common.leader_handles_offender"), color=act.Colors.ATTENTION),
        paragraph(texts("employee_status.keep_messages")),
        paragraph(texts("employee_status.doctor")),
    ]
    return _with_refresh(build_card(texts, body), case, refresh_user_ids)


# --- texts ------------------------------------------------------------------------------------------------


def _letter(
    texts: Texts,
    case: Case,
    leader_name: str,
    links: Sequence[str],
    written: Callable[[str], str] = str,
    **organisation: str,
) -> str:
    """The letter, signed for the organisation the texts name (`content.texts_for`) unless `organisation` is given;
    `written` is applied to every text someone wrote (names, links) before it goes in."""
    offender = case.incident.offender
    name = written(offender.name)
    greeting = texts("letter.greeting_named", name=name) if offender.name else texts("letter.greeting_unknown")
    employee = written(case.subject.name) or texts("letter.employee_unknown")
    if links:
        removal = texts("letter.removal_links", links="\n".join(f"- {written(link)}" for link in links))
    else:
        removal = texts("letter.removal_general")
    return texts(
        "letter.body",
        greeting=greeting,
        **organisation,
        employee=employee,
        removal=removal,
        leader_name=leader_name,
    ).strip()


def offender_letter(texts: Texts, case: Case, leader_name: str, organisation: str | None = None) -> str:
    """The letter or mail the leader may send the offender: stop, remove the posts (all the case's links),
    continued harassment may be reported to the police. Names the employee only if the case has the name;
    never phone numbers or witnesses."""
    named = {"organisation": organisation} if organisation else {}
    return _letter(texts, case, leader_name, case.incident.links, **named)


def employee_update_text(texts: Texts, verb: Verb | str) -> str:
    """The short message the employee gets after a leader action; never the leader's own notes.
    Empty for anything else (e.g. `refresh`, the employee's own check-in, HR's verbs, absence)."""
    return texts(f"employee_update.{verb}") if verb in EMPLOYEE_UPDATE_VERBS else ""


def action_error_text(texts: Texts, reason: str) -> str:
    """A kind message for an InvalidCommand reason; unknown reasons get a general one."""
    return texts(f"action_errors.{reason}" if reason in ACTION_ERRORS else "action_errors.other")
