"""The meeting editor's documents: upload (without JavaScript), new versions, publish, remove.

With JavaScript, web/static/upload.js sends the same forms to the JSON API instead, to show
a progress bar; these routes are what the forms post to without it."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from core.errors import HopError
from meetings import documents as docs
from meetings import views
from meetings.errors import AgendaItemNotFoundError
from models import Meeting, Person
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep, StateDep
from web.doc_indexing import schedule_indexing
from web.pages import forms
from web.pages.editor import back, render_editor

router = APIRouter()


def _upload_failed(
    request: Request,
    session: SessionDep,
    meeting: Meeting,
    person: Person,
    form_name: str,
    error: HopError,
    values: dict[str, str],
) -> Response:
    if isinstance(error, AgendaItemNotFoundError):
        errors = {"agenda_item_id": forms.INVALID}
    elif error.field is not None:
        errors = forms.hop_error_fields(error)
    else:
        raise error
    return render_editor(
        request,
        session,
        meeting,
        person,
        errors={form_name: errors},
        values={form_name: values},
        status=error.status_code,
    )


@router.post("/meetings/{meeting_id}/documents", response_class=HTMLResponse)
def upload(
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    state: StateDep,
    person: CurrentUser,
    file: Annotated[UploadFile, File()],
    background: BackgroundTasks,
    title: Annotated[str, Form(max_length=300)] = "",
    agenda_item_id: Annotated[int | None, Form()] = None,
) -> Response:
    try:
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
    except HopError as error:
        values = {"title": title, "agenda_item_id": str(agenda_item_id or "")}
        return _upload_failed(request, session, meeting, person, "upload", error, values)
    schedule_indexing(background, state, session, document)
    return back(meeting, "uploaded", "documents")


@router.post("/meetings/{meeting_id}/documents/{document_id}/versions", response_class=HTMLResponse)
def upload_version(
    request: Request,
    document_id: int,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    state: StateDep,
    person: CurrentUser,
    file: Annotated[UploadFile, File()],
    background: BackgroundTasks,
) -> Response:
    document = views.get_meeting_document(
        session=session, meeting=meeting, document_id=document_id, viewer=person
    )
    try:
        docs.add_version(
            session=session,
            uploads=state.uploads,
            document=document,
            source=file.file,
            filename=file.filename,
            uploader=person,
        )
    except HopError as error:
        form_name = f"version-{document_id}"
        return _upload_failed(request, session, meeting, person, form_name, error, {})
    schedule_indexing(background, state, session, document)
    return back(meeting, "version_uploaded", f"document-{document_id}")


@router.post("/meetings/{meeting_id}/documents/{document_id}/publish")
def publish(
    document_id: int, meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    document = views.get_meeting_document(
        session=session, meeting=meeting, document_id=document_id, viewer=person
    )
    docs.publish_document(session=session, document=document)
    return back(meeting, "published", f"document-{document_id}")


@router.post("/meetings/{meeting_id}/documents/{document_id}/delete")
def delete(
    document_id: int, meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    document = views.get_meeting_document(
        session=session, meeting=meeting, document_id=document_id, viewer=person
    )
    docs.delete_document(session=session, document=document)
    return back(meeting, "document_deleted", "documents")
