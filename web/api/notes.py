"""A delegate's notes and highlights on the papers (the reader's and the offline queue's API)."""

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlmodel import Session

from meetings import notes as notes_service
from meetings import notes_export
from meetings.notes import (
    MeetingNotePublic,
    NoteCreate,
    NotePublic,
    NoteUpdate,
    SharedNotePublic,
)
from models import Meeting, Person
from web.deps import CurrentUser, GettextDep, MeetingDep, SessionDep

router = APIRouter(tags=["notes"])
PDF = "application/pdf"


class NoteList(BaseModel):
    items: list[NotePublic]


class MeetingNoteList(BaseModel):
    items: list[MeetingNotePublic]


class SharedNoteList(BaseModel):
    items: list[SharedNotePublic]


@router.get("/documents/{document_id}/notes")
def list_notes(document_id: int, session: SessionDep, person: CurrentUser) -> NoteList:
    """The caller's notes on the document, carried to its current version first."""
    found = notes_service.list_notes(session=session, document_id=document_id, person=person)
    return NoteList(items=[NotePublic.of(note) for note in found])


@router.post(
    "/documents/{document_id}/notes",
    status_code=201,
    responses={200: {"model": NotePublic, "description": "Sent before: the note already kept"}},
)
def create_note(
    document_id: int, data: NoteCreate, session: SessionDep, person: CurrentUser, response: Response
) -> NotePublic:
    """Take a note; the same client_id sent again answers 200 with the note already kept."""
    note, created = notes_service.create_note(
        session=session, document_id=document_id, person=person, data=data
    )
    if not created:
        response.status_code = 200
    return NotePublic.of(note)


@router.patch("/notes/{note_id}")
def update_note(
    note_id: int, data: NoteUpdate, session: SessionDep, person: CurrentUser
) -> NotePublic:
    """Change one's note: its comment, or whether the secretariat sees it."""
    note = notes_service.update_note(session=session, note_id=note_id, person=person, data=data)
    return NotePublic.of(note)


@router.delete("/notes/{note_id}", status_code=204)
def delete_note(note_id: int, session: SessionDep, person: CurrentUser) -> Response:
    """Remove one's note."""
    notes_service.delete_note(session=session, note_id=note_id, person=person)
    return Response(status_code=204)


@router.get("/meetings/{meeting_id}/notes")
def meeting_notes(meeting: MeetingDep, session: SessionDep, person: CurrentUser) -> MeetingNoteList:
    """The caller's notes on every document of the meeting, document by document."""
    found = notes_service.meeting_notes(session=session, meeting=meeting, person=person)
    return MeetingNoteList(items=[_in_meeting(item) for item in found])


@router.get("/meetings/{meeting_id}/notes/shared")
def shared_notes(meeting: MeetingDep, session: SessionDep, person: CurrentUser) -> SharedNoteList:
    """Notes shared with the secretariat by anyone, with their authors (managers only)."""
    found = notes_service.shared_notes(session=session, meeting=meeting, viewer=person)
    return SharedNoteList(
        items=[
            SharedNotePublic(**_in_meeting(item).model_dump(), author_name=item.author.full_name)
            for item in found
        ]
    )


@router.get("/meetings/{meeting_id}/notes/export", response_class=Response)
def export_notes(
    meeting: MeetingDep,
    session: SessionDep,
    person: CurrentUser,
    tr: GettextDep,
    format: Annotated[Literal["pdf", "docx"], Query()] = "pdf",
) -> Response:
    """The caller's notes of the meeting as a PDF or Word file, in the caller's language."""
    body = _export_body(session, meeting, person, tr, format)
    media_type = PDF if format == "pdf" else notes_export.DOCX_TYPE
    disposition = f'attachment; filename="meeting-{meeting.id}-notes.{format}"'
    return Response(body, media_type=media_type, headers={"content-disposition": disposition})


def _export_body(
    session: Session, meeting: Meeting, person: Person, tr: Callable[[str], str], format: str
) -> bytes:
    found = notes_service.meeting_notes(session=session, meeting=meeting, person=person)
    paper = notes_export.paper_of(meeting.title, person.full_name, found)
    if format == "docx":
        return notes_export.notes_docx(paper, tr)
    return notes_export.notes_pdf(paper, tr)


def _in_meeting(item: notes_service.MeetingNote) -> MeetingNotePublic:
    public = NotePublic.of(item.note)
    return MeetingNotePublic(**public.model_dump(), document_title=item.document.title)
