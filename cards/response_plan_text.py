"""The response plan in words, shared by its card, its Markdown message and its PDF: sections in the common plan
layout of domain.response_plan.LAYOUT (situation, alarm, tasks, actions, responsible leader, staffing,
communication, contacts, revision date). In the Markdown, what people wrote (the unit's name, the answers, who saved
it) is escaped (`cards.markdown`) so it shows as written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from cards.markdown import escape_markdown
from content import Texts
from domain.reporting import DEFAULT_TIMEZONE
from domain.response_plan import LAYOUT, ResponsePlan


def day(value: date) -> str:
    return value.strftime("%d-%m-%Y")


def field_label(texts: Texts, field: str) -> str:
    if field.startswith("role:"):
        return texts(f"plan_export.role_{field.removeprefix('role:')}")
    if field.startswith("contact:"):
        return texts(f"plan_card.contact_{field.removeprefix('contact:')}")
    if field == "revision_date":
        return texts("plan_export.revision_date")
    return texts(f"plan_questions.{field}")


def field_value(texts: Texts, plan: ResponsePlan, field: str) -> str:
    if field == "revision_date":
        return day(plan.revision_date)
    return plan.field_text(field) or texts("plan_export.not_answered")


def sections(texts: Texts, plan: ResponsePlan) -> list[tuple[str, list[tuple[str, str]]]]:
    """(section title, [(label, text)]) in the plan layout's order."""
    return [
        (
            texts(f"plan_export.section_{section}"),
            [(field_label(texts, field), field_value(texts, plan, field)) for field in fields],
        )
        for section, fields in LAYOUT
    ]


def title_lines(texts: Texts, plan: ResponsePlan, written: Callable[[str], str] = str) -> tuple[str, str]:
    """Title and subtitle; `written` is applied to the unit's name and who saved the plan."""
    saved = plan.updated_at.astimezone(DEFAULT_TIMEZONE).date()
    return (
        texts("plan_export.title", unit=written(plan.unit_name)),
        texts("plan_export.subtitle", version=plan.version, date=day(saved), name=written(plan.updated_by) or "–"),
    )


def _markdown_text(text: str) -> str:
    """An answer shown as written, its line breaks kept in Teams/Markdown (two spaces before a newline)."""
    return "  \n".join(escape_markdown(line) for line in text.splitlines())


def plan_markdown(texts: Texts, plan: ResponsePlan, *, draft: bool = False) -> str:
    title, subtitle = title_lines(texts, plan, written=escape_markdown)
    out = [f"# {title}", "", f"_{subtitle}_", ""]
    if draft:
        out += [f"**{texts('plan_card.draft_marker')}**", ""]
    out += [f"**{texts('plan_export.offender_rule')}**", ""]
    for section_title, rows in sections(texts, plan):
        out += [f"## {section_title}", ""]
        for label, value in rows:
            out += [f"**{label}**", "", _markdown_text(value), ""]
    out += ["---", "", f"☎ {texts('plan_export.crisis')}", ""]
    return "\n".join(out)
