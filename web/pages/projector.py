"""The hall projector: current agenda item, attendance, poll progress and results, all live."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from meetings import scheduling
from web.deps import SessionDep
from web.pages.render import render
from web.pages.screens import ScreenDep
from web.realtime.attendance import attendance_summary

router = APIRouter()


def _context(request: Request, screen: ScreenDep, session: SessionDep) -> dict[str, object]:
    agenda = scheduling.list_agenda(session=session, meeting=screen.meeting)
    current = next((item for item in agenda if item.id == screen.meeting.current_item_id), None)
    fraction = request.app.state.hop.settings.meeting_quorum_fraction
    attendance = attendance_summary(session, meeting=screen.meeting, fraction=fraction)
    return {
        "meeting": screen.meeting,
        "agenda": agenda,
        "current": current,
        "token": screen.token,
        "attendance": attendance,
    }


@router.get("/projector/{meeting_id}", response_class=HTMLResponse)
def projector(request: Request, screen: ScreenDep, session: SessionDep) -> HTMLResponse:
    return render(request, "pages/projector.html", _context(request, screen, session))


@router.get("/projector/{meeting_id}/agenda", response_class=HTMLResponse)
def projector_agenda(request: Request, screen: ScreenDep, session: SessionDep) -> HTMLResponse:
    return render(request, "fragments/projector_agenda.html", _context(request, screen, session))


@router.get("/projector/{meeting_id}/poll", response_class=HTMLResponse)
def projector_poll(request: Request, screen: ScreenDep, session: SessionDep) -> HTMLResponse:
    """The open poll's progress, then the published result with its verdict."""
    from web.pages.poll_views import screen_poll

    row = screen_poll(session=session, meeting=screen.meeting)
    return render(request, "fragments/projector_poll.html", {"meeting": screen.meeting, "row": row})
