"""Minutes as PDF (reportlab) and DOCX (python-docx), in the Vietnamese administrative layout:
issuing body and national motto side by side, place and date, "BIÊN BẢN HỌP", the sections,
then the secretary's and the chair's signatures. A final version carries its sha256."""

import io
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from core.pdf import MOTTO, NATION, SERIF, TIMES, Fonts, load_fonts
from models import Minutes, MinutesBody, MinutesSection, MinutesStatus
from records.minutes import body_of

DRAFT_STAMP = "DỰ THẢO"


def footer_lines(minutes: Minutes) -> list[str]:
    """Which version this is and, once final, its fingerprint on a line of its own."""
    if minutes.status == MinutesStatus.final and minutes.sha256:
        return [f"Biên bản chính thức, phiên bản {minutes.version}.", f"SHA-256: {minutes.sha256}"]
    return [f"Dự thảo biên bản, phiên bản {minutes.version}: chưa có giá trị chính thức."]


def printed_sections(body: MinutesBody) -> list[MinutesSection]:
    """The sections a reader sees: a conclusion nobody wrote is left out, heading and all."""
    return [s for s in body.sections if s.text.strip() or not s.key.endswith("-conclusion")]


# PDF


def pdf_fonts() -> Fonts:
    """DejaVu Serif (official papers are set in a serif face) when installed, else Times
    without diacritics."""
    return load_fonts(families=(SERIF,), fallback=TIMES)


def minutes_pdf(minutes: Minutes) -> bytes:
    """The version as an A4 PDF."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    fonts, body = pdf_fonts(), body_of(minutes)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=30 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=22 * mm,
        title=fonts.text(f"{body.title} - {body.subject}"),
        creator="Hop",
    )
    footer = _footer_painter(fonts, footer_lines(minutes))
    document.build(_story(minutes, body, fonts), onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _styles(fonts: Fonts) -> dict[str, Any]:
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    def style(name: str, font: str, size: float, align: int, **extra: Any) -> ParagraphStyle:
        return ParagraphStyle(
            name, fontName=font, fontSize=size, leading=size * 1.35, alignment=align, **extra
        )

    return {
        "issuer": style("issuer", fonts.bold, 11, TA_CENTER),
        "nation": style("nation", fonts.bold, 10, TA_CENTER),
        "motto": style("motto", fonts.bold, 11.5, TA_CENTER),
        "date": style("date", fonts.italic, 11, TA_RIGHT, spaceBefore=8),
        "title": style("title", fonts.bold, 15, TA_CENTER, spaceBefore=14),
        "subject": style("subject", fonts.bold, 12.5, TA_CENTER, spaceAfter=10),
        "section": style("section", fonts.bold, 12, TA_LEFT, spaceBefore=8, spaceAfter=3),
        "text": style("text", fonts.regular, 12, TA_JUSTIFY, spaceAfter=2),
        "stamp": style("stamp", fonts.bold, 11, TA_RIGHT),
        "sign": style("sign", fonts.bold, 12, TA_CENTER),
    }


def _story(minutes: Minutes, body: MinutesBody, fonts: Fonts) -> list[Any]:
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    styles = _styles(fonts)

    def p(value: str, style: str) -> Paragraph:
        return Paragraph(escape(fonts.text(value)).replace("\n", "<br/>"), styles[style])

    story: list[Any] = [] if minutes.status == MinutesStatus.final else [p(DRAFT_STAMP, "stamp")]
    story += [_heading(body.issuer, p), p(body.place_date, "date"), p(body.title, "title")]
    story.append(p(body.subject, "subject"))
    for section in printed_sections(body):
        if section.title:
            story.append(p(section.title, "section"))
        story += [p(line, "text") for line in section.text.splitlines() if line.strip()]
    story.append(KeepTogether([Spacer(1, 16), _signatures(body, p)]))
    return story


def _heading(issuer: str, p: Callable[[str, str], Any]) -> Any:
    from reportlab.platypus import Table, TableStyle

    table = Table(
        [[p(issuer, "issuer"), [p(NATION, "nation"), p(MOTTO, "motto")]]],
        colWidths=["38%", "62%"],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _signatures(body: MinutesBody, p: Callable[[str, str], Any]) -> Any:
    from reportlab.platypus import Table

    blank = "\n\n\n\n"
    return Table(
        [
            [
                p(f"THƯ KÝ{blank}{body.secretary_name}", "sign"),
                p(f"CHỦ TRÌ{blank}{body.chair_name}", "sign"),
            ]
        ]
    )


def _footer_painter(fonts: Fonts, footer: list[str]) -> Callable[[Any, Any], None]:
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit

    size, leading = 7.5, 9.0

    def paint(canvas: Any, document: Any) -> None:
        # The page number sits at the right of the first line, and the text wraps short of
        # it (between words, so the SHA-256 is never cut): nothing is drawn over anything.
        number = f"{document.page}"
        room = document.width - canvas.stringWidth(number, fonts.regular, size) - 4 * mm
        split = [simpleSplit(fonts.text(line), fonts.regular, size, room) for line in footer]
        lines = [part for parts in split for part in parts]
        top = 10 * mm + leading * (len(lines) - 1)
        canvas.saveState()
        canvas.setFont(fonts.regular, size)
        for index, text in enumerate(lines):
            canvas.drawString(document.leftMargin, top - index * leading, text)
        canvas.drawRightString(document.leftMargin + document.width, top, number)
        canvas.restoreState()

    return paint


# DOCX


def minutes_docx(minutes: Minutes) -> bytes:
    """The version as a Word document the secretariat can file or print."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    body = body_of(minutes)
    document = Document()
    _a4(document.sections[0])
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(13)
    if minutes.status != MinutesStatus.final:
        _para(document, DRAFT_STAMP, bold=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _docx_heading(document, body.issuer)
    _para(document, body.place_date, italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(document, body.title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=15)
    _para(document, body.subject, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for section in printed_sections(body):
        if section.title:
            _para(document, section.title, bold=True)
        for line in section.text.splitlines():
            if line.strip():
                _para(document, line, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _docx_signatures(document, body)
    document.sections[0].footer.paragraphs[0].text = "\n".join(footer_lines(minutes))
    document.core_properties.title = f"{body.title} - {body.subject}"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _a4(section: Any) -> None:
    """A4 with the PDF's margins: python-docx's blank document is US Letter."""
    from docx.shared import Mm

    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(30), Mm(20)
    section.top_margin, section.bottom_margin = Mm(20), Mm(22)


def _para(
    container: Any,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    align: Any = None,
    size: float | None = None,
) -> Any:
    from docx.shared import Pt

    paragraph = container.add_paragraph()
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    if size is not None:
        run.font.size = Pt(size)
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _docx_heading(document: Any, issuer: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    left, right = document.add_table(rows=1, cols=2).rows[0].cells
    for cell, lines in ((left, [issuer]), (right, [NATION, MOTTO])):
        cell.paragraphs[0].text = ""
        for line in lines:
            _para(cell, line, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=12)


def _docx_signatures(document: Any, body: MinutesBody) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    left, right = document.add_table(rows=1, cols=2).rows[0].cells
    for cell, role, name in (
        (left, "THƯ KÝ", body.secretary_name),
        (right, "CHỦ TRÌ", body.chair_name),
    ):
        cell.paragraphs[0].text = ""
        _para(cell, role, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        for _ in range(3):
            cell.add_paragraph()
        _para(cell, name, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
