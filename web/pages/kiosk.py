"""The kiosk page: a tablet at the door opened with a kiosk device token (like the projector)."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from meetings import lifecycle
from models import DeviceKind, Meeting, MeetingStatus
from web.auth import bearer_token, require_device_for_meeting
from web.deps import SessionDep
from web.pages.render import render

router = APIRouter()


@router.get("/kiosk/{meeting_id}", response_class=HTMLResponse)
def kiosk(
    request: Request, session: SessionDep, meeting_id: Annotated[int, Path()]
) -> HTMLResponse:
    """The camera page; it streams frames over /ws/kiosk with the same token."""
    token = request.query_params.get("token") or bearer_token(request)
    # 403, not 401: a page's 401 sends people to the login form, which a kiosk cannot use.
    require_device_for_meeting(
        session,
        token,
        meeting_id,
        kind=DeviceKind.kiosk,
        status_code=403,
        detail="Open the kiosk with a kiosk device token",
    )
    meeting = session.get(Meeting, meeting_id)  # loaded by the check: no second query
    assert meeting is not None
    context = {"meeting": meeting, "token": token, **_state(session, meeting)}
    return render(request, "pages/kiosk.html", context)


def _state(session: Session, meeting: Meeting) -> dict[str, object]:
    """Whether the kiosk invites people to check in, or says why it does not."""
    accepting = lifecycle.allows(session, meeting, lifecycle.Action.check_in)
    return {
        "accepting": accepting,
        "cancelled": meeting.status == MeetingStatus.cancelled,
    }
