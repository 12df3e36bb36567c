"""The meeting room (anyone who may see the meeting): the current item, agenda, documents, the
votes' results, and the reader."""

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from meetings import access, changes, scheduling, views
from meetings import documents as docs
from models import Meeting, Person, Poll, PollStatus
from models.base import as_utc
from voting import polls
from web.deps import CurrentUser, MeetingDep, SessionDep
from web.pages import encrypted, offline
from web.pages import speakers as speaker_pages
from web.pages.render import render
from web.pages.rounds import room_rounds

router = APIRouter()
IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})


def _room_context(meeting: Meeting, session: Session, person: Person) -> dict[str, Any]:
    assert meeting.id is not None
    assert person.id is not None
    agenda = scheduling.list_agenda(session=session, meeting=meeting)
    documents = docs.list_documents(session=session, meeting=meeting, viewer=person)
    return {
        "meeting": meeting,
        "agenda": agenda,
        "current": next((item for item in agenda if item.id == meeting.current_item_id), None),
        "groups": views.group_documents(agenda, documents),
        "invitation": access.find_invitation(session, meeting_id=meeting.id, person_id=person.id),
        "manages": access.can_manage(session, meeting=meeting, viewer=person),
        "chair": views.chair_name(session=session, meeting=meeting),
    }


@router.get("/room/{meeting_id}", response_class=HTMLResponse)
def room(
    request: Request, meeting: MeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    context = {
        **_room_context(meeting, session, person),
        **speaker_pages.room_context(session, meeting, person),
        "results": ended_polls(session, meeting, person),
        "rounds": room_rounds(session, meeting, person),
        "trustee_polls": encrypted.trustee_polls(session, meeting, person),
    }
    return render(request, "pages/room.html", context)


def ended_polls(session: Session, meeting: Meeting, person: Person) -> list[Poll]:
    """The meeting's votes that ended, as the viewer may see them (list_polls), newest first:
    published with their result, or closed and waiting for it."""
    ended = [
        poll
        for poll in polls.list_polls(session=session, meeting=meeting, viewer=person)
        if poll.status in (PollStatus.closed, PollStatus.published)
    ]
    return sorted(ended, key=_ended_at, reverse=True)


def _ended_at(poll: Poll) -> tuple[datetime, int]:
    return as_utc(poll.published_at or poll.closed_at or poll.created_at), poll.id or 0


@router.get("/room/{meeting_id}/results", response_class=HTMLResponse)
def room_results(
    request: Request, meeting: MeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    """The votes' results, re-fetched by the live client when a vote closes or is published."""
    context = {"meeting": meeting, "results": ended_polls(session, meeting, person)}
    return render(request, "fragments/room_results.html", context)


@router.get("/room/{meeting_id}/fragments/{part}", response_class=HTMLResponse)
def room_fragment(
    request: Request,
    part: Literal["agenda", "documents"],
    meeting: MeetingDep,
    session: SessionDep,
    person: CurrentUser,
) -> Response:
    """A part of the room, re-fetched by the live client when an event changes it."""
    context = _room_context(meeting, session, person)
    return render(request, f"fragments/room_{part}.html", context)


@router.get("/room/{meeting_id}/documents/{document_id}", response_class=HTMLResponse)
def reader(
    request: Request,
    document_id: int,
    meeting: MeetingDep,
    session: SessionDep,
    person: CurrentUser,
) -> Response:
    """The reader: PDF.js (web/static/reader.js) shows a PDF, or the PDF rendering of an Office
    file; a picture is shown as it is."""
    document = views.get_meeting_document(
        session=session, meeting=meeting, document_id=document_id, viewer=person
    )
    version = docs.get_version(session=session, document=document)
    # Before this visit is recorded: the version the person read last, to say what changed.
    read_before = changes.read_before(session=session, document=document, reader=person)
    # Opening the reader is reading the document, even before the viewer has loaded the file;
    # the service worker keeping the page for offline reading is not.
    if not offline.is_prefetch(request):
        docs.record_read(session=session, version=version, reader=person)
    content_url = f"/api/documents/{document.id}/content?version={version.number}"
    context = {
        "meeting": meeting,
        "document": document,
        "version": version,
        "shown_as": _shown_as(version.media_type),
        "content_url": content_url,
        "rendition_url": f"/api/documents/{document.id}/rendition?version={version.number}",
        "read_before": read_before,
        "agenda_item": views.agenda_item_of(session=session, document=document),
    }
    return render(request, "pages/document.html", context)


def _shown_as(media_type: str) -> Literal["pdf", "image", "rendition"]:
    """How the reader shows a version: a PDF as it is, a picture in an <img>, any other file
    (the Office types Hop accepts) through its PDF rendering."""
    if media_type == "application/pdf":
        return "pdf"
    return "image" if media_type in IMAGE_TYPES else "rendition"
