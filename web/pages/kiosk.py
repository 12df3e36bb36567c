"""The kiosk page: a tablet at the door opened with a kiosk device token (like the projector)."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse

from models import DeviceKind, Meeting
from web.auth import bearer_token, device_for_token
from web.deps import SessionDep
from web.pages.render import render

router = APIRouter()


@router.get("/kiosk/{meeting_id}", response_class=HTMLResponse)
def kiosk(
    request: Request, session: SessionDep, meeting_id: Annotated[int, Path()]
) -> HTMLResponse:
    """The camera page; it streams frames over /ws/kiosk with the same token."""
    token = request.query_params.get("token") or bearer_token(request)
    device = device_for_token(session, token)
    if device is None or device.kind != DeviceKind.kiosk:
        raise HTTPException(status_code=403, detail="Open the kiosk with a kiosk device token")
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or device.meeting_id not in (None, meeting_id):
        raise HTTPException(status_code=404, detail=f"Meeting {meeting_id} not found")
    return render(request, "pages/kiosk.html", {"meeting": meeting, "token": token})
