"""A person's notes of a meeting as PDF (reportlab, DejaVu Sans for Vietnamese) and DOCX
(python-docx): document by document, each note with its page, quote, comment, and whether it
is shared or its text changed.

The labels are English and pass through `tr`, the reader's gettext; web.pages.notes marks
them for the catalogues (tests/meetings/test_notes.py checks that every one is listed there).
"""

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from xml.sax.saxutils import escape

from core.pdf import Fonts, Translate, as_is, fonts
from meetings.notes import MeetingNote
from models import AnchorState, Document, Note, NoteKind
from models.base import as_utc, utcnow

VIETNAM = timezone(timedelta(hours=7), "ICT")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TITLE = "Notes on the papers"
WHO = "%(name)s · exported %(time)s (UTC+7)"
PAGE = "Page %(page)s"
VERSION = "version %(number)s"
HIGHLIGHT = "Highlight"
PIN = "Pinned note"
SHARED = "Shared with the secretariat"
CHANGED = "The text changed"
CHANGED_HINT = "The quoted text was not found in the new version; it is shown as it was."
NO_NOTES = "No notes on the papers of this meeting yet."
# Characters an XML 1.0 document (DOCX, and reportlab's paragraph markup) cannot hold.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
WORDS = (TITLE, WHO, PAGE, VERSION, HIGHLIGHT, PIN, SHARED, CHANGED, CHANGED_HINT, NO_NOTES)


@dataclass(frozen=True)
class NotesPaper:
    """What an export shows: the meeting, whose notes, when, and the notes by document."""

    meeting_title: str
    person_name: str
    made_at: datetime
    documents: list[tuple[Document, list[Note]]]


def paper_of(
    meeting_title: str,
    person_name: str,
    notes: Sequence[MeetingNote],
    made_at: datetime | None = None,
) -> NotesPaper:
    """The notes (in the order given) grouped by their document."""
    documents: list[tuple[Document, list[Note]]] = []
    for item in notes:
        if not documents or documents[-1][0].id != item.document.id:
            documents.append((item.document, []))
        documents[-1][1].append(item.note)
    return NotesPaper(meeting_title, person_name, made_at or utcnow(), documents)


def printable(text: str) -> str:
    """The text without the control characters XML cannot hold (a comment may have them)."""
    return _UNPRINTABLE.sub("", text)


def note_marks(note: Note, tr: Translate = as_is) -> str:
    """The line above a note: page, version, kind, and the shared and changed marks."""
    marks = [
        tr(PAGE) % {"page": note.page},
        tr(VERSION) % {"number": note.version_number},
        tr(HIGHLIGHT if note.kind == NoteKind.highlight else PIN),
    ]
    if note.shared:
        marks.append(tr(SHARED))
    if note.anchor == AnchorState.changed:
        marks.append(tr(CHANGED))
    return " · ".join(marks)


def _byline(paper: NotesPaper, tr: Translate) -> str:
    when = as_utc(paper.made_at).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
    return tr(WHO) % {"name": paper.person_name, "time": when}


# PDF


def notes_pdf(paper: NotesPaper, tr: Translate = as_is) -> bytes:
    """The notes as an A4 PDF."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    face = fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=face.text(f"{tr(TITLE)} - {paper.meeting_title}"),
        creator="Hop",
    )
    document.build(_story(paper, tr, face))
    return buffer.getvalue()


def _story(paper: NotesPaper, tr: Translate, face: Fonts) -> list[Any]:
    from reportlab.platypus import KeepTogether

    p = _paragraphs(face)
    story: list[Any] = [p(tr(TITLE), "title"), p(paper.meeting_title, "subject")]
    story.append(p(_byline(paper, tr), "meta"))
    if not paper.documents:
        story.append(p(tr(NO_NOTES), "text"))
    for document, notes in paper.documents:
        story.append(p(document.title, "document"))
        for note in notes:
            story.append(KeepTogether(_note_story(note, tr, p)))
    return story


def _note_story(note: Note, tr: Translate, p: Callable[[str, str], Any]) -> list[Any]:
    parts = [p(note_marks(note, tr), "marks")]
    if note.exact.strip():
        parts.append(p(f"“{note.exact.strip()}”", "quote"))
    if note.anchor == AnchorState.changed:
        parts.append(p(tr(CHANGED_HINT), "changed"))
    if note.body.strip():
        parts.append(p(note.body.strip(), "text"))
    return parts


def _paragraphs(face: Fonts) -> Callable[[str, str], Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    def style(name: str, font: str, size: float, **extra: Any) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.35, **extra)

    styles = {
        "title": style("title", face.bold, 16, spaceAfter=4),
        "subject": style("subject", face.bold, 12, spaceAfter=2),
        "meta": style("meta", face.regular, 9, textColor=colors.grey, spaceAfter=8),
        "document": style("document", face.bold, 13, spaceBefore=12, spaceAfter=4),
        "marks": style("marks", face.bold, 9, textColor=colors.darkblue, spaceBefore=8),
        "quote": style("quote", face.italic, 10.5, leftIndent=12, spaceBefore=2),
        "changed": style("changed", face.italic, 9, textColor=colors.darkred, leftIndent=12),
        "text": style("text", face.regular, 10.5, spaceBefore=2),
    }

    def p(value: str, kind: str) -> Paragraph:
        text = escape(face.text(printable(value))).replace("\n", "<br/>")
        return Paragraph(text, styles[kind])

    return p


# DOCX


def notes_docx(paper: NotesPaper, tr: Translate = as_is) -> bytes:
    """The notes as a Word document."""
    from docx import Document as WordDocument
    from docx.shared import Pt

    word = WordDocument()
    _a4(word.sections[0])
    normal = word.styles["Normal"]
    normal.font.name, normal.font.size = "Arial", Pt(11)
    word.add_heading(tr(TITLE), level=1)
    _para(word, paper.meeting_title, bold=True)
    _para(word, _byline(paper, tr), italic=True)
    if not paper.documents:
        _para(word, tr(NO_NOTES))
    for document, notes in paper.documents:
        word.add_heading(document.title, level=2)
        for note in notes:
            _docx_note(word, note, tr)
    word.core_properties.title = f"{tr(TITLE)} - {paper.meeting_title}"
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _docx_note(word: Any, note: Note, tr: Translate) -> None:
    _para(word, note_marks(note, tr), bold=True)
    if note.exact.strip():
        _para(word, f"“{note.exact.strip()}”", italic=True)
    if note.anchor == AnchorState.changed:
        _para(word, tr(CHANGED_HINT), italic=True)
    if note.body.strip():
        _para(word, note.body.strip())


def _a4(section: Any) -> None:
    from docx.shared import Mm

    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(18)


def _para(word: Any, text: str, *, bold: bool = False, italic: bool = False) -> None:
    run = word.add_paragraph().add_run(printable(text))
    run.bold, run.italic = bold, italic
