"""The check-in desk (secretariat or chair): invitees with live status, manual check-in/out."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from checkin import attendance
from models import AttendanceKind, Invitation, Meeting
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep
from web.pages.lifecycle_view import can
from web.pages.render import redirect, render
from web.realtime.attendance import attendance_summary
from web.state import AppState

router = APIRouter()


def _context(request: Request, session: SessionDep, meeting: Meeting, q: str) -> dict[str, Any]:
    assert meeting.id is not None
    state: AppState = request.app.state.hop
    rows = attendance.attendance_report(session=session, meeting_id=meeting.id)
    needle = q.strip().casefold()
    if needle:
        rows = [row for row in rows if needle in f"{row.full_name} {row.seat_label}".casefold()]
    invitations = {inv.person_id: inv.id for inv in _invitations(session, meeting.id)}
    return {
        "meeting": meeting,
        "rows": rows,
        "q": q,
        "invitations": invitations,
        "can": can(session, meeting),
        "attendance": attendance_summary(
            session, meeting=meeting, fraction=state.settings.meeting_quorum_fraction
        ),
    }


def _invitations(session: Session, meeting_id: int) -> list[Invitation]:
    return list(session.exec(select(Invitation).where(Invitation.meeting_id == meeting_id)))


@router.get("/meetings/{meeting_id}/checkin", response_class=HTMLResponse)
def desk(
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    return render(request, "pages/checkin_desk.html", _context(request, session, meeting, q))


@router.get("/meetings/{meeting_id}/checkin/list", response_class=HTMLResponse)
def desk_list(
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    context = _context(request, session, meeting, q)
    return render(request, "fragments/checkin_list.html", context)


@router.get("/meetings/{meeting_id}/checkin/qr", response_class=HTMLResponse)
def qr_sheet(request: Request, meeting: ManagedMeetingDep, session: SessionDep) -> HTMLResponse:
    """Every invitation's QR code on a printable sheet."""
    return render(request, "pages/checkin_qr.html", _context(request, session, meeting, ""))


@router.post("/meetings/{meeting_id}/checkin")
def change(
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    person_id: Annotated[int, Form()],
    action: Annotated[Literal["check_in", "check_out"], Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    attendance.record_manual(
        session=session,
        meeting=meeting,
        person_id=person_id,
        kind=AttendanceKind(action),
        operator_id=person.id,
        reason=reason,
    )
    return redirect(f"/meetings/{meeting.id}/checkin", anchor=f"person-{person_id}")
