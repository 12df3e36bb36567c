"""What changed in a document: the text of two of its versions compared, page by page."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from meetings import changes, views
from meetings import documents as docs
from web.deps import CurrentUser, MeetingDep, SessionDep
from web.pages.render import render

router = APIRouter()
# Read as text: meetings.changes.parse_version says what is wrong with a bad one.
FromQuery = Annotated[str | None, Query(alias="from", max_length=20)]
ToQuery = Annotated[str | None, Query(max_length=20)]


@router.get("/room/{meeting_id}/documents/{document_id}/changes", response_class=HTMLResponse)
def changes_page(
    request: Request,
    document_id: int,
    meeting: MeetingDep,
    session: SessionDep,
    person: CurrentUser,
    from_: FromQuery = None,
    to: ToQuery = None,
) -> Response:
    """The changes from ?from= (else the version the reader read before, else the one before
    the current) to ?to= (else the current version)."""
    document = views.get_meeting_document(
        session=session, meeting=meeting, document_id=document_id, viewer=person
    )
    old = changes.parse_version(from_, name="from")
    new = changes.parse_version(to, name="to")
    chosen = changes.default_range(
        session=session, document=document, reader=person, old=old, new=new
    )
    diff = None
    if chosen is not None:
        diff = changes.version_diff(
            session=session, document=document, old=chosen[0], new=chosen[1]
        )
    context = {
        "meeting": meeting,
        "document": document,
        "versions": docs.list_versions(session=session, document=document),
        "diff": diff,
    }
    return render(request, "pages/changes.html", context)
