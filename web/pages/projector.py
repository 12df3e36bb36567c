"""The hall projector: a compact header (title, time, status, attendance) over one focus, the
vote, the speaker, the current item or the result (web.pages.projector_focus), all live."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from models.base import utcnow
from web.deps import SessionDep
from web.pages.projector_focus import focus_context
from web.pages.render import render
from web.pages.screens import ScreenDep, find_screen
from web.realtime.attendance import attendance_summary

router = APIRouter()


@router.get("/projector/{meeting_id}", response_class=HTMLResponse)
def projector(
    request: Request, session: SessionDep, meeting_id: Annotated[int, Path()]
) -> HTMLResponse:
    screen = find_screen(request, session, meeting_id)
    if screen is None:  # a bad or revoked link: say so, in the site's language
        return render(request, "pages/screen_refused.html", status=403)
    fraction = request.app.state.hop.settings.meeting_quorum_fraction
    context = {
        **focus_context(session, screen.meeting, now=utcnow()),
        "meeting": screen.meeting,
        "token": screen.token,
        "attendance": attendance_summary(session, meeting=screen.meeting, fraction=fraction),
    }
    return render(request, "pages/projector.html", context)


@router.get("/projector/{meeting_id}/focus", response_class=HTMLResponse)
def projector_focus(request: Request, screen: ScreenDep, session: SessionDep) -> HTMLResponse:
    """The focus alone, re-fetched by the live client on every event that may change it."""
    context = {**focus_context(session, screen.meeting, now=utcnow()), "meeting": screen.meeting}
    return render(request, "fragments/projector_focus.html", context)
