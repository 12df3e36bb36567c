"""Login, logout, who am I, and device tokens."""

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from meetings import people
from models import (
    DeviceTokenCreate,
    DeviceTokenIssued,
    DeviceTokenPublic,
    PersonPublic,
)
from web import audit_log, auth, devices, ratelimit
from web.deps import CurrentDevice, CurrentUser, SessionDep, StaffUser, StateDep, get_gettext

router = APIRouter(tags=["auth"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class LoginResult(BaseModel):
    person: PersonPublic
    csrf_token: str


@router.post("/login")
def login(
    credentials: Credentials,
    request: Request,
    response: Response,
    session: SessionDep,
    state: StateDep,
) -> LoginResult:
    """Start a session: sets the session cookie and returns the CSRF token to echo."""
    address = auth.client_address(request)
    gettext = get_gettext(request)
    ratelimit.check_login(state, username=credentials.username, address=address, gettext=gettext)
    person = people.authenticate(
        session=session, username=credentials.username, password=credentials.password
    )
    if person is None:
        ratelimit.login_failed(state, username=credentials.username, address=address)
        audit_log.login_failed(session, request, credentials.username)
        raise HTTPException(status_code=401, detail="Wrong username or password")
    ratelimit.login_succeeded(state, username=credentials.username)
    auth.end_session(session, request.cookies.get(auth.SESSION_COOKIE))
    audit_log.logged_in(session, request, person)
    token = auth.start_session(session, person=person, hours=state.settings.session_hours)
    auth.set_session_cookie(response, request, token, hours=state.settings.session_hours)
    csrf = auth.new_token()
    auth.set_csrf_cookie(response, request, csrf)
    return LoginResult(person=PersonPublic.model_validate(person), csrf_token=csrf)


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, session: SessionDep) -> None:
    """End the session."""
    auth.end_session(session, request.cookies.get(auth.SESSION_COOKIE))
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    response.headers["clear-site-data"] = auth.CLEAR_SITE_DATA


@router.get("/me")
def me(person: CurrentUser) -> PersonPublic:
    """The logged-in person."""
    return PersonPublic.model_validate(person)


@router.post("/devices", status_code=201)
def issue_device(
    data: DeviceTokenCreate, session: SessionDep, staff: StaffUser
) -> DeviceTokenIssued:
    """Issue a bearer token for a kiosk or projector; the token is shown only now."""
    device, token = auth.issue_device_token(session, data=data, issuer=staff)
    return DeviceTokenIssued.model_validate(device, update={"token": token})


@router.get("/devices")
def list_devices(session: SessionDep, _staff: StaffUser) -> list[DeviceTokenPublic]:
    """Every device token, newest first."""
    rows = devices.list_devices(session=session)
    return [DeviceTokenPublic.model_validate(row) for row in rows]


@router.post("/devices/{device_id}/revoke")
def revoke_device(device_id: int, session: SessionDep, _staff: StaffUser) -> DeviceTokenPublic:
    """Revoke a device token at once."""
    device = devices.revoke_device(session=session, device_id=device_id)
    return DeviceTokenPublic.model_validate(device)


@router.get("/devices/me")
def this_device(device: CurrentDevice) -> DeviceTokenPublic:
    """The device behind the bearer token (to check a token works)."""
    return DeviceTokenPublic.model_validate(device)
