"""The meeting room's search page: words found in the meeting's published papers, by page;
the secretariat may widen it to every meeting's."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from meetings import access
from meetings import search as doc_search
from models import Meeting
from web.deps import CurrentUser, MeetingDep, SessionDep
from web.pages.render import render

router = APIRouter()


@router.get("/room/{meeting_id}/search", response_class=HTMLResponse)
def room_search(
    request: Request,
    meeting: MeetingDep,
    session: SessionDep,
    person: CurrentUser,
    q: Annotated[str, Query(max_length=10_000)] = "",
    everywhere: bool = False,
) -> Response:
    query = q.strip()[: doc_search.MAX_QUERY]
    # Only the secretariat searches across meetings; anyone else's "everywhere" is ignored.
    everywhere = everywhere and access.is_staff(person)
    if not query:
        hits = []
    elif everywhere:
        hits = doc_search.search_all(session, person, query)
    else:
        hits = doc_search.search(session, meeting, person, query)
    meetings = {hit.meeting_id: session.get(Meeting, hit.meeting_id) for hit in hits}
    context = {
        "meeting": meeting,
        "q": query,
        "hits": hits,
        "everywhere": everywhere,
        "may_search_everywhere": access.is_staff(person),
        "meeting_titles": {mid: m.title for mid, m in meetings.items() if m is not None},
    }
    return render(request, "pages/room_search.html", context)
