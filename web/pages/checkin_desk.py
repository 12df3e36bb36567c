"""The check-in desk (secretariat or chair): invitees with live status, manual check-in/out."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from checkin import attendance, kiosk_enrolment, readiness
from meetings import access
from models import AttendanceKind, Invitation, Meeting
from web import learning
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep, StaffUser
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
    # Who cannot be recognised by a kiosk yet (fewer than two face templates): the desk sees
    # them coming and checks them in by QR or by hand, or starts their enrolment.
    ready = readiness.face_readiness(session=session, person_ids=invitations)
    return {
        "meeting": meeting,
        "rows": rows,
        "readiness": ready,
        "not_ready": sum(not r.ready for r in ready.values()),
        "kiosks": kiosk_enrolment.meeting_kiosks(session=session, meeting_id=meeting.id),
        "can_enrol": _is_staff(request),
        "kiosk_enrolment": kiosk_enrolment.last_kiosk_enrolment(
            session=session, meeting_id=meeting.id
        ),
        "q": q,
        "invitations": invitations,
        "can": can(session, meeting),
        "attendance": attendance_summary(
            session, meeting=meeting, fraction=state.settings.meeting_quorum_fraction
        ),
    }


def _is_staff(request: Request) -> bool:
    viewer = getattr(request.state, "person", None)
    return viewer is not None and access.is_staff(viewer)


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


@router.post("/meetings/{meeting_id}/checkin/enrol/cancel")
def cancel_kiosk_enrolment(
    meeting: ManagedMeetingDep, session: SessionDep, _staff: StaffUser
) -> Response:
    """Stop the kiosk enrolment in progress: the kiosk returns to check-in."""
    assert meeting.id is not None
    kiosk_enrolment.cancel_kiosk_enrolment(session=session, meeting_id=meeting.id)
    return redirect(f"/meetings/{meeting.id}/checkin", anchor="kiosk-enrolment")


@router.get("/meetings/{meeting_id}/checkin/kiosk-enrolment", response_class=HTMLResponse)
def kiosk_enrolment_status(
    request: Request, meeting: ManagedMeetingDep, session: SessionDep
) -> HTMLResponse:
    """How the latest kiosk enrolment goes (the desk's live fragment)."""
    assert meeting.id is not None
    last = kiosk_enrolment.last_kiosk_enrolment(session=session, meeting_id=meeting.id)
    context = {"meeting": meeting, "kiosk_enrolment": last, "can_enrol": _is_staff(request)}
    return render(request, "fragments/kiosk_enrolment.html", context)


@router.get("/meetings/{meeting_id}/checkin/qr", response_class=HTMLResponse)
def qr_sheet(request: Request, meeting: ManagedMeetingDep, session: SessionDep) -> HTMLResponse:
    """Every invitation's QR code on a printable sheet."""
    return render(request, "pages/checkin_qr.html", _context(request, session, meeting, ""))


@router.post("/meetings/{meeting_id}/checkin")
def change(
    request: Request,
    background: BackgroundTasks,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    person_id: Annotated[int, Form()],
    action: Annotated[Literal["check_in", "check_out"], Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    changed = attendance.record_manual(
        session=session,
        meeting=meeting,
        person_id=person_id,
        kind=AttendanceKind(action),
        operator_id=person.id,
        reason=reason,
    )
    assert meeting.id is not None  # a desk check-in may teach the face a kiosk just saw
    learning.after_desk(
        background,
        request.app.state.hop,
        meeting_id=meeting.id,
        change=changed,
        operator_id=person.id,
    )
    return redirect(f"/meetings/{meeting.id}/checkin", anchor=f"person-{person_id}")


@router.post("/meetings/{meeting_id}/checkin/enrol")
def enrol_on_kiosk(
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: StaffUser,
    person_id: Annotated[int, Form()],
    device_id: Annotated[int, Form()],
) -> Response:
    """Switch a kiosk of the meeting to the guided enrolment of one invitee (the secretariat:
    like every enrolment)."""
    kiosk_enrolment.start_kiosk_enrolment(
        session=session,
        meeting=meeting,
        person_id=person_id,
        device_id=device_id,
        started_by=person.id,
    )
    return redirect(f"/meetings/{meeting.id}/checkin", anchor="kiosk-enrolment")
