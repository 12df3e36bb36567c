"""The structure of a draft for comments (dự thảo): its chapters, parts, articles, clauses and
points, proposed from the document's text by the conventions of Vietnamese legal drafting and
corrected by the secretariat before a comment round opens.

The parser reads lines: a heading opens a section, any other line continues the words of the
section being read, since PDF text breaks lines in mid-sentence. Clause numbers and point
letters must follow in order, so that a sentence broken just before "2." or "b)" does not open
a section. The work is bounded in characters read and in sections made.
"""

import io
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlmodel import Session, col, delete, select

from meetings import doctext
from meetings.errors import DraftStructureError, DraftTextError
from meetings.storage import BlobStore
from models import DocumentText, DocumentVersion, TextStatus
from models.draft import SECTION_TEXT_MAX, DraftSection, SectionKind

MAX_SECTIONS = 5000
# Of text read; a longer draft is cut there (a law of 500 pages has some 25,000 lines).
MAX_PAGES, MAX_CHARS, MAX_LINES = 2000, 2_000_000, 150_000
NUMBER_MAX, LABEL_MAX, TITLE_MAX = 16, 60, 1000  # DraftSection's column lengths
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NO_TEXT = (
    "This document has no text layer to split into articles (a scanned PDF?): "
    "upload a DOCX or a PDF with text"
)
NO_ARTICLE = (
    "No article (Điều 1. ...) was found in this document's text: it cannot be split into articles"
)
# Points are lettered in the Vietnamese alphabet without its marked vowels: a, b, c, d, đ, e, g...
POINT_LETTERS = "abcdđeghiklmnopqrstuvxy"
LEVELS = list(SectionKind)  # chapter, part, article, clause, point: outermost first
LABELS = {
    SectionKind.chapter: "Chương",
    SectionKind.part: "Mục",
    SectionKind.article: "Điều",
    SectionKind.clause: "Khoản",
    SectionKind.point: "Điểm",
}
# The kinds a section may sit in (None: at the top level).
CONTAINERS: dict[SectionKind, set[SectionKind | None]] = {
    SectionKind.chapter: {None},
    SectionKind.part: {None, SectionKind.chapter},
    SectionKind.article: {None, SectionKind.chapter, SectionKind.part},
    SectionKind.clause: {SectionKind.article},
    SectionKind.point: {SectionKind.article, SectionKind.clause},
}

_CHAPTER = re.compile(r"(?i:chương)\s*([IVXLCDM]{1,8}|\d{1,3})(?!\w)\s*[.:\-–]?\s*(.*)")
_PART = re.compile(r"(?i:mục)\s*([IVXLCDM]{1,8}|\d{1,3})(?!\w)\s*[.:\-–]?\s*(.*)")
_ARTICLE = re.compile(r"(?i:điều)\s*(\d{1,4}[a-zđ]?)\s*[.:]\s*(.*)")
_NAMED = {
    "c": (SectionKind.chapter, _CHAPTER),
    "m": (SectionKind.part, _PART),
    "đ": (SectionKind.article, _ARTICLE),
}
_CLAUSE = re.compile(r"(\d{1,3})\s*\.(?!\d)\s*(.*)")
_POINT = re.compile(r"([a-zđ])\s?\)\s*(.*)")
# A page number or "Trang 2/5" alone on a line: a running footer, not the draft's words.
_PAGE_MARK = re.compile(r"[-–—]?\s*(?:(?i:trang)\s*)?\d{1,4}(?:\s*/\s*\d{1,4})?\s*[-–—]?")
_MARK_START = "0123456789-–—Tt"
# Where the signed draft ends: the recipients' list, or "TM."/"KT." before the signer.
_CLOSING = re.compile(r"(?i:nơi nhận)|(?:TM|KT|TL|TUQ)\.\s")


@dataclass(frozen=True)
class Section:
    """One section of a draft, as the parser proposes it and the secretariat corrects it."""

    position: int
    parent_position: int | None
    kind: SectionKind
    number: str
    label: str
    title: str
    text: str
    page: int | None


# Parsing


@dataclass
class _Draft:
    """A section being read: its title and words gathered line by line."""

    kind: SectionKind
    number: str
    parent: int | None
    page: int
    title: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    size: int = 0
    title_open: bool = True

    def add_words(self, line: str) -> None:
        room = SECTION_TEXT_MAX - self.size
        if room > 0:
            self.words.append(line[:room])
            self.size += min(len(line), room) + 1


@dataclass
class _Reader:
    """Reads cleaned lines in order and keeps which section of each level is open."""

    sections: list[_Draft] = field(default_factory=list)
    opened: dict[SectionKind, int] = field(default_factory=dict)
    last_clause: int = 0
    last_point: int = -1
    done: bool = False

    def feed(self, line: str, page: int) -> None:
        heading = self._heading(line)
        if heading is not None:
            self._start(*heading, page)
        elif not self.sections:
            return  # the preamble: "Căn cứ ...", "QUYẾT NGHỊ:"
        elif line[0] in "NnTK" and _CLOSING.match(line):
            self.done = True
        else:
            _continue(self.sections[-1], line)

    def _heading(self, line: str) -> tuple[SectionKind, str, str] | None:
        first = line[0]
        named = _named_heading(line) if first in "CcMmĐđ" else None
        if named is not None or SectionKind.article not in self.opened:
            return named  # clauses and points only count inside an article
        if first.isdigit():
            return self._clause(line)
        if first in POINT_LETTERS and ")" in line[1:3]:
            return self._point(line)
        return None

    def _clause(self, line: str) -> tuple[SectionKind, str, str] | None:
        found = _CLAUSE.match(line)
        if found is None or int(found[1]) != self.last_clause + 1:
            return None
        return SectionKind.clause, str(int(found[1])), found[2]

    def _point(self, line: str) -> tuple[SectionKind, str, str] | None:
        found = _POINT.match(line)
        if found is None or not _follows(self.last_point, POINT_LETTERS.index(found[1])):
            return None
        return SectionKind.point, found[1], found[2]

    def _start(self, kind: SectionKind, number: str, rest: str, page: int) -> None:
        if len(self.sections) >= MAX_SECTIONS:
            self.done = True
            return
        depth = LEVELS.index(kind)
        parent = next((self.opened[k] for k in reversed(LEVELS[:depth]) if k in self.opened), None)
        for deeper in LEVELS[depth:]:
            self.opened.pop(deeper, None)
        self._count(kind, number)
        self.opened[kind] = len(self.sections)
        draft = _Draft(kind, number, parent, page)
        if kind in (SectionKind.clause, SectionKind.point):
            draft.title_open = False
            if rest:
                draft.add_words(rest)
        elif rest:
            draft.title.append(rest)
        self.sections.append(draft)

    def _count(self, kind: SectionKind, number: str) -> None:
        if kind == SectionKind.point:
            self.last_point = POINT_LETTERS.index(number)
            return
        self.last_point = -1  # points are lettered afresh in each clause or article
        if kind == SectionKind.clause:
            self.last_clause = int(number)
        else:
            self.last_clause = 0


def _follows(last: int, letter: int) -> bool:
    """The next letter; or the one after "đ", which some drafts skip (d, e)."""
    return letter == last + 1 or (letter == last + 2 and POINT_LETTERS[last + 1] == "đ")


def _named_heading(line: str) -> tuple[SectionKind, str, str] | None:
    """A chapter, part or article heading; "Chương II của Luật này" is a broken sentence."""
    kind, pattern = _NAMED[line[0].lower()]
    found = pattern.match(line)
    if found is None or found[2][:1].islower():
        return None
    return kind, found[1], found[2]


def _continue(draft: _Draft, line: str) -> None:
    """A line that opens nothing: more of the heading, or more of the section's words."""
    if draft.title_open and _continues_title(draft, line):
        draft.title.append(line)
        return
    draft.title_open = False
    draft.add_words(line)


def _continues_title(draft: _Draft, line: str) -> bool:
    if not draft.title:
        return True  # "Chương I" alone: its title is the next line
    if line[0].islower():
        return True  # a long heading broken in two
    # Chapter and part titles are set in capitals, their own words (rare) are not.
    return draft.kind != SectionKind.article and line.isupper()


def parse_structure(pages: list[str], *, paged: bool = True) -> list[Section]:
    """The sections of a draft from its page texts (page 1 first); [] when it has no
    article. `paged=False` for a text without pages (a DOCX): no section gets a page."""
    reader = _Reader()
    for number, lines in enumerate(_clean_pages(pages), start=1):
        for line in lines:
            reader.feed(line, number)
            if reader.done:
                break
        if reader.done:
            break
    if not any(d.kind == SectionKind.article for d in reader.sections):
        return []
    return [_section(position, d, paged) for position, d in enumerate(reader.sections)]


def _section(position: int, draft: _Draft, paged: bool) -> Section:
    return Section(
        position=position,
        parent_position=draft.parent,
        kind=draft.kind,
        number=draft.number,
        label=f"{LABELS[draft.kind]} {draft.number}",
        title=" ".join(draft.title)[:TITLE_MAX],
        text=" ".join(draft.words)[:SECTION_TEXT_MAX],
        page=draft.page if paged else None,
    )


def _clean_pages(pages: list[str]) -> list[list[str]]:
    """Each page's non-empty lines, NFC, spaces collapsed, page numbers and running headers
    dropped; at most MAX_PAGES pages, MAX_CHARS characters and MAX_LINES lines in all."""
    cleaned: list[list[str]] = []
    chars, lines = MAX_CHARS, MAX_LINES
    for page in pages[:MAX_PAGES]:
        raw = unicodedata.normalize("NFC", page[:chars]).splitlines()[:lines]
        chars -= len(page)
        lines -= len(raw)
        tidy = (" ".join(line.split()) for line in raw)
        cleaned.append([line for line in tidy if line and not _page_mark(line)])
        if chars <= 0 or lines <= 0:
            break
    return _drop_running_lines(cleaned)


def _page_mark(line: str) -> bool:
    return line[0] in _MARK_START and _PAGE_MARK.fullmatch(line) is not None


def _drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Without the first and last lines that most pages share (a header, a footer)."""
    edges = Counter(line for lines in pages for line in set(lines[:1] + lines[-1:]))
    running = {line for line, n in edges.items() if n >= 3 and 2 * n > len(pages)}
    if not running:
        return pages
    return [_trim(lines, running) for lines in pages]


def _trim(lines: list[str], running: set[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and lines[start] in running:
        start += 1
    while end > start and lines[end - 1] in running:
        end -= 1
    return lines[start:end]


# Reading a version's text


def docx_paragraphs(data: bytes) -> list[str]:
    """The paragraph texts of a DOCX, in order, within MAX_CHARS; DraftTextError when the
    file cannot be read."""
    from docx import Document as Docx

    try:
        paragraphs = Docx(io.BytesIO(data)).paragraphs
    except Exception as error:  # noqa: BLE001 - any damage means "no text to split"
        raise DraftTextError(NO_TEXT) from error
    texts: list[str] = []
    total = 0
    for paragraph in paragraphs:
        if total >= MAX_CHARS:
            break
        texts.append(paragraph.text)
        total += len(paragraph.text) + 1
    return texts


def pages_of(session: Session, version: DocumentVersion, *, store: BlobStore) -> list[str]:
    """The version's page texts: those Hop extracted (read now when never extracted), or a
    DOCX's paragraphs as one page; DraftTextError when it has no text (a scan, an image)."""
    return _text_of(session, version, store)[0]


def _text_of(
    session: Session, version: DocumentVersion, store: BlobStore
) -> tuple[list[str], bool]:
    """The pages, and whether they are real pages (False for a DOCX's paragraphs)."""
    if version.media_type == DOCX:
        data = store.path_for(version.blob_sha256).read_bytes()
        return ["\n".join(docx_paragraphs(data))], False
    pages = _stored_pages(session, version)
    if pages is None and version.media_type == doctext.PDF:
        path = store.path_for(version.blob_sha256)
        extracted = doctext.extract_pages(path, doctext.PDF)
        pages = extracted.pages if extracted.status == TextStatus.indexed else []
    if not pages or not any(page.strip() for page in pages):
        raise DraftTextError(NO_TEXT)
    return pages, True


def _stored_pages(session: Session, version: DocumentVersion) -> list[str] | None:
    """The pages extracted for the search ("" for a page without text), [] when the version
    had no text, None when it was never read."""
    record = session.get(DocumentText, version.id)
    if record is None:
        return None
    if record.status != TextStatus.indexed:
        return []
    pages = [""] * record.pages
    for stored in doctext.page_texts(session, version):
        if 1 <= stored.page <= record.pages:
            pages[stored.page - 1] = stored.text
    return pages


def propose_structure(
    session: Session, version: DocumentVersion, *, store: BlobStore
) -> list[Section]:
    """The structure Hop proposes for a draft; DraftTextError when no article is found."""
    pages, paged = _text_of(session, version, store)
    sections = parse_structure(pages, paged=paged)
    if not sections:
        raise DraftTextError(NO_ARTICLE)
    return sections


# Storing


def save_structure(
    session: Session, version_id: int, sections: list[Section]
) -> list[DraftSection]:
    """Replace the version's structure with these sections, once they hold together
    (DraftStructureError naming the first wrong position). The caller commits."""
    _validate(sections)
    session.exec(delete(DraftSection).where(col(DraftSection.version_id) == version_id))
    rows = [_row(version_id, section) for section in sections]
    session.add_all(rows)
    session.flush()
    return rows


def _row(version_id: int, section: Section) -> DraftSection:
    return DraftSection(
        version_id=version_id,
        position=section.position,
        parent_position=section.parent_position,
        kind=SectionKind(section.kind),
        number=section.number,
        label=section.label,
        title=section.title,
        text=section.text,
        page=section.page,
    )


def _validate(sections: list[Section]) -> None:
    if len(sections) > MAX_SECTIONS:
        raise DraftStructureError(f"A draft has at most {MAX_SECTIONS} sections", field="sections")
    kinds: list[SectionKind] = []
    for index, section in enumerate(sections):
        problem = _problem(index, section, kinds)
        if problem:
            raise DraftStructureError(f"Section {index}: {problem}", field="sections")
        kinds.append(SectionKind(section.kind))


def _problem(index: int, section: Section, kinds: list[SectionKind]) -> str | None:
    """What is wrong with the section at this index, given the kinds before it; None if
    nothing."""
    if section.position != index:
        return f"its position is {section.position}: positions go 0, 1, 2 ... in order"
    if section.kind not in CONTAINERS:
        return f"{section.kind!r} is not a kind of section"
    parent = section.parent_position
    if parent is not None and not 0 <= parent < index:
        return f"its parent {parent} is not a section before it"
    outer = None if parent is None else kinds[parent]
    if outer not in CONTAINERS[SectionKind(section.kind)]:
        return f"a {section.kind} cannot sit in {'the top level' if outer is None else outer}"
    return _length_problem(section)


def _length_problem(section: Section) -> str | None:
    for name, value, limit in (
        ("number", section.number, NUMBER_MAX),
        ("label", section.label, LABEL_MAX),
        ("title", section.title, TITLE_MAX),
        ("text", section.text, SECTION_TEXT_MAX),
    ):
        if len(value) > limit:
            return f"its {name} is longer than {limit} characters"
    if section.page is not None and section.page < 1:
        return "its page must be 1 or more"
    return None


def reparent(sections: Sequence[Section]) -> list[Section]:
    """The sections renumbered 0, 1, 2 ... with each one's parent the nearest earlier section
    of a kind that can contain it (None when there is none: the top level)."""
    done: list[Section] = []
    for index, section in enumerate(sections):
        fits = CONTAINERS.get(SectionKind(section.kind), set())
        parent = next((s.position for s in reversed(done) if s.kind in fits), None)
        done.append(replace(section, position=index, parent_position=parent))
    return done


def load_structure(session: Session, version_id: int) -> list[Section]:
    """The version's saved structure in reading order ([] when none was saved)."""
    query = select(DraftSection).where(DraftSection.version_id == version_id)
    return structure_of_rows(session.exec(query.order_by(col(DraftSection.position))).all())


def structure_of_rows(rows: Sequence[DraftSection]) -> list[Section]:
    """The plain sections of stored rows, in the rows' order."""
    return [
        Section(
            position=row.position,
            parent_position=row.parent_position,
            kind=SectionKind(row.kind),
            number=row.number,
            label=row.label,
            title=row.title,
            text=row.text,
            page=row.page,
        )
        for row in rows
    ]


def section_path(sections: list[Section], position: int) -> str:
    """Where a section sits, as a report names it: "Điều 3, khoản 2, điểm a"; a chapter or
    part from its chapter: "Chương I, mục 2"."""
    by_position = {section.position: section for section in sections}
    chain: list[Section] = []
    current = by_position.get(position)
    if current is None:
        raise DraftStructureError(f"No section at position {position}", field="position")
    while current is not None and len(chain) <= len(LEVELS):
        chain.append(current)
        if current.kind == SectionKind.article:
            break  # articles are numbered through the draft: the chapter adds nothing
        parent = current.parent_position
        current = None if parent is None else by_position.get(parent)
    labels = [section.label for section in reversed(chain)]
    return ", ".join([labels[0], *(label[:1].lower() + label[1:] for label in labels[1:])])
