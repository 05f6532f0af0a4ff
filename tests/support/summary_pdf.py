"""Reading a summary PDF back as poppler (pdftotext, pdfinfo) reads it: its text, its pages, where each word sits,
and whether a long text is all there, in order, with nothing between its parts but what a page break puts there."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from exports.case_summary_pdf import BOTTOM_MARGIN_MM, MARGIN_MM, printable

POINTS_PER_MM = 72 / 25.4
FOOTER_FROM_MM = 297 - 14  # the footer line sits 12 mm above the page's foot; its words start below this
PAGE_BREAK_GAP = 160  # characters a page break may put inside a text: footer, heading row, "(continued)", a column


def text_of(path: Path) -> str:
    """The text in drawing order (pdftotext -raw), so a row's own lines come one after another."""
    return subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")


def page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    match = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def flows_in(document: str, field: str) -> int | None:
    """How many parts `field` (as the PDF writes it) is found in, in order in `document` (both `flat`), each part
    starting at most PAGE_BREAK_GAP characters after the last one ended; None if some of it is not there."""
    wanted = flat(printable(field))
    position = document.find(wanted[:40])
    if position < 0:
        return None
    done, parts = 0, 0
    while done < len(wanted):
        low, high = 0, len(wanted) - done  # the longest next part that starts close enough
        while low < high:
            middle = (low + high + 1) // 2
            if document.find(wanted[done : done + middle], position, position + PAGE_BREAK_GAP + middle) >= 0:
                low = middle
            else:
                high = middle - 1
        if low == 0:
            return None
        position = document.find(wanted[done : done + low], position, position + PAGE_BREAK_GAP + low) + low
        done, parts = done + low, parts + 1
    return parts


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    left: float
    top: float
    right: float
    bottom: float


def words_of(path: Path) -> list[Word]:
    """Every word with its box in points, as pdftotext -bbox reports it."""
    xhtml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True).stdout
    root = ElementTree.fromstring(xhtml)
    words = []
    for number, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=1):
        for word in page.iter("{http://www.w3.org/1999/xhtml}word"):
            box = [float(word.get(side, 0)) for side in ("xMin", "yMin", "xMax", "yMax")]
            words.append(Word(number, word.text or "", *box))
    return words


def layout_problems(path: Path) -> list[str]:
    """Words outside the text area (right margin, below the bottom margin unless in the footer) or drawn over each
    other: what a cut line or overlapping text looks like."""
    right = (210 - MARGIN_MM) * POINTS_PER_MM + 1
    bottom = (297 - BOTTOM_MARGIN_MM) * POINTS_PER_MM + 1
    footer = FOOTER_FROM_MM * POINTS_PER_MM
    problems = []
    by_page: dict[int, list[Word]] = {}
    for word in words_of(path):
        by_page.setdefault(word.page, []).append(word)
        if word.right > right:
            problems.append(f"page {word.page}: {word.text[:30]!r} runs into the right margin ({word.right:.0f} pt)")
        if bottom < word.bottom and word.top < footer:
            problems.append(f"page {word.page}: {word.text[:30]!r} runs into the bottom margin ({word.bottom:.0f} pt)")
    for page, words in by_page.items():
        words.sort(key=lambda word: word.top)
        for index, word in enumerate(words):
            for other in words[index + 1 :]:
                if other.top >= word.bottom - 1:
                    break
                if min(word.right, other.right) - max(word.left, other.left) > 1:
                    problems.append(f"page {page}: {word.text[:30]!r} and {other.text[:30]!r} overlap")
    return problems
