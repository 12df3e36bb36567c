"""A delegate's notes and highlights: taken, listed, changed, shared with the secretariat, and
carried to each new version of their document by finding their quote again.

Only the author ever sees a note; one flagged `shared` is also shown to the meeting's managers
(a question to the drafting body). A note is named by the tablet (`client_id`), so one sent
twice - an offline queue that did not hear the answer - is stored once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from core.errors import ConflictError, NotFoundError
from meetings import anchoring
from meetings.access import can_manage
from meetings.documents import get_document, get_version
from meetings.errors import InvalidDataError, NotAllowedError
from models import (
    AnchorState,
    Document,
    DocumentPageText,
    DocumentStatus,
    DocumentText,
    Meeting,
    Note,
    NoteKind,
    Person,
    TextStatus,
)
from models.base import as_utc_or_none, utcnow
from models.note import CLIENT_ID_MAX, CONTEXT_MAX, NOTE_BODY_MAX, QUOTE_MAX
from models.text import StorableText

# What a request may carry; the quote is then cut to QUOTE_MAX and its context to CONTEXT_MAX.
QUOTE_LIMIT = 100_000
CONTEXT_LIMIT = 10_000
MAX_PAGE = 100_000
MAX_VERSION = 1_000_000


class NoteNotFoundError(NotFoundError):
    pass


class ClientIdTakenError(ConflictError):
    pass


class QuoteData(SQLModel):
    """A text-quote selector: the quoted text, and the text just before and after it."""

    exact: str = Field(default="", max_length=QUOTE_LIMIT)
    prefix: str = Field(default="", max_length=CONTEXT_LIMIT)
    suffix: str = Field(default="", max_length=CONTEXT_LIMIT)

    # Text read from a PDF may hold a NUL, which no database stores and no reader shows.
    @field_validator("*", mode="before")
    @classmethod
    def _drop_nul(cls, value: object) -> object:
        return value.replace("\x00", "") if isinstance(value, str) else value


class NoteCreate(StorableText):
    client_id: str = Field(min_length=1, max_length=CLIENT_ID_MAX)
    version: int = Field(ge=1, le=MAX_VERSION)  # the version the reader shows
    page: int = Field(ge=1, le=MAX_PAGE)
    kind: NoteKind
    quote: QuoteData = Field(default_factory=QuoteData)
    x: float | None = Field(default=None, ge=0, le=1)
    y: float | None = Field(default=None, ge=0, le=1)
    body: str = Field(default="", max_length=NOTE_BODY_MAX)
    shared: bool = False

    @field_validator("client_id", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class NoteUpdate(StorableText):
    body: str | None = Field(default=None, max_length=NOTE_BODY_MAX)
    shared: bool | None = None


class NotePublic(BaseModel):
    id: int
    client_id: str
    document_id: int
    meeting_id: int
    kind: NoteKind
    made_on_version: int
    version: int
    page: int
    quote: QuoteData
    x: float | None
    y: float | None
    body: str
    shared: bool
    anchor: AnchorState
    created_at: datetime
    updated_at: datetime

    _utc_times = field_validator("created_at", "updated_at")(as_utc_or_none)

    @classmethod
    def of(cls, note: Note) -> "NotePublic":
        assert note.id is not None
        quote = QuoteData(exact=note.exact, prefix=note.prefix, suffix=note.suffix)
        return cls(
            id=note.id,
            client_id=note.client_id,
            document_id=note.document_id,
            meeting_id=note.meeting_id,
            kind=NoteKind(note.kind),
            made_on_version=note.made_on_version,
            version=note.version_number,
            page=note.page,
            quote=quote,
            x=note.x,
            y=note.y,
            body=note.body,
            shared=note.shared,
            anchor=AnchorState(note.anchor),
            created_at=note.created_at,
            updated_at=note.updated_at,
        )


class MeetingNotePublic(NotePublic):
    document_title: str


class SharedNotePublic(MeetingNotePublic):
    author_name: str


@dataclass(frozen=True)
class MeetingNote:
    """A note with the document it is on and its author."""

    note: Note
    document: Document
    author: Person


# Taking notes


def create_note(
    *, session: Session, document_id: int, person: Person, data: NoteCreate
) -> tuple[Note, bool]:
    """The person's new note on the document, or the one already sent with this client_id;
    True when this call stored it."""
    document = get_document(session=session, document_id=document_id, viewer=person)
    existing = _sent_before(session, person, data.client_id, document)
    if existing is not None:
        return existing, False
    note = _new_note(session, document, person, data)
    session.add(note)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # the same note sent twice at once: the other one is kept
        existing = _sent_before(session, person, data.client_id, document)
        if existing is None:
            raise
        return existing, False
    return note, True


def _sent_before(
    session: Session, person: Person, client_id: str, document: Document
) -> Note | None:
    query = select(Note).where(Note.person_id == person.id, Note.client_id == client_id)
    note = session.exec(query).first()
    if note is not None and note.document_id != document.id:
        raise ClientIdTakenError("This client_id already names a note on another document")
    return note


def _new_note(session: Session, document: Document, person: Person, data: NoteCreate) -> Note:
    _check_place(session, document, data)
    exact, prefix, suffix = _cut_quote(data.quote)
    if data.kind == NoteKind.highlight and not exact.strip():
        raise InvalidDataError("A highlight needs the text it marks", field="quote")
    is_pin = data.kind == NoteKind.pin
    if is_pin and (data.x is None or data.y is None):
        raise InvalidDataError("A pinned note needs its point on the page (x and y)", field="x")
    assert person.id is not None
    assert document.id is not None
    return Note(
        client_id=data.client_id,
        person_id=person.id,
        meeting_id=document.meeting_id,
        document_id=document.id,
        kind=data.kind,
        made_on_version=data.version,
        version_number=data.version,
        page=data.page,
        exact=exact,
        prefix=prefix,
        suffix=suffix,
        x=data.x if is_pin else None,
        y=data.y if is_pin else None,
        body=data.body,
        shared=data.shared,
    )


def _check_place(session: Session, document: Document, data: NoteCreate) -> None:
    """The version is the document's current one or an earlier one, and the page is in it
    when its page count is known."""
    if data.version > document.current_version:
        raise InvalidDataError(
            f"Document {document.id} has no version {data.version}", field="version"
        )
    version = get_version(session=session, document=document, number=data.version)
    read = session.get(DocumentText, version.id)
    known = read is not None and read.status == TextStatus.indexed and not read.truncated
    if known and read is not None and data.page > max(read.pages, 1):
        raise InvalidDataError(
            f"Page {data.page} is beyond the last page of the document ({read.pages})",
            field="page",
        )


def _cut_quote(quote: QuoteData) -> tuple[str, str, str]:
    """The quote within QUOTE_MAX (what follows the cut becomes the suffix) and its context
    within CONTEXT_MAX characters next to it."""
    exact, suffix = quote.exact, quote.suffix
    if len(exact) > QUOTE_MAX:
        exact, suffix = exact[:QUOTE_MAX], exact[QUOTE_MAX:] + suffix
    return exact, quote.prefix[-CONTEXT_MAX:], suffix[:CONTEXT_MAX]


# Reading and changing one's notes


def list_notes(*, session: Session, document_id: int, person: Person) -> list[Note]:
    """The person's notes on the document, carried to its current version first."""
    document = get_document(session=session, document_id=document_id, viewer=person)
    carry_notes(session, document)
    query = select(Note).where(Note.document_id == document.id, Note.person_id == person.id)
    return list(session.exec(query.order_by(col(Note.page), col(Note.id))))


def get_own_note(*, session: Session, note_id: int, person: Person) -> Note:
    """One of the person's notes on a document they may still see; others' are not found."""
    note = session.get(Note, note_id)
    if note is None or note.person_id != person.id:
        raise NoteNotFoundError(f"Note {note_id} not found")
    get_document(session=session, document_id=note.document_id, viewer=person)
    return note


def update_note(*, session: Session, note_id: int, person: Person, data: NoteUpdate) -> Note:
    """Change a note's comment or whether it is shared with the secretariat."""
    note = get_own_note(session=session, note_id=note_id, person=person)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if changes:
        note.sqlmodel_update(changes)
        note.updated_at = utcnow()
        session.add(note)
        session.commit()
    return note


def delete_note(*, session: Session, note_id: int, person: Person) -> None:
    """Remove one of the person's notes."""
    note = get_own_note(session=session, note_id=note_id, person=person)
    session.delete(note)
    session.commit()


def meeting_notes(*, session: Session, meeting: Meeting, person: Person) -> list[MeetingNote]:
    """The person's notes on the meeting's documents they may see, document by document."""
    documents = _documents(
        session, meeting, drafts=can_manage(session, meeting=meeting, viewer=person)
    )
    query = select(Note).where(Note.meeting_id == meeting.id, Note.person_id == person.id)
    return _gathered(session, documents, query, {person.id or 0: person})


def shared_notes(*, session: Session, meeting: Meeting, viewer: Person) -> list[MeetingNote]:
    """Every note shared with the meeting's managers, with its author (managers only)."""
    if not can_manage(session, meeting=meeting, viewer=viewer):
        raise NotAllowedError("Only the secretariat or the meeting's chair may read shared notes")
    query = select(Note).where(Note.meeting_id == meeting.id, col(Note.shared).is_(True))
    author_ids = {note.person_id for note in session.exec(query)}
    authors = session.exec(select(Person).where(col(Person.id).in_(author_ids))).all()
    documents = _documents(session, meeting, drafts=True)
    return _gathered(session, documents, query, {a.id or 0: a for a in authors})


def _documents(session: Session, meeting: Meeting, *, drafts: bool) -> list[Document]:
    query = select(Document).where(Document.meeting_id == meeting.id)
    if not drafts:
        query = query.where(Document.status == DocumentStatus.published)
    return list(session.exec(query.order_by(col(Document.created_at), col(Document.id))))


def _gathered(
    session: Session,
    documents: Sequence[Document],
    query: SelectOfScalar[Note],
    authors: dict[int, Person],
) -> list[MeetingNote]:
    """The notes of the query on these documents, carried first, by document then page."""
    by_id = {document.id: document for document in documents}
    order = {document.id: index for index, document in enumerate(documents)}
    noted = {note.document_id for note in session.exec(query)}
    for document in documents:
        if document.id in noted:
            carry_notes(session, document)
    notes = [n for n in session.exec(query) if n.document_id in by_id and n.person_id in authors]
    notes.sort(key=lambda note: (order[note.document_id], note.page, note.id or 0))
    return [MeetingNote(n, by_id[n.document_id], authors[n.person_id]) for n in notes]


# Carrying notes to a new version


def carry_notes(session: Session, document: Document) -> int:
    """Carry the document's notes taken on earlier versions to its current one, by finding
    their quotes again; a quote that is not found makes its note "changed" (its old quote is
    kept). Nothing happens before the current version's text is extracted. Idempotent; the
    number of notes moved."""
    query = select(Note).where(
        Note.document_id == document.id, Note.version_number < document.current_version
    )
    behind = list(session.exec(query))
    if not behind:
        return 0
    text = _current_text(session, document)
    if text is None:
        return 0  # the text is extracted in the background; the next reading carries them
    moved = sum(_carry(note, text, document.current_version) for note in behind)
    if moved:
        session.commit()
    return moved


def _current_text(session: Session, document: Document) -> anchoring.VersionText | None:
    """The current version's pages, or None while they are not read yet. A version without
    text (an Office file, a scan) has no page: a quote cannot be found there."""
    version = get_version(session=session, document=document)
    read = session.get(DocumentText, version.id)
    if read is None:
        return None
    pages = [""] * read.pages if read.status == TextStatus.indexed else []
    query = select(DocumentPageText).where(DocumentPageText.version_id == version.id)
    for row in session.exec(query):
        if 1 <= row.page <= len(pages):
            pages[row.page - 1] = row.text
    return anchoring.VersionText(pages)


def _carry(note: Note, text: anchoring.VersionText, current: int) -> bool:
    quote = anchoring.Quote(note.exact, note.prefix, note.suffix)
    if text.page_count == 0:  # no page count to clamp to: keep the page
        found = not anchoring.strict_form(note.exact)
        placement = anchoring.Placement(note.page, found)
    else:
        placement = anchoring.reanchor(quote, note.page, text)
    was_changed = note.anchor == AnchorState.changed
    if was_changed and not placement.found:
        return False  # it stays where its text was last missed
    note.version_number, note.page = current, placement.page
    # A note once changed keeps the mark when found again: its text did change on the way.
    kept = placement.found and not was_changed
    note.anchor = AnchorState.anchored if kept else AnchorState.changed
    return True
