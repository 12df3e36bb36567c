"""Documents: upload, versions, publish, and content with ETag and Range; Office files as PDF
renderings; downloads stamped with the reader's name where the meeting asks it."""

import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Annotated, BinaryIO
from urllib.parse import quote, urlencode

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from meetings import access, renditions, watermark
from meetings import documents as docs
from meetings.errors import NotAllowedError
from meetings.storage import CHUNK
from models import (
    Document,
    DocumentPublic,
    DocumentUpdate,
    DocumentVersion,
    Meeting,
    Person,
    VersionPublic,
)
from models.base import utcnow
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
    """The file: cached by ETag (its sha256), resumable with Range; records a read receipt.
    A download of a PDF carries the reader's name on every page when the meeting asks it."""
    document = docs.get_document(session=session, document_id=document_id, viewer=person)
    stored = docs.get_version(session=session, document=document, number=version)
    sent = Sent(stored.blob_sha256, stored.media_type, stored.filename)
    return _send(request, session, state, person, stored, sent, download=download)


@router.get(
    "/documents/{document_id}/rendition",
    response_class=Response,
    responses={409: {"description": "No PDF rendering can be made: download the original"}},
)
def rendition(
    document_id: int,
    request: Request,
    session: SessionDep,
    state: StateDep,
    person: CurrentUser,
    version: Annotated[int | None, Query(ge=1)] = None,
    download: bool = False,
) -> Response:
    """An Office version as a PDF for the reader, made on the server once (a PDF is its own:
    redirected to its content); 409 when it cannot be made."""
    document = docs.get_document(session=session, document_id=document_id, viewer=person)
    stored = docs.get_version(session=session, document=document, number=version)
    if stored.media_type == renditions.PDF:
        query = urlencode({"version": stored.number, "download": str(download).lower()})
        return RedirectResponse(f"/api/documents/{document_id}/content?{query}", 307)
    store = state.uploads.store
    sha256 = renditions.pdf_sha256(session=session, version=stored, store=store)
    filename = f"{PurePath(stored.filename).stem or 'document'}.pdf"
    sent = Sent(sha256, renditions.PDF, filename)
    return _send(request, session, state, person, stored, sent, download=download)


@dataclass(frozen=True)
class Sent:
    """The stored file a response sends, and what it is called."""

    sha256: str
    media_type: str
    filename: str


def _send(
    request: Request,
    session: SessionDep,
    state: StateDep,
    person: Person,
    stored: DocumentVersion,
    sent: Sent,
    *,
    download: bool,
) -> Response:
    path = state.uploads.store.path_for(sent.sha256)
    if download and sent.media_type == renditions.PDF and _stamps(session, stored):
        copy = _stamped_copy(path, state, person)  # before the receipt: a refusal is no read
        docs.record_read(session=session, version=stored, reader=person)
        return _stream(copy, sent.filename)
    etag = f'"{sent.sha256}"'
    headers = {"etag": etag, "cache-control": "private, max-age=0, must-revalidate"}
    if etag in _etags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    if "range" not in request.headers:
        docs.record_read(session=session, version=stored, reader=person)
    disposition = "attachment" if download else "inline"
    headers["content-disposition"] = content_disposition(disposition, sent.filename)
    return FileResponse(path, media_type=sent.media_type, headers=headers)


def _stamps(session: SessionDep, stored: DocumentVersion) -> bool:
    """Whether downloads of this version's meeting carry the reader's name."""
    document = session.get(Document, stored.document_id)
    meeting = session.get(Meeting, document.meeting_id) if document else None
    return bool(meeting and meeting.watermark_downloads)


def _stamped_copy(path: Path, state: StateDep, person: Person) -> BinaryIO:
    """A temporary file (gone when closed) holding the PDF stamped for this reader; 409 when
    the PDF cannot be stamped, rather than an unstamped copy."""
    folder = state.uploads.store.root / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    copy = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - closed by _stream
    try:
        watermark.stamp_pdf(path, copy, stamp=watermark.Stamp(person.full_name, utcnow()))
    except BaseException:
        copy.close()
        raise
    return copy


def _stream(copy: BinaryIO, filename: str) -> Response:
    # Made for one reader at one time: never cached, nor resumed (a new copy says a new time).
    size = copy.tell()
    copy.seek(0)
    headers = {
        "cache-control": "private, no-store",
        "content-length": str(size),
        "content-disposition": content_disposition("attachment", filename),
    }
    return StreamingResponse(_chunks(copy), media_type=renditions.PDF, headers=headers)


def _chunks(copy: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := copy.read(CHUNK):
            yield chunk
    finally:
        copy.close()


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
