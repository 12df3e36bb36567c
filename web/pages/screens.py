"""Who is looking at a hall screen: a logged-in person or a device with a token.

A token that does not open the meeting (unknown, revoked) is refused with 403, never sent to
the login form: a screen cannot log in. The projector's page then says so in the site's
language (pages/screen_refused.html); its fragments get web.auth.screen_refused. Without any
token nor login, the login form, as for every page (a staff member opening the projector)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request

from meetings import access
from models import Meeting, Person
from web.auth import (
    SESSION_COOKIE,
    DeviceRefusedError,
    bearer_token,
    device_for_meeting,
    person_for_session,
    screen_refused,
)
from web.deps import SessionDep


@dataclass(frozen=True)
class Screen:
    """A meeting shown on a screen, and the device token the page must reuse for live updates."""

    meeting: Meeting
    person: Person | None
    token: str | None


def find_screen(request: Request, session: SessionDep, meeting_id: int) -> Screen | None:
    """A projector opens its page with ?token=…; people use their login. None for a token that
    opens nothing (unknown or revoked); 404 for another meeting, the login form for no token."""
    meeting = session.get(Meeting, meeting_id)
    person = person_for_session(session, request.cookies.get(SESSION_COOKIE))
    request.state.person = person
    if meeting is not None and person is not None:
        if access.can_view(session, meeting=meeting, viewer=person):
            return Screen(meeting=meeting, person=person, token=None)
        raise HTTPException(status_code=404, detail=f"Meeting {meeting_id} not found")
    token = request.query_params.get("token") or bearer_token(request)
    try:
        device_for_meeting(session, token, meeting_id)
    except DeviceRefusedError as refused:
        if person is None and refused.token and token is None:
            raise HTTPException(status_code=401, detail="Log in or use a device token") from None
        if person is None and refused.token:
            return None
        raise HTTPException(status_code=404, detail=str(refused)) from None
    assert meeting is not None  # the device check found it
    return Screen(meeting=meeting, person=None, token=token)


def get_screen(request: Request, session: SessionDep, meeting_id: Annotated[int, Path()]) -> Screen:
    """find_screen for the screen's fragments: 403 for a refused token."""
    screen = find_screen(request, session, meeting_id)
    if screen is None:
        raise screen_refused()
    return screen


ScreenDep = Annotated[Screen, Depends(get_screen)]
