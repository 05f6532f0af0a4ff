"""The evidence of a case as the leader, deputy or HR opens it: every item with its fingerprint, and
pasted texts (SMS, mails) shown in full. Each opening is audited by the caller."""

from __future__ import annotations

from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.common import build_card, heading, paragraph
from cards.markdown import escape_markdown
from cards.summary import format_time
from content import Texts
from domain.case import Case
from domain.evidence import EvidenceItem

SHOWN_TEXT_LIMIT = 1500


def evidence_card(texts: Texts, case: Case, items: list[EvidenceItem], contents: dict[str, str]) -> dict[str, Any]:
    body: list[Any] = [heading(texts("evidence_view.title", reference=case.reference or "–"))]
    body.append(paragraph(texts("evidence_view.logged"), subtle=True))
    for item in items:
        facts = [
            ac.Fact(title=texts("evidence_view.received"), value=format_time(item.received_at, texts)),
            ac.Fact(title=texts("evidence_view.type"), value=escape_markdown(f"{item.content_type}, {item.size} B")),
            ac.Fact(title="SHA-256", value=item.sha256),
        ]
        body += [
            ac.TextBlock(
                text=escape_markdown(item.original_name), weight=act.FontWeight.BOLDER, wrap=True, separator=True
            ),
            ac.FactSet(facts=facts),
        ]
        if item.evidence_id in contents:
            text = contents[item.evidence_id]
            shown = text if len(text) <= SHOWN_TEXT_LIMIT else text[:SHOWN_TEXT_LIMIT] + "…"
            # A TextRun is not read as markdown: the secured text is shown exactly as it was received.
            exact = ac.RichTextBlock(inlines=[ac.TextRun(text=shown)])
            body.append(ac.Container(items=[exact], style=act.ContainerStyle.EMPHASIS))
    body.append(paragraph(texts("evidence_view.files_later"), subtle=True))
    return build_card(texts, body)
