"""The response plan as a PDF the MED committee / work environment group can print (fpdf2 with the bundled DejaVu
fonts, as exports/case_summary_pdf.py, so æ, ø, å and every name render), in the common plan layout of
domain.response_plan.LAYOUT; its words come from cards.response_plan_text, as the card's and the message's do.
"""

from __future__ import annotations

from fpdf import XPos, YPos

from cards.response_plan_text import sections, title_lines
from content import Texts
from domain.response_plan import ResponsePlan
from exports.case_summary_pdf import FAMILY, MARGIN_MM, A4Document, printable

BODY_PT = 10
ACCENT = (31, 73, 125)


def plan_pdf(texts: Texts, plan: ResponsePlan, *, draft: bool = False) -> bytes:
    title, subtitle = title_lines(texts, plan)
    footer = printable(texts("plan_export.footer", unit=plan.unit_name, version=plan.version, page="{page}"))
    pdf = A4Document(footer)
    pdf.set_title(printable(title))
    pdf.set_creator("Værn")
    pdf.set_lang("da-DK" if texts.language == "da" else "en-GB")
    pdf.set_creation_date(plan.updated_at)
    pdf.add_page()

    def write(text: str, *, size: float = BODY_PT, bold: bool = False, color: tuple[int, ...] = (0,)) -> None:
        pdf.set_font(FAMILY, "B" if bold else "", size)
        pdf.set_text_color(*color)
        pdf.multi_cell(0, 5.2 * size / BODY_PT, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)

    write(title, size=17, bold=True, color=ACCENT)
    write(subtitle, color=(90,))
    if draft:
        write(texts("plan_card.draft_marker"), bold=True)
    pdf.ln(2)
    write(texts("plan_export.offender_rule"), bold=True)
    write(texts("plan_export.crisis"), bold=True)
    for section_title, rows in sections(texts, plan):
        if pdf.will_page_break(35):
            pdf.add_page()
        pdf.ln(4)
        write(section_title, size=12.5, bold=True, color=ACCENT)
        pdf.set_draw_color(*ACCENT)
        pdf.line(MARGIN_MM, pdf.get_y(), pdf.w - MARGIN_MM, pdf.get_y())
        pdf.ln(2)
        for label, value in rows:
            write(label, bold=True)
            write(value)
            pdf.ln(1.5)
    return bytes(pdf.output())
