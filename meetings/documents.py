"""Electronic documents: upload, new versions, publish, list for a viewer, read receipts."""

from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.audit import audit
from meetings import lifecycle
from meetings.access import can_manage, get_visible_meeting
from meetings.errors import DocumentNotFoundError, InvalidDataError, MeetingNotFoundError
from meetings.scheduling import get_agenda_item
from meetings.storage import BlobStore, StagedFile, safe_filename
from meetings.uploadcheck import inspect_staged
from models import (
    Audience,
    Blob,
    Document,
    DocumentPublic,
    DocumentStatus,
    DocumentUpdate,
    DocumentVersion,
    Meeting,
    Person,
    ReadReceipt,
    VersionPublic,
)
from models.base import utcnow
from models.events import record_event


class UploadSettings(Protocol):
    """The configuration uploads are made from (web.settings.Settings has it)."""

    @property
    def storage_dir(self) -> Path: ...
    @property
    def max_upload_bytes(self) -> int: ...
    @property
    def allowed_document_types(self) -> list[str]: ...


class Uploads:
    """Where uploads go and what they may be: the store plus the configured limits."""

    @classmethod
    def from_settings(cls, settings: UploadSettings) -> "Uploads":
        return cls(
            BlobStore(settings.storage_dir),
            max_bytes=settings.max_upload_bytes,
            allowed_types=settings.allowed_document_types,
        )

    def __init__(self, store: BlobStore, *, max_bytes: int, allowed_types: list[str]) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self.allowed_types = allowed_types

    def stage(self, source: BinaryIO) -> StagedFile:
        """The upload staged and inspected (unsafe PDFs refused, image metadata dropped)."""
        staged = self.store.stage(
            source, max_bytes=self.max_bytes, allowed_types=self.allowed_types
        )
        try:
            return inspect_staged(staged, max_bytes=self.max_bytes)
        except BaseException:
            self.store.discard(staged)
            raise


def add_document(
    *,
    session: Session,
    uploads: Uploads,
    meeting: Meeting,
    title: str,
    source: BinaryIO,
    filename: str | None,
    uploader: Person,
    agenda_item_id: int | None = None,
) -> Document:
    """A new draft document whose first version is the uploaded file."""
    title = title.strip()
    if not title:
        raise InvalidDataError("A document needs a title", field="title")
    if "\x00" in title:
        raise InvalidDataError(
            "The title holds a NUL character, which cannot be stored", field="title"
        )
    if agenda_item_id is not None:
        get_agenda_item(session=session, meeting=meeting, item_id=agenda_item_id)
    assert meeting.id is not None
    document = Document(
        meeting_id=meeting.id,
        title=title[:300],
        agenda_item_id=agenda_item_id,
        created_by=uploader.id,
    )
    session.add(document)
    return _store_version(session, uploads, document, source, filename, uploader)


def add_version(
    *,
    session: Session,
    uploads: Uploads,
    document: Document,
    source: BinaryIO,
    filename: str | None,
    uploader: Person,
) -> Document:
    """Upload a new file to a document: it becomes the current version."""
    return _store_version(session, uploads, document, source, filename, uploader)


def _store_version(
    session: Session,
    uploads: Uploads,
    document: Document,
    source: BinaryIO,
    filename: str | None,
    uploader: Person,
) -> Document:
    # Stage first so a refused file leaves no row; drop a newly kept file if the commit fails.
    staged = uploads.stage(source)
    created = False
    try:
        session.flush()
        assert document.id is not None
        if session.get(Blob, staged.sha256) is None:
            session.add(Blob(sha256=staged.sha256, size=staged.size, media_type=staged.media_type))
        document.current_version += 1
        session.add(
            DocumentVersion(
                document_id=document.id,
                number=document.current_version,
                blob_sha256=staged.sha256,
                filename=safe_filename(filename),
                size=staged.size,
                media_type=staged.media_type,
                uploaded_by=uploader.id,
            )
        )
        session.add(document)
        _document_event(session, document, added=document.current_version == 1)
        created = uploads.store.keep(staged)
        session.commit()
    except BaseException:
        session.rollback()
        uploads.store.discard(staged)
        if created:
            uploads.store.remove(staged.sha256)
        raise
    return document


def _document_event(session: Session, document: Document, *, added: bool) -> None:
    # Invitees hear of a new version of a published document; drafts concern managers only.
    published = document.status == DocumentStatus.published
    record_event(
        session,
        meeting_id=document.meeting_id,
        type="document.added" if added else "document.updated",
        data={
            "document_id": document.id,
            "title": document.title,
            "version": document.current_version,
        },
        audience=Audience.everyone if published else Audience.managers,
    )


def get_document(*, session: Session, document_id: int, viewer: Person) -> Document:
    """A document the viewer may see: managers see drafts, invitees only published ones."""
    document = session.get(Document, document_id)
    if document is None:
        raise DocumentNotFoundError(f"Document {document_id} not found")
    try:
        meeting = get_visible_meeting(session, meeting_id=document.meeting_id, viewer=viewer)
    except MeetingNotFoundError as error:
        raise DocumentNotFoundError(f"Document {document_id} not found") from error
    if document.status != DocumentStatus.published and not can_manage(
        session, meeting=meeting, viewer=viewer
    ):
        raise DocumentNotFoundError(f"Document {document_id} not found")
    return document


def update_document(*, session: Session, document: Document, data: DocumentUpdate) -> Document:
    """Rename a document or move it to another agenda item."""
    changes = data.model_dump(exclude_unset=True)
    if changes.get("agenda_item_id") is not None:
        meeting = session.get(Meeting, document.meeting_id)
        assert meeting is not None
        get_agenda_item(session=session, meeting=meeting, item_id=changes["agenda_item_id"])
    document.sqlmodel_update(changes)
    session.add(document)
    session.commit()
    return document


def publish_document(*, session: Session, document: Document) -> Document:
    """Make the document visible to the invitees; it shows as new to each of them."""
    meeting = session.get(Meeting, document.meeting_id)
    assert meeting is not None
    lifecycle.require(session, meeting, lifecycle.Action.publish_document)
    if document.status != DocumentStatus.published:
        document.status = DocumentStatus.published
        document.published_at = utcnow()
        session.add(document)
        record_event(
            session,
            meeting_id=document.meeting_id,
            type="document.published",
            data={
                "document_id": document.id,
                "title": document.title,
                "version": document.current_version,
                "agenda_item_id": document.agenda_item_id,
            },
        )
        audit(
            session,
            action="document.published",
            target_type="document",
            target_id=document.id,
            meeting_id=document.meeting_id,
            detail={"title": document.title, "version": document.current_version},
        )
        session.commit()
    return document


def delete_document(*, session: Session, document: Document) -> None:
    """Remove a document and its versions (stored files stay; they may be shared)."""
    session.delete(document)
    session.commit()


def get_version(
    *, session: Session, document: Document, number: int | None = None
) -> DocumentVersion:
    """The given version of a document, or its current one."""
    wanted = number or document.current_version
    version = session.exec(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document.id, DocumentVersion.number == wanted
        )
    ).first()
    if version is None:
        raise DocumentNotFoundError(f"Version {wanted} of document {document.id} not found")
    return version


def list_versions(*, session: Session, document: Document) -> list[DocumentVersion]:
    """Every version, newest first."""
    query = select(DocumentVersion).where(DocumentVersion.document_id == document.id)
    return list(session.exec(query.order_by(col(DocumentVersion.number).desc())))


def record_read(*, session: Session, version: DocumentVersion, reader: Person) -> None:
    """Note that the reader opened this version (the first time counts)."""
    assert version.id is not None
    assert reader.id is not None
    exists = session.exec(
        select(ReadReceipt.id).where(
            ReadReceipt.person_id == reader.id, ReadReceipt.version_id == version.id
        )
    ).first()
    if exists is not None:
        return
    session.add(ReadReceipt(person_id=reader.id, version_id=version.id))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # the same reader opened it twice at once


def list_documents(*, session: Session, meeting: Meeting, viewer: Person) -> list[DocumentPublic]:
    """The meeting's documents as the viewer sees them, with new/updated marks."""
    query = select(Document).where(Document.meeting_id == meeting.id)
    if not can_manage(session, meeting=meeting, viewer=viewer):
        query = query.where(Document.status == DocumentStatus.published)
    documents = list(session.exec(query.order_by(col(Document.created_at), col(Document.id))))
    read = _read_versions(session, viewer, [doc.id for doc in documents if doc.id is not None])
    current = _current_versions(session, documents)
    return [
        describe(doc, current.get(doc.id or 0), read.get(doc.id or 0, set())) for doc in documents
    ]


def describe(
    document: Document, version: DocumentVersion | None, read_numbers: set[int]
) -> DocumentPublic:
    """The public view of a document for one viewer."""
    public = DocumentPublic.model_validate(document)
    if version is not None:
        public.version = VersionPublic.of(version)
    public.unread = not read_numbers
    public.updated = bool(read_numbers) and document.current_version not in read_numbers
    return public


def describe_for(*, session: Session, document: Document, viewer: Person) -> DocumentPublic:
    """The public view of one document for the viewer."""
    assert document.id is not None
    version = get_version(session=session, document=document) if document.current_version else None
    return describe(
        document, version, _read_versions(session, viewer, [document.id]).get(document.id, set())
    )


def _read_versions(session: Session, viewer: Person, ids: list[int]) -> dict[int, set[int]]:
    if not ids:
        return {}
    query = (
        select(DocumentVersion.document_id, DocumentVersion.number)
        .join(ReadReceipt, col(ReadReceipt.version_id) == DocumentVersion.id)
        .where(ReadReceipt.person_id == viewer.id, col(DocumentVersion.document_id).in_(ids))
    )
    read: dict[int, set[int]] = {}
    for document_id, number in session.exec(query):
        read.setdefault(document_id, set()).add(number)
    return read


def _current_versions(session: Session, documents: list[Document]) -> dict[int, DocumentVersion]:
    wanted = {(doc.id, doc.current_version) for doc in documents}
    ids = [doc.id for doc in documents]
    if not ids:
        return {}
    query = select(DocumentVersion).where(col(DocumentVersion.document_id).in_(ids))
    return {
        version.document_id: version
        for version in session.exec(query)
        if (version.document_id, version.number) in wanted
    }
