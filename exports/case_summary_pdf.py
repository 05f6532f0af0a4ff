"""The PDF summary inside a case package: the incident, the evidence with fingerprints, the timeline of actions,
restrictions, removals, police and SafetyNet records, and (full package only) an extract of the audit log.

It is drawn with fpdf2 from `PackageContents` alone, which `domain.case_package` has already cut to the
package's scope, so a police package can't show leadership's notes. Texts come from content/<language>/package.toml.

Font: DejaVu Sans, bundled in cards/fonts (Bitstream Vera licence, see LICENSE-DejaVu.txt). fpdf2's core
Helvetica only knows Latin-1, which has æ, ø and å but not the names people actually have (Łukasz, Şahin,
Đorđević, Greek or Cyrillic ones) nor the dashes and quotes in pasted messages; a case summary that goes to the
police must not turn those into question marks. fpdf2 embeds only the glyphs used (a few tens of KB). A character
the font lacks (e.g. most emoji) is written as [U+XXXX], so nothing typed is silently lost.

Tables are laid out here, line by line, rather than with fpdf2's table, whose rows must each fit on one page: every
free text may be as long as its validation allows (a 4,000-character description, twenty 2,048-character links), so
a row goes on over as many pages as it needs, its first column saying it is continued, and a word wider than its
column (a link, a pasted token) is broken.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF, XPos, YPos

from cards.leader.hr_view import hr_automatic_reason
from cards.leader.parts import restriction_rules
from content import Texts
from domain.case import Case
from domain.case_package import PackageContents, PackageKind, TimelineEntry, TimelineEvent
from domain.evidence import EvidenceItem
from domain.handling import (
    Closure,
    ContactRestrictions,
    FirstAid,
    HrEscalation,
    OffenderContact,
    PoliceReport,
    Removal,
    Reopening,
    SafetyNetRegistration,
    WorkEnvironmentAnalysis,
)
from domain.reporting import DEFAULT_TIMEZONE

FONT_FOLDER = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
MARGIN_MM = 18
LINE_MM = 5.2
BODY_PT = 10
SMALL_PT = 8.5
HASH_PT = 8
LABEL_WIDTH_MM = 48
BOTTOM_MARGIN_MM = 18
CELL_PADDING_MM = 1.2
ACCENT = (31, 73, 125)
HEADING_FILL = (232, 238, 246)
MUTED = 90
RULE = 120
KEEP_WITH_HEADING_MM = 45  # a heading never ends a page: it keeps this much of what follows with it
KEEP_ROW_WHOLE_MM = 60  # a row up to this tall moves to the next page whole rather than being split
MIN_LINES_ON_PAGE = 3  # a split row leaves at least this many lines at the foot of a page


@dataclass(frozen=True)
class Style:
    size: float = BODY_PT
    bold: bool = False
    muted: bool = False


@dataclass(frozen=True)
class Table:
    """Column widths (mm), the height of one line, and the heading row repeated on each page (if any)."""

    widths: tuple[float, ...]
    line_mm: float
    heading: Sequence[tuple[str, Style]] = ()


@cache
def _glyphs() -> frozenset[int]:
    """Code points both bundled fonts can draw."""
    maps = [TTFont(FONT_FOLDER / name, lazy=True).getBestCmap() for name in FONT_FILES.values()]
    return frozenset(maps[0]).intersection(*maps[1:])


def printable(text: str) -> str:
    """Text the fonts can draw: control characters dropped (except line breaks), missing glyphs as [U+XXXX]."""
    glyphs = _glyphs()
    out = []
    for ch in unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\t", "    ")):
        if ch == "\n" or ord(ch) in glyphs:
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append("\n" if ch in "\u2028\u2029\x0b\x0c" else "")
        else:
            out.append(f"[U+{ord(ch):04X}]")
    return "".join(out)


def _local(moment: datetime | None, texts: Texts, *, seconds: bool = False) -> str:
    if moment is None:
        return texts("summary.not_given")
    return moment.astimezone(DEFAULT_TIMEZONE).strftime("%d-%m-%Y %H:%M:%S" if seconds else "%d-%m-%Y %H:%M")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(value: date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else ""


def _local_day(moment: datetime) -> str:
    return _day(moment.astimezone(DEFAULT_TIMEZONE).date())


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _grouped(number: int, language: str) -> str:
    return f"{number:,}".replace(",", "." if language == "da" else ",")


def _listed(items: Sequence[str]) -> str:
    """Several items one to a line, each behind a bullet so a long one that wraps is still told from the next."""
    return "\n".join(f"• {item}" for item in items) if len(items) > 1 else "".join(items)


def wrap_lines(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """`text` in lines no wider than `width` as `measure` measures them: broken at spaces (dropped there), kept
    at line breaks, and a word wider than a line (a link, a pasted token) broken after a '/', '?', '&', '=' or '-'
    where one falls in its second half, else between two characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for token in _SPACES.split(paragraph):
            if not token:
                continue
            size = measure(token)
            if used + size <= width + _TOLERANCE_MM:
                line, used = line + token, used + size
                continue
            if token.isspace():
                lines.append(line)
                line, used = "", 0.0
                continue
            if line.strip():
                lines.append(line.rstrip())
            while size > width + _TOLERANCE_MM:
                piece = _longest_fitting(token, width, measure)
                lines.append(piece)
                token = token[len(piece) :]
                size -= measure(piece)
            line, used = token, size
        lines.append(line.rstrip())
    return lines


_SPACES = re.compile(r"( +)")
_TOLERANCE_MM = 0.01
_URL_BREAKS = "/?&=-"


def _longest_fitting(word: str, width: float, measure: Callable[[str], float]) -> str:
    """The start of `word` to put on a line of its own: as much as fits, ending at a URL break when one is near."""
    fits, used = 0, 0.0
    for character in word:
        used += measure(character)
        if used > width + _TOLERANCE_MM:
            break
        fits += 1
    fits = max(fits, 1)  # a single character wider than the column still goes somewhere
    head = word[:fits]
    cut = max(head.rfind(mark) for mark in _URL_BREAKS) + 1
    return head[:cut] if cut > fits // 2 else head


class A4Document(FPDF):
    """A4 pages with the case reference and page numbers in the footer."""

    def __init__(self, footer: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._footer = footer
        for style, name in FONT_FILES.items():
            self.add_font(FAMILY, style, str(FONT_FOLDER / name))
        self.set_margins(MARGIN_MM, 16, MARGIN_MM)
        self.set_auto_page_break(True, margin=BOTTOM_MARGIN_MM)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=SMALL_PT)
        self.set_text_color(MUTED)
        self.cell(0, 5, self._footer.replace("{page}", str(self.page_no())), align="C")
        self.set_text_color(0)


class _Writer:
    """Draws one summary; each method is one part of the page."""

    def __init__(self, contents: PackageContents, texts: Texts) -> None:
        self.contents = contents
        self.case: Case = contents.case
        self.texts = texts
        footer = texts("package_pdf.footer", reference=printable(contents.reference), page="{page}", pages="{nb}")
        self.pdf = A4Document(footer)

    # --- primitives --------------------------------------------------------------------------------------

    def t(self, key: str, **values: object) -> str:
        return self.texts(key, **values)

    def paragraph(self, text: str, *, size: float = BODY_PT, bold: bool = False, muted: bool = False) -> None:
        pdf = self.pdf
        pdf.set_font(FAMILY, "B" if bold else "", size)
        pdf.set_text_color(MUTED if muted else 0)
        pdf.multi_cell(0, LINE_MM * size / BODY_PT, printable(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)

    def heading(self, text: str) -> None:
        pdf = self.pdf
        if pdf.will_page_break(KEEP_WITH_HEADING_MM):
            pdf.add_page()
        pdf.ln(4)
        pdf.set_font(FAMILY, "B", 12.5)
        pdf.set_text_color(*ACCENT)
        pdf.multi_cell(0, 7, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(*ACCENT)
        pdf.line(MARGIN_MM, pdf.get_y(), pdf.w - MARGIN_MM, pdf.get_y())
        pdf.set_text_color(0)
        pdf.ln(2)

    def facts(self, rows: Sequence[tuple[str, str]], *, small_values: frozenset[str] = frozenset()) -> None:
        """Label and value side by side; a long value flows on over the next pages."""
        width = self.pdf.w - 2 * MARGIN_MM
        label, value, small = Style(bold=True), Style(), Style(size=HASH_PT)
        table = Table((LABEL_WIDTH_MM, width - LABEL_WIDTH_MM), LINE_MM)
        self.table(
            table,
            [
                [(text, label), (content or self.t("summary.not_given"), small if text in small_values else value)]
                for text, content in rows
            ],
        )

    def grid(self, headings: Sequence[str], widths: Sequence[float], rows: Sequence[Sequence[str]]) -> None:
        """Columns under a shaded heading row that is drawn again on every page the grid goes on to."""
        style = Style(size=SMALL_PT + 0.5)
        table = Table(
            tuple(widths), LINE_MM * 0.9, heading=[(text, Style(size=style.size, bold=True)) for text in headings]
        )
        self.table(table, [[(text, style) for text in values] for values in rows])

    def table(self, table: Table, rows: Sequence[Sequence[tuple[str, Style]]]) -> None:
        if table.heading:
            self.table_row(table, table.heading, heading=True)
        else:
            self.rule()
        for cells in rows:
            self.flowing_row(table, cells)

    def wrap(self, text: str, width: float, style: Style) -> list[str]:
        """The lines `text` takes in a column of `width` mm (less the cell margins on both sides)."""
        self.use(style)
        return wrap_lines(printable(text), width - 2 * self.pdf.c_margin, self.measure())

    def measure(self) -> Callable[[str], float]:
        """The width of a text in mm in the current font: fpdf's `get_string_width` without its per-call setup,
        which long texts measured word by word can't afford. Only for text that went through `printable`."""
        pdf = self.pdf
        widths, scale = pdf.current_font.cw, pdf.font_size_pt * 0.001 / pdf.k
        return lambda text: sum(map(widths.__getitem__, map(ord, text))) * scale

    def use(self, style: Style) -> None:
        self.pdf.set_font(FAMILY, "B" if style.bold else "", style.size)
        self.pdf.set_text_color(MUTED if style.muted else 0)

    def rule(self) -> None:
        pdf = self.pdf
        pdf.set_draw_color(RULE)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN_MM, pdf.get_y(), pdf.w - MARGIN_MM, pdf.get_y())

    def flowing_row(self, table: Table, cells: Sequence[tuple[str, Style]]) -> None:
        """One row, split over pages where it has to be: never taller than a page, never fewer than a few lines
        left alone at the foot of one. Where a row goes on, its first column says so (muted)."""
        pdf = self.pdf
        wrapped = [self.wrap(text, width, style) for (text, style), width in zip(cells, table.widths, strict=True)]
        done = [0] * len(cells)
        first, fresh_page = True, False
        while True:
            left = max(len(lines) - shown for lines, shown in zip(wrapped, done, strict=True))
            marker: list[str] = []
            if not first and done[0] >= len(wrapped[0]):
                marker = self.wrap(self.t("package_pdf.continued", text=cells[0][0]), table.widths[0], cells[0][1])
            room = int((pdf.page_break_trigger - pdf.get_y() - 2 * CELL_PADDING_MM) / table.line_mm + 1e-6)
            whole = left * table.line_mm <= KEEP_ROW_WHOLE_MM
            need = max(len(marker), left if first and whole else min(left, MIN_LINES_ON_PAGE))
            if room < need and not fresh_page:
                self.next_page(table)
                fresh_page = True
                continue
            take = max(1, min(left, room))
            pieces: list[tuple[list[str], Style]] = []
            for index, (lines, (_, style)) in enumerate(zip(wrapped, cells, strict=True)):
                piece = lines[done[index] : done[index] + take]
                if index == 0 and marker:
                    piece, style = marker, Style(size=style.size, muted=True)
                pieces.append((piece, style))
            self.table_row(table, pieces)
            done = [min(len(lines), shown + take) for lines, shown in zip(wrapped, done, strict=True)]
            if all(shown >= len(lines) for lines, shown in zip(wrapped, done, strict=True)):
                return
            first, fresh_page = False, True
            self.next_page(table)

    def next_page(self, table: Table) -> None:
        self.pdf.add_page()
        if table.heading:
            self.table_row(table, table.heading, heading=True)
        else:
            self.rule()

    def table_row(self, table: Table, cells: Sequence[tuple[list[str] | str, Style]], *, heading: bool = False) -> None:
        """Draws lines that are known to fit (wrapped beforehand) at the current height, then a rule under them."""
        pdf = self.pdf
        columns = [
            (self.wrap(content, width, style) if isinstance(content, str) else content, style)
            for (content, style), width in zip(cells, table.widths, strict=True)
        ]
        height = max(len(lines) for lines, _ in columns) * table.line_mm + 2 * CELL_PADDING_MM
        top, x = pdf.get_y(), float(MARGIN_MM)
        pdf.set_auto_page_break(False)
        if heading:
            pdf.set_fill_color(*HEADING_FILL)
            pdf.rect(MARGIN_MM, top, sum(table.widths), height, style="F")
        for (lines, style), width in zip(columns, table.widths, strict=True):
            self.use(style)
            baseline = top + CELL_PADDING_MM + 0.5 * table.line_mm + 0.3 * pdf.font_size
            for number, line in enumerate(lines):
                if line:
                    pdf.text(x + pdf.c_margin, baseline + number * table.line_mm, line)
            x += width
        pdf.set_auto_page_break(True, margin=BOTTOM_MARGIN_MM)
        pdf.set_text_color(0)
        pdf.set_xy(MARGIN_MM, top + height)
        self.rule()

    # --- the document ------------------------------------------------------------------------------------

    def render(self) -> bytes:
        pdf = self.pdf
        kind = self.contents.scope.kind
        title = self.t(f"package_pdf.title_{kind.value}", reference=self.contents.reference)
        pdf.set_title(printable(title))
        pdf.set_author(self.t("package_pdf.generated_by"))
        pdf.set_creator("Værn")
        pdf.set_lang("da-DK" if self.texts.language == "da" else "en-GB")
        pdf.set_creation_date(self.contents.generated_at)
        pdf.add_page()
        self.title(title)
        self.incident()
        self.evidence()
        self.timeline()
        self.rectifications()
        self.restrictions()
        self.removals()
        if self.contents.scope.police_and_safetynet:
            self.police_and_safetynet()
        if self.contents.scope.audit:
            self.audit()
        self.check()
        return bytes(pdf.output())

    def title(self, title: str) -> None:
        pdf, scope, requester = self.pdf, self.contents.scope, self.contents.requested_by
        pdf.set_font(FAMILY, "B", 18)
        pdf.set_text_color(*ACCENT)
        pdf.multi_cell(0, 9, printable(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
        role = self.t(f"package_pdf.role_{scope.role.value}")
        generated = self.t("package_pdf.local_time", time=_local(self.contents.generated_at, self.texts))
        self.paragraph(
            self.t("package_pdf.subtitle", time=generated, name=requester.name or requester.user_id, role=role),
            muted=True,
        )
        pdf.ln(2)
        if scope.kind is PackageKind.FULL:
            self.paragraph(self.t("package_pdf.intro_full"))
        elif scope.kind is PackageKind.SUBJECT_ACCESS:
            self.paragraph(self.t("package_pdf.intro_subject_access"))
        else:
            self.paragraph(self.t("package_pdf.intro_police"))
            if scope.evidence_of is not None:
                pdf.ln(1)
                self.paragraph(self.t("package_pdf.intro_reporter", name=self.case.subject.name))
        pdf.ln(1)
        self.paragraph(self.t("package_pdf.crisis"), bold=True)

    def incident(self) -> None:
        case, incident = self.case, self.case.incident
        self.heading(self.t("package_pdf.section_incident"))
        missing = self.t("summary.not_given")
        rows: list[tuple[str, str]] = [
            (self.t("package_pdf.reference"), self.contents.reference),
            (self.t("package_pdf.status"), self.t(f"leader.status_{case.status.value}")),
            (self.t("package_pdf.reported"), _local(case.created_at, self.texts)),
            (self.t("package_pdf.employee"), case.subject.name or missing),
        ]
        if case.reported_on_behalf:
            rows.append((self.t("package_pdf.reported_by"), case.reporter.name or missing))
        if case.unit:
            rows.append((self.t("package_pdf.unit"), case.unit))
        if case.leader is not None:
            rows.append((self.t("package_pdf.leader"), case.leader.name or missing))
        if case.deputy is not None:
            rows.append((self.t("package_pdf.deputy"), case.deputy.name or missing))
        if incident.urgent:
            rows.append((self.t("summary.urgent"), self.t("common.yes")))
        kinds = ", ".join(self.t(f"kinds.{kind.value}") for kind in incident.kinds)
        context = []
        if incident.during_work_hours is not None:
            context.append(self.t("summary.during_work" if incident.during_work_hours else "summary.outside_work"))
        if incident.colleagues_targeted:
            context.append(self.t("summary.colleagues_too"))
        offender = incident.offender
        offender_text = "\n".join(
            part for part in (offender.name, offender.profile, self.t(f"offender.{offender.relation.value}")) if part
        )
        witnesses = _listed([", ".join(part for part in (w.name, w.phone) if part) for w in incident.witnesses])
        impact = self.t(f"impact.scale_{incident.impact.score}") if incident.impact else ""
        rows += [
            (self.t("summary.kinds"), kinds),
            (self.t("summary.context"), ", ".join(context)),
            (self.t("summary.channel"), self.t(f"channel.{incident.channel.value}") if incident.channel else ""),
            (self.t("summary.when"), _local(incident.occurred_at, self.texts)),
            (self.t("summary.description"), incident.description),
            (self.t("summary.offender"), offender_text),
            (self.t("summary.links"), _listed(incident.links)),
            (self.t("summary.witnesses"), witnesses),
            (self.t("leader.impact"), impact),
        ]
        if incident.impact and incident.impact.text:
            rows.append((self.t("package_pdf.impact_text"), incident.impact.text))
        self.facts(rows)

    def evidence(self) -> None:
        items = self.contents.evidence
        self.heading(self.t("package_pdf.section_evidence", count=len(items)))
        if not items:
            self.paragraph(self.t("package_pdf.no_evidence"))
            return
        for item, path in zip(items, self.contents.evidence_paths(), strict=True):
            self.one_evidence(item, path)

    def one_evidence(self, item: EvidenceItem, path: str) -> None:
        pdf = self.pdf
        if pdf.will_page_break(38):
            pdf.add_page()
        pdf.ln(3)
        self.paragraph(path, bold=True)
        size = self.t(
            "package_pdf.size_value", bytes=_grouped(item.size, self.texts.language), human=_human_size(item.size)
        )
        received = f"{_local(item.received_at, self.texts, seconds=True)} · UTC {_utc(item.received_at)}"
        self.facts(
            [
                (self.t("package_pdf.original_name"), item.original_name),
                (self.t("package_pdf.content_type"), item.content_type),
                (self.t("package_pdf.size"), size),
                (self.t("package_pdf.received"), received),
                (self.t("package_pdf.uploaded_by"), self.contents.uploader_name(item.uploaded_by)),
                (self.t("package_pdf.sha256"), item.sha256),
            ],
            small_values=frozenset({self.t("package_pdf.sha256")}),
        )

    def timeline(self) -> None:
        self.heading(self.t("package_pdf.section_timeline"))
        rows = [
            [_local(entry.at, self.texts), entry.by_name or entry.by, self.event_text(entry)]
            for entry in self.contents.timeline
        ]
        width = self.pdf.w - 2 * MARGIN_MM
        heads = [self.t("package_pdf.col_time"), self.t("package_pdf.col_who"), self.t("package_pdf.col_what")]
        self.grid(heads, (30, 40, width - 70), rows)

    def rectifications(self) -> None:
        """Corrections appended to the record (never edits of it), oldest first; nothing when there are none."""
        notes = self.case.rectifications
        if not notes:
            return
        self.heading(self.t("package_pdf.section_rectifications"))
        self.paragraph(self.t("package_pdf.rectifications_intro"), muted=True)
        width = self.pdf.w - 2 * MARGIN_MM
        heads = [self.t("package_pdf.col_time"), self.t("package_pdf.col_who"), self.t("package_pdf.col_what")]
        rows = [
            [
                _local(note.at, self.texts),
                f"{note.by_name or note.by} ({self.t(f'package_pdf.role_{note.role}')})",
                note.text,
            ]
            for note in sorted(notes, key=lambda note: note.at)
        ]
        self.grid(heads, (30, 40, width - 70), rows)

    def event_text(self, entry: TimelineEntry) -> str:
        """What happened, in words; a leader's note goes under it only when the (redacted) record still has one."""
        t, record = self.t, entry.record
        match record:
            case FirstAid():
                return self.first_aid_text(record)
            case OffenderContact():
                method = t(f"handling.method_{record.method.value}")
                text = t("package_timeline.offender_contacted", method=method, date=_day(record.contacted_on))
                return self.with_note(text, "package_timeline.outcome", record.outcome)
            case ContactRestrictions():
                return t("package_timeline.restrictions", rules="; ".join(restriction_rules(self.texts, record)))
            case Removal():
                status = t(f"handling.removal_{record.status.value}")
                return t("package_timeline.removal", link=record.link, status=status)
            case PoliceReport():
                return t("package_timeline.police", details=self.police_text(record))
            case SafetyNetRegistration():
                return t("package_timeline.safetynet", details=self.safetynet_text(record))
            case HrEscalation() if record.function is None:  # Værn escalated on its own: no function yet
                return t("package_timeline.hr_escalation_automatic", reason=hr_automatic_reason(self.texts, record))
            case HrEscalation():
                text = t("package_timeline.hr_escalation", function=t(f"handling.function_{record.function.value}"))
                return self.with_note(text, "package_timeline.hr_message", record.message)
            case WorkEnvironmentAnalysis():
                text = self.with_note(
                    t("package_timeline.work_environment_analysis"), "package_timeline.causes", record.causes
                )
                text = self.with_note(text, "package_timeline.measures", record.measures)
                return self.with_note(text, "package_timeline.plan_change", record.plan_change_text)
            case Closure():
                informed = "employee_informed" if record.employee_informed else "employee_not_informed"
                follow_up = f"{t(f'handling.follow_up_{record.follow_up.value}')}, {t(f'package_timeline.{informed}')}"
                text = self.with_note(t("package_timeline.closed", follow_up=follow_up), "package_timeline.reason",
                                      record.reason)  # fmt: skip
                for duty in record.duty_reasons:
                    name = t(f"handling.duty_{duty.duty.value}")
                    text += "\n" + t("package_timeline.duty_not_done", duty=name, text=duty.reason)
                return text
            case Reopening():
                return self.with_note(t("package_timeline.reopened"), "package_timeline.reason", record.reason)
        if entry.event is TimelineEvent.REPORTED and self.case.reported_on_behalf:
            subject, reporter = self.case.subject.name, self.case.reporter.name
            return t("package_timeline.reported_on_behalf", name=reporter, subject=subject)
        return t(f"package_timeline.{entry.event.value}")

    def first_aid_text(self, first_aid: FirstAid) -> str:
        t, parts = self.t, []
        if first_aid.talked_through_on:
            parts.append(t("package_timeline.talked_through", date=_day(first_aid.talked_through_on)))
        if first_aid.colleagues_informed_on:
            parts.append(t("package_timeline.colleagues_informed", date=_day(first_aid.colleagues_informed_on)))
        if first_aid.debriefing_held:
            parts.append(t("package_timeline.debriefing"))
        title = t("package_timeline.first_aid")
        return f"{title}: {', '.join(parts)}" if parts else title

    def with_note(self, text: str, key: str, note: str) -> str:
        """A leader's free text under the step, when the (redacted) record still has it."""
        return f"{text}\n{self.t(key, text=note)}" if note else text

    def police_text(self, police: PoliceReport) -> str:
        t = self.t
        parts = [
            t("package_pdf.police_decided" if police.employee_decided_to_report else "package_pdf.police_not_decided")
        ]
        if police.reported_on:
            parts.append(t("package_pdf.police_reported_on", date=_day(police.reported_on)))
        if police.journal_number:
            parts.append(t("package_pdf.police_journal", number=police.journal_number))
        if police.joint_report:
            parts.append(t("package_pdf.police_joint"))
        return "; ".join(parts)

    def safetynet_text(self, registration: SafetyNetRegistration) -> str:
        category = self.t(f"handling.category_{registration.category.value}")
        text = self.t("package_pdf.safetynet_value", category=category, date=_day(registration.registered_on))
        return f"{text}; {self.t('package_pdf.doctor_advised')}" if registration.doctor_advised else text

    def restrictions(self) -> None:
        self.heading(self.t("package_pdf.section_restrictions"))
        restrictions = self.case.handling.restrictions
        if restrictions is None or not restrictions.any:
            self.paragraph(self.t("package_pdf.no_restrictions"))
            return
        decided = self.t("handling.by_at", name=restrictions.by_name, time=_local(restrictions.at, self.texts))
        rules = "\n".join(f"• {rule}" for rule in restriction_rules(self.texts, restrictions))
        self.facts([(self.t("handling.restrictions"), rules), (self.t("package_pdf.col_who"), decided)])

    def removals(self) -> None:
        self.heading(self.t("package_pdf.section_removals"))
        removals = self.case.handling.removals
        if not removals:
            self.paragraph(self.t("package_pdf.no_removals"))
            return
        width = self.pdf.w - 2 * MARGIN_MM
        heads = [self.t("package_pdf.col_time"), self.t("summary.links"), self.t("package_pdf.status")]
        rows = [
            [
                _local(removal.at, self.texts),
                f"{removal.link}\n{removal.platform or self.t('package_pdf.platform_unknown')}",
                self.t(f"handling.removal_{removal.status.value}"),
            ]
            for removal in removals
        ]
        self.grid(heads, (30, width - 75, 45), rows)

    def police_and_safetynet(self) -> None:
        self.heading(self.t("package_pdf.section_police"))
        police, safetynet = self.case.handling.police, self.case.handling.safetynet
        self.facts(
            [
                (
                    self.t("package_pdf.police"),
                    self.police_text(police) if police else self.t("package_pdf.police_none"),
                ),
                (
                    self.t("package_pdf.safetynet"),
                    self.safetynet_text(safetynet) if safetynet else self.t("package_pdf.safetynet_none"),
                ),
            ]
        )

    def audit(self) -> None:
        self.heading(self.t("package_pdf.section_audit"))
        events = self.contents.audit
        if not events:
            self.paragraph(self.t("package_pdf.audit_none"))
            return
        width = self.pdf.w - 2 * MARGIN_MM
        heads = [
            self.t("package_pdf.col_time"),
            self.t("package_pdf.col_who"),
            self.t("package_pdf.col_role"),
            self.t("package_pdf.col_action"),
        ]
        rows = [
            [
                _local(event.at, self.texts, seconds=True),
                event.actor_name or event.actor_id,
                event.role,
                f"{event.action}\n{event.detail}" if event.detail else event.action,
            ]
            for event in events
        ]
        self.grid(heads, (34, 44, 24, width - 102), rows)

    def check(self) -> None:
        self.heading(self.t("package_pdf.section_check"))
        self.paragraph(self.t("package_pdf.check_text"), size=SMALL_PT + 0.5)


def render_case_summary(contents: PackageContents, texts: Texts) -> bytes:
    """The summary.pdf of a package, in the language of `texts`."""
    return _Writer(contents, texts).render()
