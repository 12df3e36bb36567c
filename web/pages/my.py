"""My meetings (anyone logged in): upcoming and past, with the reply to each invitation."""

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from meetings import access, scheduling, views
from meetings.errors import InvitationNotFoundError
from models import Reply
from web.deps import CurrentUser, MeetingDep, SessionDep
from web.pages.render import redirect, render

router = APIRouter()


@router.get("/my", response_class=HTMLResponse)
def my_meetings(
    request: Request,
    session: SessionDep,
    person: CurrentUser,
    tab: Literal["upcoming", "past"] = "upcoming",
) -> Response:
    rows = views.my_meetings(session=session, viewer=person, when=tab)
    return render(request, "pages/my.html", {"tab": tab, "rows": rows})


@router.post("/my/{meeting_id}/reply")
def reply(
    meeting: MeetingDep,
    session: SessionDep,
    person: CurrentUser,
    reply: Annotated[Literal[Reply.accepted, Reply.declined], Form()],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    assert meeting.id is not None
    assert person.id is not None
    invitation = access.find_invitation(session, meeting_id=meeting.id, person_id=person.id)
    if invitation is None:
        raise InvitationNotFoundError("You are not invited to this meeting")
    scheduling.reply_to_invitation(
        session=session, invitation=invitation, reply=reply, reason=reason
    )
    return redirect("/my", "replied", anchor=f"meeting-{meeting.id}")
