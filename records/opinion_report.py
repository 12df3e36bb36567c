"""The consolidated opinion report on a draft (bảng tổng hợp, tiếp thu, giải trình ý kiến): its
body, kept as JSON in RoundReport.body, and that body as DOCX and PDF in the administrative
layout of the minutes. Pure: the body is filled elsewhere, from the round's tables."""

import hashlib
import io
import json
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Self, cast

from core.pdf import Fonts, escape
from models.draft import AnswerVerdict, Stance
from records.minutes_draft import _long_date
from records.minutes_export import (
    DRAFT_STAMP,
    _a4,
    _docx_heading,
    _footer_painter,
    _heading,
    _para,
    _styles,
    pdf_fonts,
)

REPORT_TITLE = "BẢNG TỔNG HỢP, TIẾP THU, GIẢI TRÌNH Ý KIẾN"
GENERAL = "Ý kiến chung"
DRAFTER = "CƠ QUAN SOẠN THẢO"
HEADER = ("STT", "Điều, khoản", "Ý kiến góp ý", "Đại biểu", "Giải trình, tiếp thu")
# The report's words for a verdict and a stance; a merged comment names the one it joined.
VERDICT_WORDS: dict[str, str] = {
    AnswerVerdict.accepted: "Tiếp thu",
    AnswerVerdict.explained: "Giải trình",
    AnswerVerdict.not_accepted: "Không tiếp thu",
    AnswerVerdict.merged: "Gộp với ý kiến số {number}",
}
STANCE_WORDS: dict[str, str] = {
    Stance.agree: "Tán thành",
    Stance.disagree: "Không tán thành",
    Stance.amend: "Đề nghị sửa đổi",
    Stance.general: GENERAL,
}
NOT_ANSWERED = "Chưa trả lời"
PROPOSED = "Đề nghị sửa: "
NO_COMMENT = "Không có ý kiến góp ý"
# Column widths in millimetres: together the 160 mm between the A4 margins.
WIDTHS_MM = (12, 25, 53, 22, 48)


# The body


class _Json:
    def to_json(self) -> dict[str, Any]:
        """Plain JSON values, nested parts as objects."""
        # A mixin of dataclasses only: asdict's stub cannot know it.
        return asdict(cast(Any, self))


@dataclass(frozen=True)
class ReportAnswer(_Json):
    verdict: str  # an AnswerVerdict
    text: str
    merged_into: int | None  # merged: the number of the comment it was answered with

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """The answer from its to_json()."""
        return cls(**data)


@dataclass(frozen=True)
class ReportComment(_Json):
    number: int  # its STT in the table
    author: str | None  # None in an anonymous round
    count: int  # how many members said the same
    stance: str  # a Stance
    text: str
    proposed_text: str
    answer: ReportAnswer | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """The comment from its to_json()."""
        answer = data.get("answer")
        answer = None if answer is None else ReportAnswer.from_json(answer)
        return cls(**{**data, "answer": answer})


@dataclass(frozen=True)
class ReportSection(_Json):
    path: str  # "Điều 3", "Điều 3, khoản 2"; "" for the draft as a whole
    title: str
    comments: list[ReportComment]
    agree: int
    disagree: int
    amend: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """The section from its to_json()."""
        comments = [ReportComment.from_json(comment) for comment in data["comments"]]
        return cls(**{**data, "comments": comments})


@dataclass(frozen=True)
class ReportSummary(_Json):
    invited: int
    answered: int
    agree_all: int
    with_comments: int
    not_answered: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """The summary from its to_json()."""
        return cls(**data)


@dataclass(frozen=True)
class ReportBody(_Json):
    issuer: str
    title: str  # printed in place of REPORT_TITLE when set
    draft_title: str
    round_title: str
    place: str
    date: str  # ISO date
    anonymous: bool
    summary: ReportSummary
    sections: list[ReportSection]
    version: int
    final: bool
    sha256: str | None
    drafter: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """The body from its to_json() (RoundReport.body)."""
        summary = ReportSummary.from_json(data["summary"])
        sections = [ReportSection.from_json(section) for section in data["sections"]]
        return cls(**{**data, "summary": summary, "sections": sections})


def body_sha256(body: ReportBody) -> str:
    """The fingerprint of the body's canonical JSON, leaving out the fingerprint itself and
    whether the version is final, so that it can be computed again from a final body."""
    data = {k: v for k, v in body.to_json().items() if k not in ("sha256", "final")}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# What is printed, whatever the format


@dataclass(frozen=True)
class Run:
    """A stretch of text in one face."""

    text: str
    bold: bool = False
    italic: bool = False


Line = list[Run]  # a paragraph
Cell = list[Line]


def date_line(body: ReportBody) -> str:
    """The place and date line, as official papers date themselves ("…, ngày 05 tháng 12")."""
    day = f"ngày {_long_date(date.fromisoformat(body.date))}" if body.date else ""
    if body.place and day:
        return f"{body.place}, {day}"
    return body.place or day.capitalize()


def summary_line(summary: ReportSummary) -> str:
    """Who was asked and who answered, in one sentence."""
    return (
        f"Số thành viên được lấy ý kiến: {summary.invited}; "
        f"số đã trả lời: {summary.answered}; tán thành toàn bộ: {summary.agree_all}; "
        f"có ý kiến: {summary.with_comments}; chưa trả lời: {summary.not_answered}."
    )


def footer_lines(body: ReportBody) -> list[str]:
    """Which version this is and, once final, its fingerprint on a line of its own."""
    if body.final:
        fingerprint = body.sha256 or body_sha256(body)
        return [f"Bản chính thức, phiên bản {body.version}.", f"SHA-256: {fingerprint}"]
    return [f"Dự thảo bảng tổng hợp, phiên bản {body.version}."]


def printed_sections(body: ReportBody) -> list[ReportSection]:
    """The sections in order, the comments on the whole draft first."""
    return sorted(body.sections, key=lambda section: section.path != "")


def table_rows(body: ReportBody) -> list[list[Cell]]:
    """The table, its header row first: one row a comment, or one for a section without."""
    rows: list[list[Cell]] = [[[[Run(word, bold=True)]] for word in HEADER]]
    for section in printed_sections(body):
        if not section.comments:
            rows.append([[], _path_cell(section), [[Run(NO_COMMENT, italic=True)]], [], []])
        for index, comment in enumerate(section.comments):
            path = _path_cell(section) if index == 0 else [[Run(section.path or GENERAL)]]
            author = _author_cell(comment, anonymous=body.anonymous)
            number = [[Run(str(comment.number))]]
            rows.append([number, path, _comment_cell(comment), author, _answer_cell(comment)])
    return rows


def _path_cell(section: ReportSection) -> Cell:
    """The section's place and heading, then how many agreed, disagreed or proposed wording."""
    cell: Cell = [[Run(section.path or GENERAL, bold=True)]]
    if section.title:
        cell.append([Run(section.title)])
    counts = zip(
        (Stance.agree, Stance.disagree, Stance.amend),
        (section.agree, section.disagree, section.amend),
        strict=True,
    )
    tally = "; ".join(f"{STANCE_WORDS[stance].lower()}: {n}" for stance, n in counts if n)
    return cell + [[Run(f"({tally})", italic=True)]] if tally else cell


def _comment_cell(comment: ReportComment) -> Cell:
    lead = "" if comment.stance == Stance.general else STANCE_WORDS.get(comment.stance, "")
    cell: Cell = [[Run(f"{lead}.", bold=True)]] if lead else []
    cell += [[Run(line)] for line in comment.text.splitlines() if line.strip()]
    if comment.proposed_text.strip():
        cell.append([Run(PROPOSED + comment.proposed_text.strip(), italic=True)])
    if comment.count > 1:
        cell.append([Run(f"({comment.count} ý kiến)")])
    return cell


def _author_cell(comment: ReportComment, *, anonymous: bool) -> Cell:
    # An anonymous round prints no name, even one that slipped into the body.
    if anonymous:
        return [[Run(f"{comment.count} đại biểu" if comment.count > 1 else "—")]]
    return [[Run(comment.author or "—")]]


def _answer_cell(comment: ReportComment) -> Cell:
    answer = comment.answer
    if answer is None:
        return [[Run(NOT_ANSWERED, italic=True)]]
    word = VERDICT_WORDS.get(answer.verdict, answer.verdict)
    cell: Cell = [[Run(word.format(number=answer.merged_into or "").strip(), bold=True)]]
    return cell + [[Run(line)] for line in answer.text.splitlines() if line.strip()]


# PDF


def report_pdf(body: ReportBody) -> bytes:
    """The report as an A4 PDF; the table runs over as many pages as it needs."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    fonts, buffer = pdf_fonts(), io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=30 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=22 * mm,
        title=fonts.text(f"{REPORT_TITLE} - {body.draft_title}"),
        creator="Hop",
    )
    footer = _footer_painter(fonts, footer_lines(body))
    document.build(_story(body, fonts), onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _pdf_styles(fonts: Fonts) -> dict[str, Any]:
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
    from reportlab.lib.styles import ParagraphStyle

    styles = _styles(fonts)
    extra = {
        "round": (fonts.italic, 12, TA_CENTER, {"spaceAfter": 8}),
        "cell": (fonts.regular, 10, TA_LEFT, {}),
        "head": (fonts.bold, 10, TA_CENTER, {}),
        "summary": (fonts.regular, 12, TA_JUSTIFY, {"spaceAfter": 8}),
    }
    for name, (font, size, align, more) in extra.items():
        styles[name] = ParagraphStyle(
            name, fontName=font, fontSize=size, leading=size * 1.3, alignment=align, **more
        )
    return styles


def _story(body: ReportBody, fonts: Fonts) -> list[Any]:
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    styles = _pdf_styles(fonts)

    def p(value: str, style: str) -> Paragraph:
        return Paragraph(escape(fonts.text(value)).replace("\n", "<br/>"), styles[style])

    story: list[Any] = [] if body.final else [p(DRAFT_STAMP, "stamp")]
    story += [_heading(body.issuer, p), p(date_line(body), "date")]
    story += [p(body.title or REPORT_TITLE, "title"), p(f"đối với {body.draft_title}", "subject")]
    if body.round_title:
        story.append(p(f"({body.round_title})", "round"))
    story += [p(summary_line(body.summary), "summary"), _pdf_table(body, fonts, styles)]
    story.append(KeepTogether([Spacer(1, 16), _pdf_signature(body.drafter, p)]))
    return story


def _pdf_table(body: ReportBody, fonts: Fonts, styles: dict[str, Any]) -> Any:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    def flowables(cell: Cell, style: str) -> list[Any]:
        return [Paragraph(_markup(line, fonts), styles[style]) for line in cell]

    rows = table_rows(body)
    cells = [[flowables(cell, "head") for cell in rows[0]]]
    cells += [[flowables(cell, "cell") for cell in row] for row in rows[1:]]
    # splitInRow: a comment longer than a page goes on over the next one.
    return Table(
        cells,
        colWidths=[width * mm for width in WIDTHS_MM],
        repeatRows=1,
        splitInRow=1,
        style=TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ]
        ),
    )


def _markup(line: Line, fonts: Fonts) -> str:
    # Faces by name: <b> and <i> would need the TTF fonts registered as one family.
    parts = []
    for run in line:
        face = fonts.bold if run.bold else fonts.italic if run.italic else fonts.regular
        parts.append(f'<font face="{face}">{escape(fonts.text(run.text))}</font>')
    return "".join(parts)


def _pdf_signature(drafter: str, p: Any) -> Any:
    from reportlab.platypus import Table

    return Table([["", p(f"{DRAFTER}\n\n\n\n{drafter}", "sign")]], colWidths=["40%", "60%"])


# DOCX


def report_docx(body: ReportBody) -> bytes:
    """The report as a Word document the drafting body can edit, file or print."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = Document()
    _a4(document.sections[0])
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(13)
    if not body.final:
        _para(document, DRAFT_STAMP, bold=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _docx_heading(document, body.issuer)
    _para(document, date_line(body), italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(document, body.title or REPORT_TITLE, bold=True, align=center, size=15)
    _para(document, f"đối với {body.draft_title}", bold=True, align=center)
    if body.round_title:
        _para(document, f"({body.round_title})", italic=True, align=center)
    _para(document, summary_line(body.summary), align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _docx_table(document, table_rows(body))
    _docx_signature(document, body.drafter)
    document.sections[0].footer.paragraphs[0].text = "\n".join(footer_lines(body))
    document.core_properties.title = f"{REPORT_TITLE} - {body.draft_title}"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_table(document: Any, rows: list[list[Cell]]) -> None:
    from docx.oxml import OxmlElement
    from docx.shared import Mm, Pt

    table = document.add_table(rows=len(rows), cols=len(HEADER))
    table.style, table.autofit = "Table Grid", False
    # The header row repeats at the top of every page Word breaks the table onto.
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    # Widths twice: LibreOffice reads the grid's, Word the cells'.
    for column, width in zip(table.columns, WIDTHS_MM, strict=True):
        column.width = Mm(width)
    for row, cells in zip(table.rows, rows, strict=True):
        for cell, width, lines in zip(row.cells, WIDTHS_MM, cells, strict=True):
            cell.width = Mm(width)
            _docx_cell(cell, lines, Pt(11))


def _docx_cell(cell: Any, lines: Cell, size: Any) -> None:
    for index, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        for part in line:
            run = paragraph.add_run(part.text)
            run.bold, run.italic, run.font.size = part.bold, part.italic, size


def _docx_signature(document: Any, drafter: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document.add_paragraph()
    right = document.add_table(rows=1, cols=2).rows[0].cells[1]
    right.paragraphs[0].text = ""
    _para(right, DRAFTER, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for _ in range(3):
        right.add_paragraph()
    _para(right, drafter, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
