"""The meeting room's search page: words found in the meeting's published papers, by page."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from meetings import search as doc_search
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
) -> Response:
    query = q.strip()[: doc_search.MAX_QUERY]
    hits = doc_search.search(session, meeting, person, query) if query else []
    context = {"meeting": meeting, "q": query, "hits": hits}
    return render(request, "pages/room_search.html", context)
