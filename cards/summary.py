"""The summary card the employee checks before sending the report, with 'send' and 'edit'; and the receipt, which
reminds of the duty to follow the local beredskabsplan with a button to it when the dialog says there is one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.common import build_card, choices, heading, paragraph, submit
from cards.markdown import escape_markdown
from cards.report import leader_handles_offender
from cards.response_plan import PLAN_SHOW_COMMAND
from content import Texts
from domain.evidence import EvidenceItem
from domain.reporting import DEFAULT_TIMEZONE, ReportDraft
from domain.responsibility import Holder

EDITABLE_SECTIONS = (
    "subject",
    "kinds",
    "context",
    "channel",
    "when",
    "description",
    "offender",
    "links",
    "witnesses",
    "impact",
)
MAX_FACT_LENGTH = 600
ASK_REOPEN_COMMAND = "ask_reopen"  # the receipt's "Bed om at genåbne sagen" (services/reopen_requests.py)


def _short(text: str) -> str:
    """What the person wrote, cut to a fact's length, as Markdown that shows it as written."""
    return escape_markdown(text if len(text) <= MAX_FACT_LENGTH else text[: MAX_FACT_LENGTH - 1] + "…")


def format_time(moment: datetime | None, texts: Texts) -> str:
    if moment is None:
        return texts("summary.not_given")
    return moment.astimezone(DEFAULT_TIMEZONE).strftime("%d-%m-%Y %H:%M")


def summary_facts(texts: Texts, draft: ReportDraft, evidence: list[EvidenceItem]) -> list[tuple[str, str]]:
    """The report as (label, value) pairs for a FactSet, in the order the questions were asked; what the person
    wrote is escaped (`escape_markdown`)."""
    incident = draft.incident
    missing = texts("summary.not_given")
    facts: list[tuple[str, str]] = []
    if incident.urgent:
        facts.append((texts("summary.urgent"), "⚠ " + texts("common.yes")))
    if draft.on_behalf_of:
        facts.append((texts("summary.reported_for"), _short(draft.on_behalf_of)))
    facts.append((texts("summary.kinds"), ", ".join(texts(f"kinds.{k.value}") for k in incident.kinds) or missing))
    context = []
    if incident.during_work_hours is not None:
        context.append(texts("summary.during_work" if incident.during_work_hours else "summary.outside_work"))
    if incident.colleagues_targeted:
        context.append(texts("summary.colleagues_too"))
    facts.append((texts("summary.context"), ", ".join(context) or missing))
    facts.append(
        (texts("summary.channel"), texts(f"channel.{incident.channel.value}") if incident.channel else missing)
    )
    facts.append((texts("summary.when"), format_time(incident.occurred_at, texts)))
    facts.append((texts("summary.description"), _short(incident.description) or missing))
    offender = incident.offender
    offender_text = ", ".join(
        part for part in (offender.name, offender.profile, texts(f"offender.{offender.relation.value}")) if part
    )
    facts.append((texts("summary.offender"), _short(offender_text)))
    facts.append((texts("summary.links"), _short(" · ".join(incident.links)) or missing))
    witnesses = "; ".join(f"{w.name} {w.phone}".strip() for w in incident.witnesses)
    facts.append((texts("summary.witnesses"), _short(witnesses) or missing))
    impact = incident.impact
    facts.append((texts("summary.impact"), texts(f"impact.scale_{impact.score}") if impact else missing))
    facts.append((texts("summary.evidence"), _evidence_text(evidence) or missing))
    return facts


def _evidence_text(evidence: list[EvidenceItem]) -> str:
    return _short(" · ".join(f"{item.original_name} ({item.short_hash})" for item in evidence))


def summary_card(texts: Texts, draft: ReportDraft, evidence: list[EvidenceItem]) -> dict[str, Any]:
    facts = [ac.Fact(title=title, value=value) for title, value in summary_facts(texts, draft, evidence)]
    sections = [(key, texts(f"summary.{key}")) for key in EDITABLE_SECTIONS if key != "subject"]
    return build_card(
        texts,
        [
            heading(texts("summary.title")),
            ac.FactSet(facts=facts),
            paragraph(leader_handles_offender(texts, draft.on_behalf_of or ""), subtle=True),
            ac.InputChoiceSet(
                id="section",
                label=texts("summary.edit_choice"),
                choices=choices(sections),
                style=act.ChoiceInputStyle.COMPACT,
                placeholder=texts("summary.edit_choice"),
            ),
            ac.ActionSet(
                actions=[submit(texts("summary.confirm"), {"q": "summary", "answer": "confirm"}, primary=True)]
            ),
            ac.ActionSet(
                actions=[
                    submit(texts("summary.edit"), {"q": "summary", "answer": "edit"}),
                    submit(texts("common.cancel"), {"q": "summary", "nav": "cancel"}),
                ]
            ),
        ],
    )


def submitted_card(
    texts: Texts,
    reference: str,
    draft: ReportDraft,
    holder: Holder = Holder.LEADER,
    *,
    plan: bool = False,
    urgent: bool = False,
    told_at_once: tuple[str, ...] = (),
    on_call_phone: str = "",
    same_offender: Sequence[str] = (),
    same_offender_ids: Sequence[str] = (),
) -> dict[str, Any]:
    """The receipt: the reporter's own next steps, or, for a colleague who reported on someone's behalf, what
        happens to that person's case; truthful about who has it (domain.responsibility.holder), and for an urgent case
        who else got it at once (`told_at_once`: "deputy", "hr") and the on-call phone. `same_offender`: the references
        of the employee's closed cases with the same offender, which their leader is shown and may reopen, and
    `same_offender_ids` their case ids: a button each that asks the leader to (services/reopen_requests.py). With `plan`
        (the reporter's unit has a beredskabsplan), the reminder to follow it and a button that shows it. Always:
        112/114 and the crisis line's opening hours with the out-of-hours alternative."""
    suffix = "" if holder is Holder.LEADER else f"_{holder.value}"
    if draft.on_behalf_of:
        title = texts("submitted.title_on_behalf", reference=reference)
        name = escape_markdown(draft.on_behalf_of)
        lines = [texts("submitted.body"), texts(f"submitted.on_behalf{suffix}", name=name)]
        if draft.on_behalf_person is not None:  # found in the directory: they hear it from Værn at once
            lines.append(texts("submitted.on_behalf_told", name=name))
    else:
        title = texts("submitted.title", reference=reference)
        lines = [texts("submitted.body"), texts(f"submitted.next_steps{suffix}")]
    if urgent and holder is Holder.LEADER:
        who = "both" if len(told_at_once) == 2 else (told_at_once[0] if told_at_once else "leader")
        whose = "other_" if draft.on_behalf_of else ""  # a reporting colleague's own leader does not get it
        lines.append(texts(f"urgent.receipt_{whose}{who}"))
    if urgent and on_call_phone:
        lines.append(texts("urgent.receipt_on_call", phone=escape_markdown(on_call_phone)))
    ask_reopen: list[Any] = []
    if same_offender and holder is Holder.LEADER and not draft.on_behalf_of:
        references = ", ".join(escape_markdown(reference) for reference in same_offender)
        lines.append(texts("submitted.same_offender", references=references, count=len(same_offender)))
        ask_reopen = _ask_reopen_buttons(texts, same_offender, same_offender_ids)
    body: list[Any] = [heading(title), *(paragraph(line) for line in lines), *ask_reopen]
    if plan:
        body += [
            paragraph(texts("submitted.plan")),
            ac.ActionSet(actions=[submit(texts("submitted.plan_button"), {"command": PLAN_SHOW_COMMAND})]),
        ]
    body.append(paragraph(texts("emergency.line"), subtle=True))
    return build_card(texts, body)


def _ask_reopen_buttons(texts: Texts, references: Sequence[str], case_ids: Sequence[str]) -> list[Any]:
    """ "Bed om at genåbne sagen" for each closed case with the same offender (named when there are several)."""
    pairs = list(zip(references, case_ids, strict=False))
    if not pairs:
        return []
    actions: list[Any] = [
        submit(
            texts("reopen_request.button") if len(pairs) == 1 else texts("reopen_request.button_named", reference=ref),
            {"command": ASK_REOPEN_COMMAND, "case_id": case_id},
        )
        for ref, case_id in pairs
    ]
    return [ac.ActionSet(actions=actions)]
