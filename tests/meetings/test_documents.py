"""Document rules through the services: versions, visibility, read marks, and that a failed
upload leaves neither a row nor a file behind."""

import io
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, func, select

from meetings import documents
from meetings.documents import Uploads
from meetings.errors import DocumentNotFoundError, InvalidDataError
from meetings.storage import BlobStore
from models import Blob, Document, DocumentVersion, Meeting, Person, ReadReceipt
from tests.factories import invite, make_user, pdf_bytes, stored_files


@pytest.fixture
def uploads(tmp_path: Path) -> Uploads:
    store = BlobStore(tmp_path / "store")
    return Uploads(store, max_bytes=1024 * 1024, allowed_types=["application/pdf"])


def add(
    session: Session, uploads: Uploads, meeting: Meeting, uploader: Person, content: bytes
) -> Document:
    return documents.add_document(
        session=session,
        uploads=uploads,
        meeting=meeting,
        title="Tờ trình",
        source=io.BytesIO(content),
        filename="a.pdf",
        uploader=uploader,
    )


def add_version(session: Session, uploads: Uploads, document: Document, content: bytes) -> None:
    uploader = session.get(Person, document.created_by)
    assert uploader is not None
    documents.add_version(
        session=session,
        uploads=uploads,
        document=document,
        source=io.BytesIO(content),
        filename="b.pdf",
        uploader=uploader,
    )


def count(session: Session, table: type[SQLModel]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def counts(session: Session) -> tuple[int, int, int]:
    return count(session, Document), count(session, DocumentVersion), count(session, Blob)


def fail_next_commit(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_commit() -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(session, "commit", broken_commit)


def test_a_failed_commit_removes_the_new_file(
    session: Session,
    uploads: Uploads,
    meeting: Meeting,
    clerk: Person,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fail_next_commit(session, monkeypatch)
    with pytest.raises(RuntimeError):
        add(session, uploads, meeting, clerk, pdf_bytes())
    monkeypatch.undo()
    assert counts(session) == (0, 0, 0)
    assert stored_files(uploads.store.root) == []


def test_a_failed_commit_keeps_a_file_another_version_uses(
    session: Session,
    uploads: Uploads,
    meeting: Meeting,
    clerk: Person,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    content = pdf_bytes()
    add(session, uploads, meeting, clerk, content)
    kept = stored_files(uploads.store.root)
    fail_next_commit(session, monkeypatch)
    with pytest.raises(RuntimeError):
        add(session, uploads, meeting, clerk, content)
    monkeypatch.undo()
    assert counts(session) == (1, 1, 1)
    assert stored_files(uploads.store.root) == kept


def test_a_blank_title_stores_nothing(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    with pytest.raises(InvalidDataError) as raised:
        documents.add_document(
            session=session,
            uploads=uploads,
            meeting=meeting,
            title="  ",
            source=io.BytesIO(pdf_bytes()),
            filename="a.pdf",
            uploader=clerk,
        )
    assert raised.value.field == "title"
    assert counts(session) == (0, 0, 0)
    assert stored_files(uploads.store.root) == []


def test_versions_are_numbered(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    first = pdf_bytes("1")
    document = add(session, uploads, meeting, clerk, first)
    add_version(session, uploads, document, pdf_bytes("2"))
    add_version(session, uploads, document, first)  # back to the first content
    numbers = [v.number for v in documents.list_versions(session=session, document=document)]
    assert numbers == [3, 2, 1]
    assert document.current_version == 3
    assert counts(session) == (1, 3, 2)
    assert documents.get_version(session=session, document=document).number == 3
    assert documents.get_version(session=session, document=document, number=2).number == 2
    with pytest.raises(DocumentNotFoundError):
        documents.get_version(session=session, document=document, number=4)


def test_drafts_are_for_managers_only(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    delegate, chair = make_user(session), make_user(session)
    invite(session, meeting, delegate)
    meeting.chair_id = chair.id
    session.add(meeting)
    session.commit()
    draft = add(session, uploads, meeting, clerk, pdf_bytes())
    assert draft.id is not None
    with pytest.raises(DocumentNotFoundError):
        documents.get_document(session=session, document_id=draft.id, viewer=delegate)
    assert documents.get_document(session=session, document_id=draft.id, viewer=chair) == draft
    assert documents.list_documents(session=session, meeting=meeting, viewer=delegate) == []
    documents.publish_document(session=session, document=draft)
    listed = documents.list_documents(session=session, meeting=meeting, viewer=delegate)
    assert [doc.id for doc in listed] == [draft.id]


def test_read_marks(session: Session, uploads: Uploads, meeting: Meeting, clerk: Person) -> None:
    reader = make_user(session)
    invite(session, meeting, reader)
    document = add(session, uploads, meeting, clerk, pdf_bytes("1"))
    documents.publish_document(session=session, document=document)

    def marks() -> tuple[bool, bool]:
        public = documents.describe_for(session=session, document=document, viewer=reader)
        return public.unread, public.updated

    assert marks() == (True, False)
    first = documents.get_version(session=session, document=document)
    documents.record_read(session=session, version=first, reader=reader)
    documents.record_read(session=session, version=first, reader=reader)
    assert count(session, ReadReceipt) == 1
    assert marks() == (False, False)
    add_version(session, uploads, document, pdf_bytes("2"))
    assert marks() == (False, True)
    second = documents.get_version(session=session, document=document)
    documents.record_read(session=session, version=second, reader=reader)
    assert marks() == (False, False)
    assert count(session, ReadReceipt) == 2
