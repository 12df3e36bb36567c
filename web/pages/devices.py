"""The devices page (secretariat): kiosks and projectors, made for a meeting or a hall, with
the QR code that opens a new one's screen (shown once), when each was last seen, revocation."""

from dataclasses import dataclass
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from core.errors import HopError
from models import DeviceToken, Meeting
from web import auth, devices, pairing
from web.deps import SessionDep, StaffUser
from web.pages import forms
from web.pages.forms import DeviceForm, FieldErrors, FormError
from web.pages.render import redirect, render

router = APIRouter()
# A hall device is opened on one meeting at a time: offer the next few.
HALL_LINKS = 4


@dataclass(frozen=True)
class ScreenLink:
    """The address that opens a device's screen on a meeting, and its QR code (an SVG)."""

    meeting: Meeting
    url: str
    qr: str


def _page(
    request: Request,
    session: Session,
    *,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "rows": devices.device_rows(session=session),
        "meetings": devices.open_meetings(session=session),
        "errors": {},
        "values": {},
        "issued": None,
        "links": [],
        **(extra or {}),
    }
    return render(request, "pages/devices.html", context, status=status)


def _links(request: Request, session: Session, device: DeviceToken, token: str) -> list[ScreenLink]:
    if device.meeting_id is not None:
        meeting = session.get(Meeting, device.meeting_id)
        targets = [meeting] if meeting is not None else []
    else:
        targets = devices.open_meetings(session=session)[:HALL_LINKS]
    base = str(request.base_url).rstrip("/")
    links = []
    for meeting in targets:
        assert meeting.id is not None
        url = base + devices.screen_path(device.kind, meeting.id, token)
        qr = segno.make(url, error="m").svg_data_uri(scale=4, border=4)
        links.append(ScreenLink(meeting=meeting, url=url, qr=qr))
    return links


@router.get("/devices", response_class=HTMLResponse)
def devices_page(request: Request, session: SessionDep, _staff: StaffUser) -> Response:
    return _page(request, session)


@router.post("/devices", response_class=HTMLResponse)
def create_device(
    request: Request, session: SessionDep, staff: StaffUser, form: Annotated[DeviceForm, Form()]
) -> Response:
    """Issue a device: to the screen showing the pairing code when one is given, else shown
    here (its links and QR codes carry the token, this once only)."""
    errors: FieldErrors
    try:
        data = forms.device_create(form)
        if form.code.strip():
            opens = _meeting_to_open(session, data.meeting_id)
            pairing.pair_screen(
                session=session, code=form.code, data=data, issuer=staff, opens=opens
            )
            return redirect("/devices", "device_paired")
        device, token = auth.issue_device_token(session, data=data, issuer=staff)
    except FormError as error:
        errors = error.errors
    except HopError as error:
        errors = _field_error(error)
    else:
        links = _links(request, session, device, token)
        return _page(request, session, extra={"issued": device, "links": links})
    values = form.model_dump()
    return _page(request, session, extra={"errors": errors, "values": values}, status=422)


def _meeting_to_open(session: Session, meeting_id: int | None) -> int:
    # A hall device's screen opens the soonest meeting still open.
    if meeting_id is not None:
        return meeting_id
    meetings = devices.open_meetings(session=session)
    if not meetings or meetings[0].id is None:
        raise FormError({"meeting_id": forms.NO_OPEN_MEETING})
    return meetings[0].id


def _field_error(error: HopError) -> FieldErrors:
    if isinstance(error, pairing.PairingCodeError):
        return {"code": forms.UNKNOWN_PAIRING_CODE}
    if error.field == "meeting_id":
        return {"meeting_id": forms.UNKNOWN_MEETING}
    raise error


@router.post("/devices/{device_id}/revoke", response_class=HTMLResponse)
def revoke_device(
    session: SessionDep, _staff: StaffUser, device_id: Annotated[int, Path()]
) -> Response:
    devices.revoke_device(session=session, device_id=device_id)
    return redirect("/devices", "device_revoked")
