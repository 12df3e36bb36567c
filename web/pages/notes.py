"""A delegate's notes of a meeting (links into the reader, PDF/DOCX export) and the notes
shared with the secretariat."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from meetings import notes as notes_service
from meetings.notes import MeetingNote
from models import Document
from web.deps import CurrentUser, ManagedMeetingDep, MeetingDep, SessionDep
from web.pages.render import N_, render

router = APIRouter()

# The export's words (meetings.notes_export passes them through the reader's gettext).
EXPORT_WORDS = (
    N_("Notes on the papers"),
    N_("%(name)s · exported %(time)s (UTC+7)"),
    N_("Page %(page)s"),
    N_("version %(number)s"),
    N_("Highlight"),
    N_("Pinned note"),
    N_("Shared with the secretariat"),
    N_("The text changed"),
    N_("The quoted text was not found in the new version; it is shown as it was."),
    N_("No notes on the papers of this meeting yet."),
)


def by_document(items: list[MeetingNote]) -> list[tuple[Document, list[MeetingNote]]]:
    """The notes (already in document order) grouped by their document."""
    groups: list[tuple[Document, list[MeetingNote]]] = []
    for item in items:
        if not groups or groups[-1][0].id != item.document.id:
            groups.append((item.document, []))
        groups[-1][1].append(item)
    return groups


@router.get("/room/{meeting_id}/notes", response_class=HTMLResponse)
def my_notes(
    request: Request, meeting: MeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    found = notes_service.meeting_notes(session=session, meeting=meeting, person=person)
    context = {"meeting": meeting, "groups": by_document(found), "count": len(found)}
    return render(request, "pages/notes.html", context)


@router.get("/meetings/{meeting_id}/notes/shared", response_class=HTMLResponse)
def shared_notes(
    request: Request, meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    found = notes_service.shared_notes(session=session, meeting=meeting, viewer=person)
    context = {"meeting": meeting, "groups": by_document(found), "count": len(found)}
    return render(request, "pages/notes_shared.html", context)
