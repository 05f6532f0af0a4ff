"""The pieces every case view shares: formatting, what happened, what has been done (with the EASY deadline the domain
gives) and the EFTER phase (check-ins, HR's answer)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.common import heading, paragraph
from cards.markdown import escape_markdown
from cards.summary import format_time, summary_facts
from content import Texts
from domain.case import Case, CaseStatus
from domain.evidence import EvidenceItem
from domain.follow_ups import reported_as_work_injury
from domain.handling import (
    CheckInAnswer,
    Closure,
    ContactRestrictions,
    FirstAid,
    Handling,
    HrAdvice,
    HrEscalation,
    HrFunction,
    OffenderContact,
    PoliceReport,
    RemovalStatus,
    Reopening,
    SafetyNetRegistration,
    Signed,
    WorkEnvironmentAnalysis,
    WorkEnvironmentReview,
)
from domain.leader_actions import REFRESH
from domain.reporting import DEFAULT_TIMEZONE, ReportDraft

DESCRIPTION_LIMIT = 300
NOTE_LIMIT = 600
MAX_EVIDENCE_LISTED = 10
EVIDENCE_NAME_LIMIT = 40
LINK_TITLE_LIMIT = 60
MAX_ADVICE_SHOWN = 2  # HR's latest pieces of advice on the card (the leader gets each in full in the chat)
ADVICE_LIMIT = NOTE_LIMIT
DONE, WAITING = "✅", "⏳"
RESTRICTION_TOGGLES = (
    "no_personal_or_phone_contact",
    "prior_appointment_required",
    "no_replies_to_mail_or_letters",
    "functional_mailbox_only",
    "caseworker_changed",
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
        window = restrictions.limited_contact_hours
        rules.append(texts("handling.limited_contact_hours", window=escape_markdown(window) if markdown else window))
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


def _duties_text(texts: Texts, closure: Closure) -> str:
    """The duties the case closed without (their reasons are leadership's notes: in the case package)."""
    return ", ".join(texts(f"handling.duty_{reason.duty.value}") for reason in closure.duty_reasons)


def _reopened_text(texts: Texts, reopening: Reopening) -> str:
    return texts("handling.reopened_value", date=_local_day(reopening.at), name=_shown(reopening.by_name))


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
        ("work_environment", _work_environment_text(texts, h.work_environment) if h.work_environment else None),
        *_analysis_lines(texts, h.work_environment.analysis if h.work_environment else None),
        ("closure", _closure_text(texts, h.closure) if h.closure else None),
        ("closure_duties", _duties_text(texts, h.closure) if h.closure and h.closure.duty_reasons else None),
        ("reopened", _reopened_text(texts, h.reopenings[-1]) if h.reopenings and not h.closure else None),
    ]
    return [(texts(f"handling.{key}"), value) for key, value in lines if value]


def _work_environment_text(texts: Texts, review: WorkEnvironmentReview) -> str:
    """ "Sendt <dato>" while the group's analysis is missing, then "Sendt <dato> · behandlet <dato>"."""
    sent = _local_day(review.sent.at)
    if review.analysis is None:
        return texts("handling.work_environment_sent", date=sent)
    return texts("handling.work_environment_handled", sent=sent, date=_local_day(review.analysis.at))


def _analysis_lines(texts: Texts, analysis: WorkEnvironmentAnalysis | None) -> list[tuple[str, str | None]]:
    """The group's analysis as the leader reads it: causes, measures and whether the beredskabsplan must change."""
    if analysis is None:
        return []
    plan = _shown(analysis.plan_change_text, NOTE_LIMIT) if analysis.plan_change else texts("common.no")
    return [
        ("work_environment_causes", _shown(analysis.causes, NOTE_LIMIT)),
        ("work_environment_measures", _shown(analysis.measures, NOTE_LIMIT)),
        ("work_environment_plan_change", plan),
    ]


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


def _step(done: bool, text: str) -> ac.TextBlock:
    return ac.TextBlock(text=f"{DONE if done else WAITING} {text}", wrap=True, spacing=act.Spacing.SMALL)
