"""Who opened a case, as lines on a card: when, name, role, what they opened (domain.access_log decides which reads
count and which entries are shown). The employee's "Mine sager" card lists the others' reads; HR's card in chat lists
everyone's, newest first, and says how many more the Overblik tab holds.

Names are cut to NAME_LIMIT and escaped (people's names are Markdown-read text); no ids, reasons or hashes are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cards.markdown import escape_markdown
from content import Texts
from domain.access_log import AccessEntry
from domain.reporting import DEFAULT_TIMEZONE

ROLES_NAMED = ("leader", "deputy", "hr", "on_call", "reporter", "subject")
NAME_LIMIT = 60  # a longer name is cut, so that a long log keeps HR's card within Teams' 28 KB


def _short(name: str) -> str:
    return name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1] + "…"


def access_line(texts: Texts, entry: AccessEntry) -> str:
    when = entry.at.astimezone(DEFAULT_TIMEZONE).strftime("%d-%m-%Y %H:%M")
    role = texts(f"access.role_{entry.role if entry.role in ROLES_NAMED else 'other'}")
    name = escape_markdown(_short(entry.name)) if entry.name else texts("access.someone")
    return texts("access.line", when=when, name=name, role=role, what=texts(f"access.what_{entry.access.value}"))


def _section(texts: Texts, prefix: str, entries: Sequence[AccessEntry], more: int) -> list[dict[str, Any]]:
    title, intro = texts(f"access.{prefix}title"), texts(f"access.{prefix}intro")
    blocks: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title, "wrap": True, "weight": "Bolder", "separator": True},
        {"type": "TextBlock", "text": intro, "wrap": True, "isSubtle": True, "spacing": "Small"},
    ]
    lines = [access_line(texts, entry) for entry in entries] or [texts(f"access.{prefix}none")]
    blocks += [{"type": "TextBlock", "text": line, "wrap": True, "spacing": "Small"} for line in lines]
    if more:
        blocks.append({"type": "TextBlock", "text": texts(f"access.{prefix}earlier", count=more), "wrap": True})
    return blocks


def access_section(texts: Texts, entries: Sequence[AccessEntry], earlier: int) -> list[dict[str, Any]]:
    """Who opened the employee's case, newest first, and how many earlier times were left out."""
    return _section(texts, "", entries, earlier)


def hr_access_section(texts: Texts, entries: Sequence[AccessEntry], more: int) -> list[dict[str, Any]]:
    """The case's access log on HR's card: the newest reads by anyone, and "og N flere" (the rest is in the tab)."""
    return _section(texts, "hr_", entries, more)
