"""Cards for the unit's response plan (beredskabsplan): one card per question, contacts, roles, revision date,
the summary before saving, the read-only plan every employee of the unit may see, and the choice of unit for
someone with a plan in more than one.

Every Action.Submit carries `q: "plan"` and the `step` it belongs to, so a click on an old card is recognised.
Buttons sit in ActionSets in the body, at most two per row, so no title is cut on a phone. The unit's name,
the answers and who saved the plan are escaped where the card reads Markdown (`cards.markdown`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.common import build_card, heading, paragraph, submit
from cards.markdown import escape_markdown
from cards.response_plan_text import day, sections
from content import Texts
from domain.response_plan import (
    CONTACT_KEYS,
    MAX_ANSWER,
    MAX_CONTACT,
    MAX_ROLE,
    QUESTION_KEYS,
    ROLE_KEYS,
    Contacts,
    ResponsePlan,
    RolesWhenItHappens,
)

PLAN_QUESTION = "plan"
PLAN_EDIT_COMMAND = "plan_edit"
PLAN_SHOW_COMMAND = "plan_show"
PLAN_EXPORT_COMMAND = "plan_export"
ANSWER_INPUT = "plan_answer"
REVISION_INPUT = "revision_date"
CARD_TEXT_LIMIT = 600  # per answer on a card; the export carries the full text (Teams cards stop at 28 KB)


def _data(step: str, action: str) -> dict[str, Any]:
    return {"q": PLAN_QUESTION, "step": step, "plan_action": action}


def _rows(*rows: list[ac.ActionSubmit]) -> list[ac.ActionSet]:
    return [ac.ActionSet(actions=row) for row in rows if row]


def _navigation(texts: Texts, step: str, *, forward: str, forward_title: str, back: bool = True) -> list[Any]:
    first = [submit(forward_title, _data(step, forward), primary=True)]
    if back:
        first.append(submit(texts("plan_card.back"), _data(step, "back")))
    return _rows(first, [submit(texts("plan_card.stop"), _data(step, "stop"))])


def _title(texts: Texts, unit_name: str, subtitle: str = "") -> list[Any]:
    items: list[Any] = [heading(texts("plan_card.title", unit=escape_markdown(unit_name)))]
    if subtitle:
        items.append(paragraph(subtitle, subtle=True))
    return items


def question_card(texts: Texts, unit_name: str, key: str, current: str) -> dict[str, Any]:
    index = QUESTION_KEYS.index(key)
    counter = texts("plan_card.question_counter", step=index + 1, total=len(QUESTION_KEYS))
    body = [
        *_title(texts, unit_name, counter),
        paragraph(f"**{texts(f'plan_questions.{key}')}**"),
        ac.InputText(
            id=ANSWER_INPUT,
            label=texts("plan_card.answer_label"),
            placeholder=texts("plan_card.answer_placeholder"),
            value=current or None,
            is_multiline=True,
            max_length=MAX_ANSWER,
        ),
        *_navigation(texts, key, forward="next", forward_title=texts("plan_card.next"), back=index > 0),
    ]
    return build_card(texts, body)


def contacts_card(texts: Texts, unit_name: str, contacts: Contacts) -> dict[str, Any]:
    inputs = [
        ac.InputText(
            id=f"contact_{key}",
            label=texts(f"plan_card.contact_{key}"),
            value=getattr(contacts, key) or None,
            max_length=MAX_CONTACT,
        )
        for key in CONTACT_KEYS
    ]
    body = [
        *_title(texts, unit_name),
        paragraph(f"**{texts('plan_card.contacts_title')}**"),
        paragraph(texts("plan_card.contacts_hint"), subtle=True),
        *inputs,
        *_navigation(texts, "contacts", forward="next", forward_title=texts("plan_card.next")),
    ]
    return build_card(texts, body)


def roles_card(texts: Texts, unit_name: str, roles: RolesWhenItHappens) -> dict[str, Any]:
    inputs = [
        ac.InputText(
            id=f"role_{key}",
            label=texts(f"plan_card.role_{key}"),
            value=getattr(roles, key) or None,
            is_multiline=True,
            max_length=MAX_ROLE,
        )
        for key in ROLE_KEYS
    ]
    body = [
        *_title(texts, unit_name),
        paragraph(f"**{texts('plan_card.roles_title')}**"),
        *inputs,
        *_navigation(texts, "roles", forward="next", forward_title=texts("plan_card.next")),
    ]
    return build_card(texts, body)


def revision_card(texts: Texts, unit_name: str, current: date, today: date) -> dict[str, Any]:
    body = [
        *_title(texts, unit_name),
        paragraph(f"**{texts('plan_card.revision_title')}**"),
        ac.InputDate(
            id=REVISION_INPUT,
            label=texts("plan_card.revision_label"),
            value=current.isoformat(),
            is_required=True,
            error_message=texts("plan_dialog.date_not_future"),
        ),
        paragraph(texts("plan_card.reminder_note"), subtle=True),
        *_navigation(texts, "revision", forward="next", forward_title=texts("plan_card.next")),
    ]
    card = build_card(texts, body)
    for element in card["body"]:  # adaptive-cards-py's InputDate has no `min`; the schema does
        if element.get("id") == REVISION_INPUT:
            element["min"] = (today + timedelta(days=1)).isoformat()
    return card


def _short(texts: Texts, text: str) -> str:
    """An answer as the card shows it: cut to CARD_TEXT_LIMIT, escaped."""
    if len(text) <= CARD_TEXT_LIMIT:
        return escape_markdown(text)
    return escape_markdown(text[:CARD_TEXT_LIMIT].rstrip()) + texts("plan_card.truncated")


def _plan_body(texts: Texts, plan: ResponsePlan) -> list[Any]:
    """The plan in the print layout: a section heading, then each question or role with its answer."""
    items: list[Any] = []
    for section_title, rows in sections(texts, plan):
        container_items: list[Any] = [
            ac.TextBlock(text=section_title, wrap=True, weight=act.FontWeight.BOLDER, color=act.Colors.ACCENT)
        ]
        for label, value in rows:
            container_items.append(ac.TextBlock(text=label, wrap=True, is_subtle=True, size=act.FontSize.SMALL))
            container_items.append(ac.TextBlock(text=_short(texts, value), wrap=True, spacing=act.Spacing.NONE))
        items.append(ac.Container(items=container_items, separator=True, spacing=act.Spacing.MEDIUM))
    return items


def summary_card(texts: Texts, plan: ResponsePlan) -> dict[str, Any]:
    body = [
        heading(texts("plan_card.summary_title", unit=escape_markdown(plan.unit_name))),
        paragraph(texts("plan_card.summary_unsaved"), subtle=True),
        *_plan_body(texts, plan),
        *_rows(
            [
                submit(texts("plan_card.save"), _data("summary", "save"), primary=True),
                submit(texts("plan_card.export"), _data("summary", "export")),
            ],
            [
                submit(texts("plan_card.back"), _data("summary", "back")),
                submit(texts("plan_card.stop"), _data("summary", "stop")),
            ],
        ),
    ]
    return build_card(texts, body)


def plan_card(texts: Texts, plan: ResponsePlan, *, today: date, can_edit: bool, saved_on: date) -> dict[str, Any]:
    """The current plan, read-only; leaders and AMR also get 'Ret planen'."""
    name = escape_markdown(plan.updated_by) or "–"
    version = texts("plan_card.view_version", version=plan.version, date=day(saved_on), name=name)
    unit = escape_markdown(plan.unit_name)
    body: list[Any] = [heading(texts("plan_card.view_title", unit=unit)), paragraph(version, subtle=True)]
    if plan.revision_due(today):
        body.append(
            paragraph(texts("plan_card.revision_due", date=day(plan.revision_date)), color=act.Colors.ATTENTION)
        )
    body += [paragraph(f"**{texts('plan_export.offender_rule')}**"), *_plan_body(texts, plan)]
    buttons = [submit(texts("plan_card.export"), {"command": PLAN_EXPORT_COMMAND, "unit_id": plan.unit_id})]
    if can_edit:
        buttons.append(submit(texts("plan_card.edit"), {"command": PLAN_EDIT_COMMAND, "unit_id": plan.unit_id}))
    body += _rows(buttons)
    return build_card(texts, body)


def choose_unit_card(texts: Texts, units: Sequence[tuple[str, str]], command: str) -> dict[str, Any]:
    """One button per (unit id, unit name); each sends `command` again with its unit id."""
    buttons = [[submit(name, {"command": command, "unit_id": unit_id})] for unit_id, name in units]
    return build_card(texts, [heading(texts("plan_card.choose_unit")), *_rows(*buttons)])
