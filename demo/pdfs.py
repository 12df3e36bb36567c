"""PDFs for the demo: a Vietnamese administrative document laid out on A4 with reportlab, in a
font with Vietnamese glyphs (DejaVu) or, failing that, in Helvetica without diacritics."""

import io
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from core.pdf import MOTTO, NATION, Fonts, load_fonts

LEFT_MARGIN, RIGHT_MARGIN = 30 * mm, 20 * mm
TEXT_WIDTH = A4[0] - LEFT_MARGIN - RIGHT_MARGIN


@dataclass(frozen=True)
class OfficialDocument:
    """An administrative document: heading, number, kind and subject, body, signature.

    Body lines starting with "# " are centred bold lines, "## " bold headings, "* " centred
    italic notes; a line starting
    "Điều N." has that part in bold. `table` rows (the first is the header) follow the body.
    """

    issuer: str  # the issuing body, in capitals; "\n" breaks the line
    number: str  # "118/TTr-UBND"; a draft leaves the number blank: "/NQ-HĐND"
    issued_on: date
    kind: str  # "TỜ TRÌNH", "BÁO CÁO", "NGHỊ QUYẾT", …
    subject: str
    body: tuple[str, ...]
    parent: str = ""  # the body above the issuer, for a committee's papers
    place: str = "Hoàn Kiếm"
    addressee: str = ""
    table: tuple[tuple[str, ...], ...] = ()
    signer_capacity: str = ""  # "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"
    signer_name: str = ""
    recipients: tuple[str, ...] = ("Như trên;", "Lưu: VT.")
    stamp: str = ""  # "DỰ THẢO"

    @property
    def title(self) -> str:
        """The title a secretariat would file it under: "Tờ trình về …"."""
        kind = f"Dự thảo {self.kind.lower()}" if self.stamp else self.kind.capitalize()
        return f"{kind} {self.subject[:1].lower()}{self.subject[1:]}"


def vietnamese_date(place: str, day: date) -> str:
    """The place and date line, "Hoàn Kiếm, ngày 05 tháng 02 năm 2027" (zero before days
    below 10 and before months 1 and 2)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def render_pdf(document: OfficialDocument, fonts: Fonts | None = None) -> bytes:
    """The document as an A4 PDF; the same document always gives the same bytes."""
    return _render(document, fonts or load_fonts())


@lru_cache(maxsize=64)
def _render(document: OfficialDocument, fonts: Fonts) -> bytes:
    kit = _Kit(fonts)
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=LEFT_MARGIN,
        rightMargin=RIGHT_MARGIN,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=fonts.text(document.title),
        author=fonts.text(document.issuer.replace("\n", " ")),
        subject=fonts.text(document.subject),
        creator="Hop demo",
        invariant=True,  # no timestamps or random ids: reproducible bytes
    )
    template.build(_story(document, kit), onLaterPages=kit.page_number)
    return buffer.getvalue()


class _Kit:
    """Paragraph styles for one set of fonts, and paragraphs made with them."""

    def __init__(self, fonts: Fonts) -> None:
        self.fonts = fonts
        self.styles = _styles(fonts)

    def p(self, text: str, style: str) -> Paragraph:
        markup = escape(self.fonts.text(text)).replace("\n", "<br/>")
        if style == "body":
            markup = re.sub(r"^(Điều \d+\.|Dieu \d+\.)", self._bold, markup)
        return Paragraph(markup, self.styles[style])

    def _bold(self, match: re.Match[str]) -> str:
        return f'<font name="{self.fonts.bold}">{match.group(1)}</font>'

    def page_number(self, canvas: Any, doc: Any) -> None:
        """From page 2 on, the page number at the top centre."""
        canvas.saveState()
        canvas.setFont(self.fonts.regular, 10)
        canvas.drawCentredString(LEFT_MARGIN + TEXT_WIDTH / 2, A4[1] - 12 * mm, str(doc.page))
        canvas.restoreState()


def _styles(fonts: Fonts) -> dict[str, ParagraphStyle]:
    def style(name: str, font: str, size: float, align: int = TA_CENTER, **extra: Any) -> Any:
        leading = extra.pop("leading", size * 1.3)
        return ParagraphStyle(
            name, fontName=font, fontSize=size, leading=leading, alignment=align, **extra
        )

    regular, bold, italic = fonts.regular, fonts.bold, fonts.italic
    return {
        "agency": style("agency", regular, 10.5),
        "agency_bold": style("agency_bold", bold, 10.5),
        "number": style("number", regular, 10.5, spaceBefore=2),
        "nation": style("nation", bold, 10.5),
        "motto": style("motto", bold, 11.5),
        "date": style("date", italic, 10.5, spaceBefore=2),
        "stamp": style("stamp", bold, 10),
        "kind": style("kind", bold, 14, spaceBefore=16),
        "subject": style("subject", bold, 12, spaceBefore=2),
        "addressee": style("addressee", regular, 12, spaceBefore=10, spaceAfter=4),
        "body": style(
            "body", regular, 11.5, TA_JUSTIFY, leading=16.5, firstLineIndent=10 * mm, spaceAfter=5
        ),
        "heading": style("heading", bold, 11.5, TA_LEFT, spaceBefore=4, spaceAfter=4),
        "centered": style("centered", bold, 12, spaceBefore=6, spaceAfter=6),
        "note": style("note", italic, 11.5, spaceAfter=6),
        "cell": style("cell", regular, 9.5, TA_LEFT),
        "cell_head": style("cell_head", bold, 9.5),
        "recipients_title": style("recipients_title", bold, 10, TA_LEFT),
        "recipients": style("recipients", regular, 9, TA_LEFT, leading=11.5),
        "capacity": style("capacity", bold, 11.5, leading=15),
        "signed": style("signed", italic, 10.5, spaceBefore=8, spaceAfter=8),
        "signer": style("signer", bold, 12, spaceBefore=14),
    }


def _story(document: OfficialDocument, kit: _Kit) -> list[Flowable]:
    story: list[Flowable] = [_stamp(document.stamp, kit)] if document.stamp else []
    story += [_heading(document, kit), *_title(document, kit)]
    body: list[Flowable] = [_body_line(line, kit) for line in document.body]
    if document.table:
        body += [Spacer(1, 4 * mm), _table(document.table, kit)]
    if not document.signer_name:
        return story + body
    # The signature never stands alone on a page: it keeps the closing paragraph with it.
    closing = body[-1:]
    return [
        *story,
        *body[:-1],
        KeepTogether([*closing, Spacer(1, 8 * mm), _signature(document, kit)]),
    ]


class _Rule(Flowable):
    """A short centred line, as under the issuer, the motto and the subject."""

    def __init__(self, width: float) -> None:
        super().__init__()
        self.rule_width = width
        self.space = 0.0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.space = available_width
        return available_width, 8

    def draw(self) -> None:
        start = (self.space - self.rule_width) / 2
        self.canv.setLineWidth(0.6)
        self.canv.line(start, 3, start + self.rule_width, 3)


def _rule(width: float) -> _Rule:
    return _Rule(width)


def _stamp(text: str, kit: _Kit) -> Table:
    box = Table([[kit.p(text, "stamp")]], colWidths=[42 * mm], hAlign="RIGHT")
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.black)]))
    return box


def _heading(document: OfficialDocument, kit: _Kit) -> Table:
    left: list[Flowable] = [kit.p(document.parent, "agency")] if document.parent else []
    left += [kit.p(document.issuer, "agency_bold"), _rule(24 * mm)]
    left.append(kit.p(f"Số: {document.number}".replace(" /", "\u00a0" * 8 + "/"), "number"))
    right = [
        kit.p(NATION, "nation"),
        kit.p(MOTTO, "motto"),
        _rule(58 * mm),
        kit.p(vietnamese_date(document.place, document.issued_on), "date"),
    ]
    table = Table([[left, right]], colWidths=[64 * mm, TEXT_WIDTH - 64 * mm])
    table.setStyle(_PLAIN)
    return table


_PLAIN = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]
)


def _title(document: OfficialDocument, kit: _Kit) -> list[Flowable]:
    parts = [kit.p(document.kind, "kind"), kit.p(document.subject, "subject"), _rule(40 * mm)]
    if document.addressee:
        parts.append(kit.p(document.addressee, "addressee"))
    else:
        parts.append(Spacer(1, 4 * mm))
    return parts


def _body_line(line: str, kit: _Kit) -> Paragraph:
    if line.startswith("# "):
        return kit.p(line[2:], "centered")
    if line.startswith("## "):
        return kit.p(line[3:], "heading")
    if line.startswith("* "):
        return kit.p(line[2:], "note")
    return kit.p(line, "body")


def _table(rows: tuple[tuple[str, ...], ...], kit: _Kit) -> Table:
    head, *rest = rows
    cells = [[kit.p(text, "cell_head") for text in head]]
    cells += [[kit.p(text, "cell") for text in row] for row in rest]
    widths = [12 * mm, 38 * mm, 50 * mm, 28 * mm, TEXT_WIDTH - 128 * mm][: len(head)]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
            ]
        )
    )
    return table


def _signature(document: OfficialDocument, kit: _Kit) -> Table:
    left: list[Flowable] = [kit.p("Nơi nhận:", "recipients_title")]
    left += [kit.p(f"- {line}", "recipients") for line in document.recipients]
    right: list[Flowable] = [kit.p(document.signer_capacity, "capacity")]
    # A draft is unsigned; a published paper carries the mark of its electronic signature.
    right.append(kit.p("(Dự thảo)" if document.stamp else "(Đã ký)", "signed"))
    right.append(kit.p(document.signer_name, "signer"))
    table = Table([[left, right]], colWidths=[TEXT_WIDTH - 90 * mm, 90 * mm])
    table.setStyle(_PLAIN)
    return table
