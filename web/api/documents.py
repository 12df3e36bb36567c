"""Documents: upload, versions, publish, and content with ETag and Range."""

import unicodedata
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response

from meetings import access
from meetings import documents as docs
from meetings.errors import NotAllowedError
from models import Document, DocumentPublic, DocumentUpdate, Meeting, Person, VersionPublic
from web.deps import CurrentUser, ManagedMeetingDep, MeetingDep, SessionDep, StateDep
from web.doc_indexing import schedule_indexing

router = APIRouter(tags=["documents"])


@router.get("/meetings/{meeting_id}/documents")
def list_documents(
    meeting: MeetingDep, session: SessionDep, person: CurrentUser
) -> list[DocumentPublic]:
    """The meeting's documents as the caller sees them (delegates: published only)."""
    return docs.list_documents(session=session, meeting=meeting, viewer=person)


@router.post("/meetings/{meeting_id}/documents", status_code=201)
def upload_document(
    meeting: ManagedMeetingDep,
    session: SessionDep,
    state: StateDep,
    person: CurrentUser,
    file: Annotated[UploadFile, File()],
    title: Annotated[str, Form(min_length=1, max_length=300)],
    background: BackgroundTasks,
    agenda_item_id: Annotated[int | None, Form()] = None,
) -> DocumentPublic:
    """Upload a new document (draft); its type is read from the content."""
    document = docs.add_document(
        session=session,
        uploads=state.uploads,
        meeting=meeting,
        title=title,
        source=file.file,
        filename=file.filename,
        uploader=person,
        agenda_item_id=agenda_item_id,
    )
    schedule_indexing(background, state, session, document)
    return docs.describe_for(session=session, document=document, viewer=person)


def _managed_document(session: SessionDep, document_id: int, person: Person) -> Document:
    document = docs.get_document(session=session, document_id=document_id, viewer=person)
    meeting = session.get(Meeting, document.meeting_id)
    assert meeting is not None
    if not access.can_manage(session, meeting=meeting, viewer=person):
        raise NotAllowedError("Only the secretariat or the meeting's chair may change documents")
    return document


@router.get("/documents/{document_id}")
def get_document(document_id: int, session: SessionDep, person: CurrentUser) -> DocumentPublic:
    """One document."""
    document = docs.get_document(session=session, document_id=document_id, viewer=person)
    return docs.describe_for(session=session, document=document, viewer=person)


@router.patch("/documents/{document_id}")
def update_document(
    document_id: int, data: DocumentUpdate, session: SessionDep, person: CurrentUser
) -> DocumentPublic:
    """Rename a document or move it to another agenda item."""
    document = _managed_document(session, document_id, person)
    docs.update_document(session=session, document=document, data=data)
    return docs.describe_for(session=session, document=document, viewer=person)


@router.post("/documents/{document_id}/versions", status_code=201)
def upload_version(
    document_id: int,
    session: SessionDep,
    state: StateDep,
    person: CurrentUser,
    file: Annotated[UploadFile, File()],
    background: BackgroundTasks,
) -> DocumentPublic:
    """Upload a new version; invitees see the document as updated."""
    document = _managed_document(session, document_id, person)
    docs.add_version(
        session=session,
        uploads=state.uploads,
        document=document,
        source=file.file,
        filename=file.filename,
        uploader=person,
    )
    schedule_indexing(background, state, session, document)
    return docs.describe_for(session=session, document=document, viewer=person)


@router.get("/documents/{document_id}/versions")
def list_versions(
    document_id: int, session: SessionDep, person: CurrentUser
) -> list[VersionPublic]:
    """Every version of the document, newest first."""
    document = docs.get_document(session=session, document_id=document_id, viewer=person)
    return [VersionPublic.of(v) for v in docs.list_versions(session=session, document=document)]


@router.post("/documents/{document_id}/publish")
def publish(document_id: int, session: SessionDep, person: CurrentUser) -> DocumentPublic:
    """Publish the document to the meeting's invitees."""
    document = _managed_document(session, document_id, person)
    docs.publish_document(session=session, document=document)
    return docs.describe_for(session=session, document=document, viewer=person)


@router.delete("/documents/{document_id}", status_code=204)
def delete_document(document_id: int, session: SessionDep, person: CurrentUser) -> None:
    """Remove a document."""
    document = _managed_document(session, document_id, person)
    docs.delete_document(session=session, document=document)


@router.get("/documents/{document_id}/content", response_class=Response)
def content(
    document_id: int,
    request: Request,
    session: SessionDep,
    state: StateDep,
    person: CurrentUser,
    version: Annotated[int | None, Query(ge=1)] = None,
    download: bool = False,
) -> Response:
    """The file: cached by ETag (its sha256), resumable with Range; records a read receipt."""
    document = docs.get_document(session=session, document_id=document_id, viewer=person)
    stored = docs.get_version(session=session, document=document, number=version)
    etag = f'"{stored.blob_sha256}"'
    headers = {"etag": etag, "cache-control": "private, max-age=0, must-revalidate"}
    if etag in _etags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    if "range" not in request.headers:
        docs.record_read(session=session, version=stored, reader=person)
    disposition = "attachment" if download else "inline"
    headers["content-disposition"] = content_disposition(disposition, stored.filename)
    return FileResponse(
        state.uploads.store.path_for(stored.blob_sha256),
        media_type=stored.media_type,
        headers=headers,
    )


def content_disposition(disposition: str, filename: str) -> str:
    """RFC 6266: an ASCII name for old clients, and the real one as RFC 5987 UTF-8."""
    plain = (
        unicodedata.normalize("NFKD", filename.replace("đ", "d").replace("Đ", "D"))
        .encode("ascii", "ignore")
        .decode()
    )
    plain = "".join(ch for ch in plain if ch.isprintable() and ch not in '"\\') or "document"
    return f"{disposition}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"


def _etags(header: str | None) -> set[str]:
    return {part.strip().removeprefix("W/") for part in (header or "").split(",") if part.strip()}
