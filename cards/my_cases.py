"""Cards for "Mine sager": the list of a person's own cases (newest first) and one case's status.

The status itself is the employee's status card from cards.leader.employee_view (acknowledged, talked with you, offender
contacted, restrictions, removals, police report, SafetyNet, closed), with the buttons to add evidence or a
note (open cases only) and to go back to the list. A draft shows as "Kladde" with its evidence count and the buttons to
continue (and send) or delete it; deleting asks first. Given who opened the case (domain.access_log), the employee's
card lists them: when, name, role, what they opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.access_log import access_section
from cards.common import build_card, heading, paragraph, submit
from cards.leader.employee_view import employee_status_card
from cards.markdown import escape_markdown
from content import Texts
from domain.access_log import AccessEntry
from domain.authorization import Role
from domain.case import Case, CaseStatus
from domain.reporting import DEFAULT_TIMEZONE, MAX_FREE_TEXT
from domain.responsibility import waits_for_a_leader

Card = dict[str, Any]

MY_CASES_COMMAND = "my_cases"
CASE_STATUS_COMMAND = "case_status"
ADD_EVIDENCE_COMMAND = "add_evidence"
NAME_LEADER_COMMAND = "name_leader"
CONTINUE_DRAFT_COMMAND = "continue_draft"
DELETE_DRAFT_COMMAND = "delete_draft"
MAX_LISTED = 10
CRISIS_MARK = "☎"


@dataclass(frozen=True)
class CaseEntry:
    """One line of the list: the case, how the viewer relates to it, and (for drafts) its evidence count."""

    case: Case
    viewer: Role
    evidence_count: int = 0


def is_open(case: Case) -> bool:
    """Sent and not closed: the only cases that take new evidence or notes."""
    return case.status in (CaseStatus.REPORTED, CaseStatus.ACKNOWLEDGED)


def _day(case: Case) -> str:
    return case.created_at.astimezone(DEFAULT_TIMEZONE).strftime("%d-%m-%Y")


def status_text(texts: Texts, case: Case, evidence_count: int = 0) -> str:
    """Where the case stands, in one plain line."""
    if case.status is CaseStatus.DRAFT:
        return texts("my_cases.draft_line", count=evidence_count)
    if case.leader is None and is_open(case):
        return texts("my_cases.status_with_hr" if waits_for_a_leader(case) else "my_cases.status_with_nobody")
    return texts(f"my_cases.status_{case.status.value}")


def _entry(texts: Texts, entry: CaseEntry) -> ac.Container:
    case = entry.case
    name = texts("my_cases.draft") if case.status is CaseStatus.DRAFT else case.reference or case.case_id[:8]
    items: list[Any] = [
        ac.TextBlock(text=texts("my_cases.case_line", reference=name, date=_day(case)), wrap=True),
        paragraph(status_text(texts, case, entry.evidence_count), subtle=True),
    ]
    if entry.viewer is Role.REPORTER and case.reported_on_behalf:
        items.append(paragraph(texts("my_cases.on_behalf", name=escape_markdown(case.subject.name)), subtle=True))
    title = texts("my_cases.open_draft_button" if case.status is CaseStatus.DRAFT else "my_cases.open_button")
    items.append(ac.ActionSet(actions=[submit(title, {"command": CASE_STATUS_COMMAND, "case_id": case.case_id})]))
    return ac.Container(items=items, separator=True, spacing=act.Spacing.MEDIUM)


def my_cases_card(texts: Texts, entries: Sequence[CaseEntry]) -> Card:
    """The person's cases, newest first, at most MAX_LISTED; a kind note when there are none."""
    body: list[Any] = [heading(texts("my_cases.title"))]
    if not entries:
        body.append(paragraph(texts("my_cases.empty")))
        return build_card(texts, body)
    body.append(paragraph(texts("my_cases.intro", max=MAX_LISTED)))
    newest_first = sorted(entries, key=lambda entry: entry.case.created_at, reverse=True)[:MAX_LISTED]
    body += [_entry(texts, entry) for entry in newest_first]
    return build_card(texts, body)


def _button_row(title: str, data: dict[str, Any], *, primary: bool = False) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "Action.Submit", "title": title, "data": data}
    if primary:
        action["style"] = "positive"
    return {"type": "ActionSet", "actions": [action]}


def _before_crisis_line(card: Card, elements: Sequence[dict[str, Any]]) -> Card:
    """Put elements at the end of the body but above the crisis-line footer, which closes every card."""
    body: list[dict[str, Any]] = card["body"]
    last = body[-1] if body else {}
    at = len(body) - 1 if str(last.get("text", "")).startswith(CRISIS_MARK) else len(body)
    body[at:at] = list(elements)
    return card


def case_detail_card(
    texts: Texts,
    case: Case,
    viewer: Role,
    refresh_user_ids: Sequence[str] = (),
    *,
    evidence_count: int = 0,
    next_check_in: date | None = None,
    opened_by: tuple[Sequence[AccessEntry], int] | None = None,
) -> Card:
    """One case as its subject or reporter sees it: the status steps (with the next check-in when given),
    who opened it (when given: the newest entries and how many earlier), then "add evidence or a note" while the
    case is open, and the way back to the list. A draft has no status steps, only its evidence count, and the
    buttons to continue (and send) it or delete it."""
    back = _button_row(texts("my_cases.list_button"), {"command": MY_CASES_COMMAND})
    if case.status is CaseStatus.DRAFT:
        title = texts("my_cases.case_line", reference=texts("my_cases.draft"), date=_day(case))
        body = [
            heading(title),
            paragraph(status_text(texts, case, evidence_count)),
            paragraph(texts("my_cases.draft_help")),
        ]
        data = {"case_id": case.case_id}
        rows = [
            _button_row(texts("my_cases.continue_button"), {"command": CONTINUE_DRAFT_COMMAND, **data}, primary=True),
            _button_row(texts("my_cases.delete_button"), {"command": DELETE_DRAFT_COMMAND, **data}),
            back,
        ]
        return _before_crisis_line(build_card(texts, body), rows)
    card = employee_status_card(texts, case, refresh_user_ids, viewer=viewer, next_check_in=next_check_in)
    if opened_by is not None:
        _before_crisis_line(card, access_section(texts, *opened_by))
    rows = [back]
    if is_open(case):
        add = _button_row(
            texts("my_cases.add_button"), {"command": ADD_EVIDENCE_COMMAND, "case_id": case.case_id}, primary=True
        )
        rows = [add, back]
        data = {"command": NAME_LEADER_COMMAND, "case_id": case.case_id}
        if case.leader is None:
            rows.insert(0, _button_row(texts("my_cases.name_leader_button"), data, primary=True))
        else:
            rows.insert(1, _button_row(texts("my_cases.change_leader_button"), data))
    return _before_crisis_line(card, rows)


ADD_EVIDENCE_QUESTION = "add_evidence"


def add_evidence_card(texts: Texts, case: Case) -> Card:
    """Ask for files or a note for an open case; every button names the case, so a click on an old card for
    another case is recognised."""
    data = {"q": ADD_EVIDENCE_QUESTION, "case_id": case.case_id}
    note = ac.InputText(id="note", label=texts("add_evidence.note"), is_multiline=True, max_length=MAX_FREE_TEXT)
    body: list[Any] = [
        heading(texts("add_evidence.title", reference=case.reference or case.case_id[:8])),
        paragraph(texts("add_evidence.ask")),
        note,
        ac.ActionSet(
            actions=[
                submit(texts("add_evidence.save_note"), {**data, "answer": "note"}, primary=True),
                submit(texts("add_evidence.done"), {**data, "answer": "done"}),
            ]
        ),
    ]
    return build_card(texts, body)


WHICH_CASE_QUESTION = "which_case"


def which_case_card(texts: Texts, cases: Sequence[Case], files: int) -> Card:
    """Ask which open case the files just sent belong to: one button per case, newest first."""
    newest_first = sorted(cases, key=lambda case: case.created_at, reverse=True)
    buttons = [
        submit(
            texts("my_cases.case_choice", reference=case.reference or case.case_id[:8], date=_day(case)),
            {"q": WHICH_CASE_QUESTION, "case_id": case.case_id},
        )
        for case in newest_first
    ]
    body: list[Any] = [
        heading(texts("add_evidence.which_case_title")),
        paragraph(texts("add_evidence.which_case_ask", count=files)),
        *[ac.ActionSet(actions=[button]) for button in buttons],  # one per row: whole case names on a phone
    ]
    return build_card(texts, body)


def delete_draft_card(texts: Texts, case: Case, evidence_count: int) -> Card:
    """Ask before a draft and its evidence are deleted for good; keeping it goes back to the draft."""
    data = {"case_id": case.case_id}
    body: list[Any] = [
        heading(texts("my_cases.delete_title")),
        paragraph(texts("my_cases.delete_ask", count=evidence_count)),
    ]
    rows = [
        _button_row(texts("my_cases.delete_keep"), {"command": CASE_STATUS_COMMAND, **data}, primary=True),
        _button_row(texts("my_cases.delete_confirm"), {"command": DELETE_DRAFT_COMMAND, "confirmed": True, **data}),
    ]
    return _before_crisis_line(build_card(texts, body), rows)
