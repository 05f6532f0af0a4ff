"""The privacy notice (GDPR art. 13): why Værn keeps what it keeps, on which legal basis (not consent), what is kept,
who can see a case and when, how long (the retention settings), the rights with the complaint to Datatilsynet, and
the data protection officer's contact (settings). Shown the first time a person writes and on "privatliv"/"privacy";
the card shows what it is given. `privacy_sections` is the notice itself (titles and paragraphs from
content/<lang>/privacy.toml), so the card and the page the bot serves at /privacy (bot/privacy_routes.py) say the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.common import build_card, heading, paragraph
from cards.markdown import escape_markdown
from content import Texts
from domain.retention import RetentionPolicy

PRIVACY_COMMAND = "privacy"  # the welcome card's button and the typed words in content's [commands]


@dataclass(frozen=True)
class DataProtectionOfficer:
    """Who to contact (settings DATA_PROTECTION_OFFICER_*); all empty: the notice names the role only."""

    name: str = ""
    email: str = ""
    phone: str = ""

    @property
    def known(self) -> bool:
        return bool(self.name or self.email or self.phone)


@dataclass(frozen=True)
class Section:
    """One part of the notice: a title and its paragraphs (Markdown: bold only)."""

    title: str
    paragraphs: tuple[str, ...]


def privacy_sections(texts: Texts, retention: RetentionPolicy) -> list[Section]:
    """The notice's parts after its title and intro, in order, up to (not including) the data protection officer."""
    how_long = (
        texts("privacy.how_long_closed", years=retention.closed_case_years),
        texts("privacy.how_long_draft", days=retention.draft_days),
        texts("privacy.how_long_hold"),
        texts("privacy.packages"),
    )
    return [
        Section(texts("privacy.purpose_title"), (texts("privacy.purpose"),)),
        Section(texts("privacy.controller_title"), (texts("privacy.controller"),)),
        Section(texts("privacy.basis_title"), (texts("privacy.basis"),)),
        Section(texts("privacy.stored_title"), (texts("privacy.stored"),)),
        Section(texts("privacy.who_title"), (texts("privacy.who"),)),
        Section(texts("privacy.how_long_title"), how_long),
        Section(texts("privacy.rights_title"), (texts("privacy.rights"),)),
    ]


def officer_facts(texts: Texts, officer: DataProtectionOfficer) -> list[tuple[str, str, str]]:
    """The officer's known contact details as (field, label, value), as written (not escaped)."""
    fields = (("name", officer.name), ("email", officer.email), ("phone", officer.phone))
    return [(field, texts(f"privacy.dpo_{field}"), value) for field, value in fields if value]


def _section(title: str, *texts: str) -> ac.Container:
    heading_block = ac.TextBlock(text=title, wrap=True, weight=act.FontWeight.BOLDER)
    return ac.Container(items=[heading_block, *(paragraph(text) for text in texts)], spacing=act.Spacing.MEDIUM)


def _officer(texts: Texts, officer: DataProtectionOfficer) -> ac.Container:
    if not officer.known:
        return _section(texts("privacy.dpo_title"), texts("privacy.dpo_unknown"))
    facts = [ac.Fact(title=title, value=escape_markdown(value)) for _, title, value in officer_facts(texts, officer)]
    container = _section(texts("privacy.dpo_title"), texts("privacy.dpo_intro"))
    container.items.append(ac.FactSet(facts=facts))
    return container


def privacy_notice_card(texts: Texts, retention: RetentionPolicy, officer: DataProtectionOfficer) -> dict[str, Any]:
    sections = [_section(section.title, *section.paragraphs) for section in privacy_sections(texts, retention)]
    return build_card(
        texts,
        [
            heading(texts("privacy.title")),
            paragraph(texts("privacy.intro")),
            *sections,
            _officer(texts, officer),
        ],
    )
