"""Delegates' notes: stored once per client_id, never seen by another delegate, shared with the
managers only when flagged, carried to each new version by their quote, and bad input refused
with nothing stored."""

import io
from pathlib import Path
from typing import Any

import pytest
from docx import Document as WordDocument
from pydantic import ValidationError
from pypdf import PdfReader
from sqlmodel import Session, func, select

from core.errors import HopError
from meetings import notes as service
from meetings import notes_export
from meetings.documents import Uploads
from meetings.errors import DocumentNotFoundError, InvalidDataError, NotAllowedError
from meetings.notes import ClientIdTakenError, NoteCreate, NoteNotFoundError, NoteUpdate
from models import AnchorState, Document, Meeting, Note, NoteKind, Person, Role
from tests.factories import invite, make_user
from tests.meetings.search_support import add_pdf, new_version, uploads_in
from web.pages.notes import EXPORT_WORDS

STREET = "Kế hoạch chỉnh trang hè phố năm 2027"
BUDGET = "Tổng kinh phí dự kiến là 12 tỷ đồng"
PLAN = "Điều 3. Lộ trình thực hiện trong hai năm"


@pytest.fixture
def uploads(tmp_path: Path) -> Uploads:
    return uploads_in(tmp_path / "files")


@pytest.fixture
def delegate(session: Session, meeting: Meeting) -> Person:
    person = make_user(session, role=Role.delegate, full_name="Lê Văn Đại Biểu")
    invite(session, meeting, person)
    return person


@pytest.fixture
def neighbour(session: Session, meeting: Meeting) -> Person:
    person = make_user(session, role=Role.delegate)
    invite(session, meeting, person)
    return person


@pytest.fixture
def paper(session: Session, uploads: Uploads, meeting: Meeting, clerk: Person) -> Document:
    return add_pdf(session, uploads, meeting, clerk, f"{STREET}\n{BUDGET}", PLAN, title="Tờ trình")


def take(
    session: Session, document: Document, person: Person, client_id: str = "c1", **fields: Any
) -> Note:
    data: dict[str, Any] = {
        "client_id": client_id,
        "version": 1,
        "page": 1,
        "kind": "highlight",
        "quote": {"exact": "hè phố", "prefix": "chỉnh trang ", "suffix": " năm 2027"},
        "body": "Cần làm rõ phạm vi",
    } | fields
    assert document.id is not None
    note, _ = service.create_note(
        session=session, document_id=document.id, person=person, data=NoteCreate(**data)
    )
    return note


def notes_of(session: Session, document: Document, person: Person) -> list[Note]:
    assert document.id is not None
    return service.list_notes(session=session, document_id=document.id, person=person)


def stored(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Note)).one()


def test_a_note_is_stored_with_its_anchor(
    session: Session, paper: Document, delegate: Person
) -> None:
    note = take(session, paper, delegate)
    assert (note.made_on_version, note.version_number, note.page) == (1, 1, 1)
    assert (note.exact, note.prefix, note.suffix) == ("hè phố", "chỉnh trang ", " năm 2027")
    assert note.anchor == AnchorState.anchored
    assert not note.shared
    assert notes_of(session, paper, delegate) == [note]


def test_the_same_client_id_twice_is_one_note(
    session: Session, paper: Document, delegate: Person
) -> None:
    first = take(session, paper, delegate, client_id="uuid-1")
    assert paper.id is not None
    again, created = service.create_note(
        session=session,
        document_id=paper.id,
        person=delegate,
        data=NoteCreate(client_id="uuid-1", version=1, page=2, kind="pin", x=0.5, y=0.5),
    )
    assert not created
    assert again.id == first.id
    assert again.kind == NoteKind.highlight  # the note kept, not the one sent again
    assert stored(session) == 1


def test_two_people_may_use_the_same_client_id(
    session: Session, paper: Document, delegate: Person, neighbour: Person
) -> None:
    take(session, paper, delegate, client_id="same")
    take(session, paper, neighbour, client_id="same")
    assert stored(session) == 2


def test_another_delegate_never_sees_a_note(
    session: Session, meeting: Meeting, paper: Document, delegate: Person, neighbour: Person
) -> None:
    note = take(session, paper, delegate, shared=True)
    assert note.id is not None
    assert notes_of(session, paper, neighbour) == []
    assert service.meeting_notes(session=session, meeting=meeting, person=neighbour) == []
    with pytest.raises(NoteNotFoundError):
        service.update_note(session=session, note_id=note.id, person=neighbour, data=NoteUpdate())
    with pytest.raises(NoteNotFoundError):
        service.delete_note(session=session, note_id=note.id, person=neighbour)
    with pytest.raises(NotAllowedError):
        service.shared_notes(session=session, meeting=meeting, viewer=neighbour)
    assert notes_of(session, paper, delegate) == [note]


def test_shared_notes_reach_the_managers_only(
    session: Session,
    meeting: Meeting,
    paper: Document,
    clerk: Person,
    delegate: Person,
    neighbour: Person,
) -> None:
    take(session, paper, delegate, client_id="private")
    shared = take(session, paper, neighbour, client_id="question", shared=True)
    found = service.shared_notes(session=session, meeting=meeting, viewer=clerk)
    assert [(item.note.id, item.author.id, item.document.id) for item in found] == [
        (shared.id, neighbour.id, paper.id)
    ]
    with pytest.raises(NotAllowedError):
        service.shared_notes(session=session, meeting=meeting, viewer=delegate)
    # The clerk's own notes are the clerk's: another person's private note is not among them.
    assert service.meeting_notes(session=session, meeting=meeting, person=clerk) == []


def test_a_person_who_may_not_see_the_document_gets_not_found(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person, delegate: Person
) -> None:
    draft = add_pdf(session, uploads, meeting, clerk, STREET, publish=False)
    stranger = make_user(session, role=Role.delegate)
    with pytest.raises(DocumentNotFoundError):
        take(session, draft, delegate)
    with pytest.raises(DocumentNotFoundError):
        notes_of(session, draft, stranger)
    assert stored(session) == 0


def test_update_and_delete_one_own_note(
    session: Session, paper: Document, delegate: Person
) -> None:
    note = take(session, paper, delegate)
    assert note.id is not None
    before = note.updated_at
    changed = service.update_note(
        session=session, note_id=note.id, person=delegate, data=NoteUpdate(shared=True)
    )
    assert (changed.body, changed.shared) == ("Cần làm rõ phạm vi", True)
    assert changed.updated_at >= before
    service.delete_note(session=session, note_id=note.id, person=delegate)
    assert stored(session) == 0


def test_a_new_version_carries_the_notes_by_their_quotes(
    session: Session, uploads: Uploads, paper: Document, clerk: Person, delegate: Person
) -> None:
    moved = take(session, paper, delegate, client_id="moved")
    edited = take(session, paper, delegate, client_id="edited", quote={"exact": "12 tỷ đồng"})
    deleted = take(session, paper, delegate, client_id="deleted", page=2, quote={"exact": PLAN})
    pin = take(
        session, paper, delegate, client_id="pin", kind="pin", page=2, x=0.2, y=0.9, quote={}
    )
    new_version(session, uploads, paper, clerk, "Trang bìa", BUDGET.replace("12", "15"), STREET)
    carried = {note.client_id: note for note in notes_of(session, paper, delegate)}
    assert carried.keys() == {"moved", "edited", "deleted", "pin"}
    placed = {key: (n.version_number, n.page, n.anchor) for key, n in carried.items()}
    assert placed == {
        "moved": (2, 3, AnchorState.anchored),
        "edited": (2, 1, AnchorState.changed),
        "deleted": (2, 2, AnchorState.changed),
        "pin": (2, 2, AnchorState.anchored),
    }
    assert carried["edited"].exact == "12 tỷ đồng"  # the old quote is kept
    assert carried["deleted"].exact == PLAN
    assert all(note.made_on_version == 1 for note in (moved, edited, deleted, pin))


def test_notes_wait_for_the_text_of_the_new_version(
    session: Session, uploads: Uploads, paper: Document, clerk: Person, delegate: Person
) -> None:
    from meetings import documents as docs
    from tests.meetings.search_support import index_current, pdf_pages

    take(session, paper, delegate)
    docs.add_version(
        session=session,
        uploads=uploads,
        document=paper,
        source=io.BytesIO(pdf_pages(BUDGET, STREET)),
        filename="v2.pdf",
        uploader=clerk,
    )
    assert service.carry_notes(session, paper) == 0
    assert [n.version_number for n in notes_of(session, paper, delegate)] == [1]
    index_current(session, uploads, paper)
    assert service.carry_notes(session, paper) == 1
    assert service.carry_notes(session, paper) == 0  # idempotent
    assert [(n.version_number, n.page) for n in notes_of(session, paper, delegate)] == [(2, 2)]


def test_a_changed_note_moves_only_when_found_again_and_keeps_its_mark(
    session: Session, uploads: Uploads, paper: Document, clerk: Person, delegate: Person
) -> None:
    take(session, paper, delegate)
    new_version(session, uploads, paper, clerk, BUDGET)
    [note] = notes_of(session, paper, delegate)
    assert (note.version_number, note.anchor) == (2, AnchorState.changed)
    new_version(session, uploads, paper, clerk, PLAN)
    [note] = notes_of(session, paper, delegate)
    assert (note.version_number, note.anchor) == (2, AnchorState.changed)  # still missing
    new_version(session, uploads, paper, clerk, PLAN, STREET)
    [note] = notes_of(session, paper, delegate)
    assert (note.version_number, note.page, note.anchor) == (4, 2, AnchorState.changed)


def test_a_note_on_an_earlier_version_is_taken_and_carried(
    session: Session, uploads: Uploads, paper: Document, clerk: Person, delegate: Person
) -> None:
    new_version(session, uploads, paper, clerk, PLAN, STREET)
    note = take(session, paper, delegate)  # a tablet still showing version 1 (offline)
    assert note.version_number == 1
    [carried] = notes_of(session, paper, delegate)
    assert (carried.made_on_version, carried.version_number, carried.page) == (1, 2, 2)


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"version": 2}, InvalidDataError, "version"),
        ({"page": 3}, InvalidDataError, "page"),
        ({"quote": {"exact": "  "}}, InvalidDataError, "quote"),
        ({"kind": "pin", "quote": {}, "x": 0.5}, InvalidDataError, "x"),
        ({"kind": "pin", "quote": {}, "y": 0.5}, InvalidDataError, "x"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(
    session: Session,
    paper: Document,
    delegate: Person,
    fields: dict[str, Any],
    error: type[HopError],
    field: str,
) -> None:
    with pytest.raises(error) as refused:
        take(session, paper, delegate, **fields)
    assert refused.value.field == field
    assert stored(session) == 0


def test_a_client_id_names_one_note_only(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person, delegate: Person
) -> None:
    first = add_pdf(session, uploads, meeting, clerk, STREET, title="Một")
    second = add_pdf(session, uploads, meeting, clerk, STREET, title="Hai")
    take(session, first, delegate, client_id="x")
    with pytest.raises(ClientIdTakenError):
        take(session, second, delegate, client_id="x")
    assert stored(session) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"client_id": ""},
        {"client_id": "   "},
        {"client_id": "x" * 65},
        {"page": 0},
        {"version": 0},
        {"kind": "scribble"},
        {"x": 1.5},
        {"y": -0.1},
        {"body": "x" * 10_001},
        {"body": "a\x00b"},
    ],
)
def test_the_schema_refuses_what_cannot_be_a_note(fields: dict[str, Any]) -> None:
    data = {"client_id": "c", "version": 1, "page": 1, "kind": "highlight"} | fields
    with pytest.raises(ValidationError):
        NoteCreate(**data)


def test_long_quotes_and_context_are_cut(
    session: Session, paper: Document, delegate: Person
) -> None:
    exact = "a" * 2_000 + "bcd"
    note = take(session, paper, delegate, quote={"exact": exact, "prefix": "p" * 100 + "Q"})
    assert note.exact == "a" * 2_000
    assert note.suffix == "bcd"
    assert note.prefix == "p" * 63 + "Q"
    nul = take(session, paper, delegate, client_id="nul", quote={"exact": "hè\x00 phố"})
    assert nul.exact == "hè phố"


def test_the_export_shows_each_note_in_the_readers_language(
    session: Session,
    uploads: Uploads,
    meeting: Meeting,
    paper: Document,
    clerk: Person,
    delegate: Person,
) -> None:
    take(session, paper, delegate, shared=True)
    take(session, paper, delegate, client_id="gone", page=2, quote={"exact": PLAN}, body="")
    new_version(session, uploads, paper, clerk, STREET)
    found = service.meeting_notes(session=session, meeting=meeting, person=delegate)
    sheet = notes_export.paper_of(meeting.title, delegate.full_name, found)
    vietnamese = {"Page %(page)s": "Trang %(page)s", "The text changed": "Đoạn văn đã thay đổi"}
    pdf = notes_export.notes_pdf(sheet, lambda word: vietnamese.get(word, word))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("hè phố", "Cần làm rõ phạm vi", "Đoạn văn đã thay đổi", "Trang 1", PLAN):
        assert expected in text, expected
    word = WordDocument(io.BytesIO(notes_export.notes_docx(sheet)))
    lines = [paragraph.text for paragraph in word.paragraphs]
    assert "Tờ trình" in lines
    assert any("The text changed" in line for line in lines)
    assert "“hè phố”" in lines


def test_every_export_word_is_marked_for_the_catalogues() -> None:
    assert set(notes_export.WORDS) <= set(EXPORT_WORDS)


def test_an_empty_export_says_so() -> None:
    sheet = notes_export.paper_of("Kỳ họp", "Lê Văn A", [])
    text = PdfReader(io.BytesIO(notes_export.notes_pdf(sheet))).pages[0].extract_text()
    assert notes_export.NO_NOTES in text
    control = notes_export.printable("a\x01b\x0bc\nd")
    assert control == "abc\nd"
