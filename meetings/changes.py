"""What changed between two versions of a document, from the text extracted once per version
(meetings.doctext), and which version a person read before the current one.

The text is compared line by line across the whole document, each line remembering its page,
so that a paragraph pushed to the next page is not a change; the changes are gathered by the
page of the newer version where they are (removals by where they would have been, with their
page in the older version), and within changed lines the words that differ are marked.
The work is bounded: beyond MAX_LINES lines a version is "too long to compare".
"""

import difflib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from sqlmodel import Session, col, select

from meetings import doctext
from meetings import documents as docs
from meetings.errors import InvalidDataError
from models import Document, DocumentText, DocumentVersion, Person, ReadReceipt, TextStatus

MAX_LINES = 20_000  # per version: about 400 pages of text
MAX_WORD_DIFF = 1_500  # words on either side of one change, beyond which lines are not split
CONTEXT = 1  # unchanged lines shown around a change
_SPACES = re.compile(r"\s+")

SegmentKind = Literal["same", "del", "ins"]


class DiffState(StrEnum):
    compared = "compared"
    same = "same"  # the texts are equal (pictures or layout may still differ)
    not_read_yet = "not_read_yet"  # a version's text is still being extracted
    no_text = "no_text"  # a version is no PDF and has no PDF rendering: nothing to compare
    unreadable = "unreadable"  # a version's PDF could not be read
    too_long = "too_long"


@dataclass(frozen=True)
class Segment:
    """A run of words: unchanged, removed or added."""

    kind: SegmentKind
    text: str


@dataclass(frozen=True)
class Line:
    """A line of a version's text and the page it is on."""

    text: str
    page: int


@dataclass
class Hunk:
    """One change with a little unchanged text around it, as runs of words."""

    new_page: int  # where it is (or would be, for a removal) in the newer version
    old_page: int | None  # where the removed or replaced text was in the older version
    segments: list[Segment] = field(default_factory=list)

    @property
    def removal(self) -> bool:
        return all(s.kind != "ins" for s in self.segments)


@dataclass
class PageChanges:
    """The changes that fall on one page of the newer version."""

    page: int
    hunks: list[Hunk] = field(default_factory=list)


@dataclass
class VersionDiff:
    """The comparison of two versions; pages hold changes only when the state is compared.
    `lacking` names the version (old or new) whose text is missing, when one is."""

    old: int
    new: int
    state: DiffState
    pages: list[PageChanges] = field(default_factory=list)
    lacking: int | None = None


def read_before(*, session: Session, document: Document, reader: Person) -> int | None:
    """The newest version the reader opened, when it is older than the current one; None when
    they never opened the document or already opened the current version."""
    query = (
        select(DocumentVersion.number)
        .join(ReadReceipt, col(ReadReceipt.version_id) == DocumentVersion.id)
        .where(ReadReceipt.person_id == reader.id, DocumentVersion.document_id == document.id)
    )
    numbers = set(session.exec(query))
    if not numbers or document.current_version in numbers:
        return None
    return max(numbers)


def version_diff(*, session: Session, document: Document, old: int, new: int) -> VersionDiff:
    """What changed from version `old` to version `new` of the document, by page."""
    if old >= new:
        raise InvalidDataError(
            "Compare an older version with a newer one: from must be less than to", field="from"
        )
    older = docs.get_version(session=session, document=document, number=old)
    newer = docs.get_version(session=session, document=document, number=new)
    lines: list[list[Line]] = []
    for version in (older, newer):
        state = _text_state(session, version)
        if state is not None:
            return VersionDiff(old, new, state, lacking=version.number)
        lines.append(_lines(session, version))
    if max(len(lines[0]), len(lines[1])) > MAX_LINES:
        return VersionDiff(old, new, DiffState.too_long)
    pages = compare(lines[0], lines[1])
    return VersionDiff(old, new, DiffState.compared if pages else DiffState.same, pages)


def _text_state(session: Session, version: DocumentVersion) -> DiffState | None:
    """Why the version's text cannot be compared, or None when it can."""
    text = session.get(DocumentText, version.id)
    if text is None:
        return DiffState.not_read_yet
    if text.status == TextStatus.no_text:
        return DiffState.no_text
    if text.status == TextStatus.failed:
        return DiffState.unreadable
    return None


def _lines(session: Session, version: DocumentVersion) -> list[Line]:
    """The version's non-blank lines in order, each with its page, spaces made single."""
    found: list[Line] = []
    for page in doctext.page_texts(session, version):
        for raw in page.text.splitlines():
            text = _SPACES.sub(" ", raw).strip()
            if text:
                found.append(Line(text, page.page))
            if len(found) > MAX_LINES:
                return found
    return found


def compare(old: list[Line], new: list[Line]) -> list[PageChanges]:
    """The changes from the old lines to the new ones, gathered by the new page."""
    matcher = difflib.SequenceMatcher(
        None, [line.text for line in old], [line.text for line in new], autojunk=False
    )
    by_page: dict[int, PageChanges] = {}
    for group in matcher.get_grouped_opcodes(CONTEXT):
        for hunk in _hunks(group, old, new):
            by_page.setdefault(hunk.new_page, PageChanges(hunk.new_page)).hunks.append(hunk)
    return [by_page[page] for page in sorted(by_page)]


Opcode = tuple[str, int, int, int, int]


def _hunks(group: list[Opcode], old: list[Line], new: list[Line]) -> list[Hunk]:
    """A group of nearby changes as hunks, one for each page of the newer version they fall
    on; the unchanged lines around them go with the hunk of their own page, if any."""
    hunks: list[Hunk] = []
    waiting: list[Line] = []  # unchanged lines for the next hunk (on another page)
    for tag, a1, a2, b1, b2 in _by_page(group, new):
        if tag == "equal":
            here = hunks[-1].new_page if hunks else None
            kept = [line for line in new[b1:b2] if line.page == here]
            if kept:
                hunks[-1].segments.append(Segment("same", _joined(kept)))
            waiting += [line for line in new[b1:b2] if line.page != here]
            continue
        page = _new_page(new, b1, b2)
        if not hunks or hunks[-1].new_page != page:
            hunks.append(Hunk(new_page=page, old_page=old[a1].page if a2 > a1 else None))
        before = [line for line in waiting if line.page == page]  # context on its own page
        if before:
            hunks[-1].segments.append(Segment("same", _joined(before)))
        waiting = []
        hunks[-1].segments.extend(_changed(tag, old[a1:a2], new[b1:b2]))
    return hunks


def _by_page(group: list[Opcode], new: list[Line]) -> list[Opcode]:
    """The group with each replacement that runs over a page break of the newer version, line
    for line (the same number of lines on both sides), split into one per line: each then
    shows on its own page."""
    split: list[Opcode] = []
    for tag, a1, a2, b1, b2 in group:
        pages = {line.page for line in new[b1:b2]}
        if tag == "replace" and len(pages) > 1 and a2 - a1 == b2 - b1:
            split += [(tag, a1 + k, a1 + k + 1, b1 + k, b1 + k + 1) for k in range(b2 - b1)]
        else:
            split.append((tag, a1, a2, b1, b2))
    return split


def _changed(tag: str, removed: list[Line], added: list[Line]) -> list[Segment]:
    if tag == "replace":
        return word_diff(_joined(removed), _joined(added))
    if tag == "delete":
        return [Segment("del", _joined(removed))]
    return [Segment("ins", _joined(added))]


def _joined(lines: list[Line]) -> str:
    return " ".join(line.text for line in lines)


def _new_page(new: list[Line], start: int, end: int) -> int:
    """The new page of a change: its first added line's, or for a removal the page of the
    line it followed (else of the first line)."""
    if start < end:
        return new[start].page
    if not new:
        return 1
    return new[start - 1].page if start > 0 else new[0].page


def word_diff(removed: str, added: str) -> list[Segment]:
    """Replaced text as runs of unchanged, removed and added words; too long a text is
    shown removed and added whole."""
    before, after = removed.split(" "), added.split(" ")
    if max(len(before), len(after)) > MAX_WORD_DIFF:
        return [Segment("del", removed), Segment("ins", added)]
    segments: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(Segment("same", " ".join(after[b1:b2])))
            continue
        if a2 > a1:
            segments.append(Segment("del", " ".join(before[a1:a2])))
        if b2 > b1:
            segments.append(Segment("ins", " ".join(after[b1:b2])))
    return segments


def parse_version(value: str | None, *, name: str) -> int | None:
    """A version number given in a link (?from=, ?to=), or None when not given."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9 or int(text) < 1:
        raise InvalidDataError("A version is given by its number, such as 1 or 2", field=name)
    return int(text)


def default_range(
    *, session: Session, document: Document, reader: Person, old: int | None, new: int | None
) -> tuple[int, int] | None:
    """The versions to compare when the link names them or not: to the current version, from
    the one the reader read before, else the one before; None when there is only one."""
    newer = new or document.current_version
    older = old or read_before(session=session, document=document, reader=reader) or newer - 1
    if old is None and older >= newer:
        older = newer - 1
    if older < 1 and old is None:
        return None
    return older, newer
