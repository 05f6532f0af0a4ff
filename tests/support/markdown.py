"""How Teams reads a text as Markdown, for tests: what a person sees (`shown`) and which Markdown or HTML
constructs are live in it (`live_constructs`), written from CommonMark and the Adaptive Cards text functions,
not from the bot's own escaping, so a test can compare a card built from hostile text with the same card built
from plain letters. Also where a card reads Markdown (`markdown_texts`) and where it does not (`text_runs`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from tests.support.teams import card_elements

ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# Marks that are Markdown or HTML wherever they stand, unless escaped.
INLINE_MARKS = frozenset("[]*_`~<>|")
# Adaptive Cards' own text functions (AdaptiveCards JS, TextFormatters), matched on the raw text.
CARD_FUNCTION = re.compile(
    r"\{\{(DATE|TIME)\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|(?:(?:-|\+)\d{2}:?\d{2})))"
    r"(?:, ?(COMPACT|LONG|SHORT))?\)\}\}"
)
_BLOCK = re.compile(r"[ \t]{0,3}(#{1,6}|[-+*=]|\d{1,9}[.)])(?=[ \t]|$)|[ \t]{0,3}([-=*_])\2+[ \t]*$")
_LINES = re.compile(r"\r\n|\r|\n")


def _characters(text: str) -> list[tuple[str, bool]]:
    """Each visible character and whether a backslash escaped it (CommonMark: `\\` before ASCII punctuation)."""
    out: list[tuple[str, bool]] = []
    at = 0
    while at < len(text):
        char = text[at]
        if char == "\\" and at + 1 < len(text) and text[at + 1] in ASCII_PUNCTUATION:
            out.append((text[at + 1], True))
            at += 2
        else:
            out.append((char, False))
            at += 1
    return out


def shown(text: str) -> str:
    """The characters a person reads: backslash escapes resolved, nothing else changed."""
    return "".join(char for char, _ in _characters(text))


def live_constructs(text: str) -> Counter[str]:
    """Every unescaped Markdown/HTML mark, entity, line-start block mark and card function in `text`, by kind."""
    found: Counter[str] = Counter()
    characters = _characters(text)
    visible = "".join(char for char, _ in characters)
    for index, (char, escaped) in enumerate(characters):
        if escaped:
            continue
        if char in INLINE_MARKS:
            found[f"mark {char}"] += 1
        if char == "&" and re.match(r"&#?[0-9A-Za-z]+;", visible[index:]):
            found["entity"] += 1
        if char == "{" and index + 1 < len(characters) and characters[index + 1] == ("{", False):
            found["{{"] += 1
    found["card function"] += len(CARD_FUNCTION.findall(text))
    for line in _LINES.split(text):
        start = _BLOCK.match(line)
        if start:
            found[f"line {start.group(0).strip()[:1]}"] += 1
    return +found


def markdown_texts(card: dict[str, Any]) -> Iterator[str]:
    """Every string of a card that Teams reads as Markdown: TextBlock text and FactSet titles and values."""
    for element in card_elements(card):
        if element["type"] == "TextBlock":
            yield element["text"]
        elif element["type"] == "FactSet":
            for fact in element["facts"]:
                yield fact["title"]
                yield fact["value"]


def text_runs(card: dict[str, Any]) -> Iterator[str]:
    """The texts of a card's TextRuns, which Teams shows as they are."""
    for element in card_elements(card):
        if element["type"] == "TextRun":
            yield element["text"]
