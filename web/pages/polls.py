"""Voting pages: the chair console, the delegate's ballot in the room, the projector's poll.

Routes are thin: they call the voting services and render; what a screen shows of a poll
(quorum, progress, result) is gathered by poll_views."""

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from meetings import live
from models import Meeting, Person
from voting import face_check, polls
from voting.errors import InvalidBallotError, InvalidPollError, PollNotFoundError, QuorumNotMetError
from web.deps import (
    CurrentUser,
    ManagedMeetingDep,
    MeetingDep,
    MeetingQuorumDep,
    SessionDep,
    get_meeting_quorum,
    get_state,
)
from web.pages import poll_views
from web.pages import speakers as speaker_pages
from web.pages.forms import FieldErrors, FormError, hop_error_fields
from web.pages.lifecycle_view import can
from web.pages.poll_forms import PollForm, poll_create
from web.pages.render import FLASH, N_, redirect, render

router = APIRouter()
Step = Literal["open", "close", "publish", "cancel"]
DONE = {"open": "poll_opened", "close": "poll_closed", "publish": "poll_published"}

FLASH.update(
    {
        "poll_created": N_("The poll was drafted."),
        "poll_opened": N_("The poll is open: the ballot is on the delegates' tablets."),
        "poll_closed": N_("The poll is closed and counted."),
        "poll_published": N_("The result was published to every screen."),
        "poll_cancelled": N_("The poll was cancelled."),
        "current_item": N_("The current agenda item was changed."),
        "desk_allowed": N_("The member may now vote from their tablet, once."),
    }
)
QUORUM_MISSING = N_("The poll cannot open: the quorum is not present.")


class DeskForm(BaseModel):
    """The console's desk-check form: the member and what the desk checked."""

    voter_id: str = ""
    reason: str = Field(default="", max_length=2000)


def render_console(
    request: Request,
    session: SessionDep,
    meeting: Meeting,
    viewer: Person,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    refused: dict[int, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The console; errors and values belong to the template form that was posted."""
    meeting_quorum = get_meeting_quorum(get_state(request))
    context = {
        **poll_views.console_data(
            session=session, meeting=meeting, viewer=viewer, meeting_quorum=meeting_quorum
        ),
        **speaker_pages.queue_context(session, meeting),
        "errors": errors or {},
        "values": values or {},
        "refused": refused or {},
    }
    return render(request, "pages/chair_console.html", context, status=status)


def _back(meeting: Meeting, msg: str, poll_id: int | None = None) -> Response:
    anchor = f"poll-{poll_id}" if poll_id else "polls"
    return redirect(f"/meetings/{meeting.id}/polls", msg, anchor=anchor)


@router.get("/meetings/{meeting_id}/polls", response_class=HTMLResponse)
def console(
    request: Request, meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    return render_console(request, session, meeting, person)


@router.get("/meetings/{meeting_id}/polls/list", response_class=HTMLResponse)
def console_list(
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    meeting_quorum: MeetingQuorumDep,
) -> Response:
    """The console's poll list, re-fetched by the live client when a poll changes."""
    data = poll_views.console_data(
        session=session, meeting=meeting, viewer=person, meeting_quorum=meeting_quorum
    )
    context = {**data, "refused": {}, "can": can(session, meeting)}
    return render(request, "fragments/poll_list.html", context)


@router.post("/meetings/{meeting_id}/polls", response_class=HTMLResponse)
def create(
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    form: Annotated[PollForm, Form()],
) -> Response:
    errors: FieldErrors
    try:
        data = poll_create(form)
        poll = polls.create_poll(session=session, meeting=meeting, data=data, creator=person)
    except FormError as error:
        errors = error.errors
    except InvalidPollError as error:
        errors = hop_error_fields(error)
    else:
        return _back(meeting, "poll_created", poll.id)
    values = form.model_dump()
    return render_console(
        request, session, meeting, person, errors=errors, values=values, status=422
    )


@router.post("/meetings/{meeting_id}/polls/{poll_id}/{step}", response_class=HTMLResponse)
def change_state(
    request: Request,
    poll_id: int,
    step: Step,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    meeting_quorum: MeetingQuorumDep,
) -> Response:
    """Open, close, publish or cancel; an open refused for lack of quorum says why."""
    poll = polls.get_managed_poll(session=session, poll_id=poll_id, viewer=person)
    if poll.meeting_id != meeting.id:
        raise PollNotFoundError(f"Poll {poll_id} not found")
    if step == "open":
        try:
            polls.open_poll(session=session, poll=poll, meeting_quorum=meeting_quorum)
        except QuorumNotMetError:
            refused = {poll_id: QUORUM_MISSING}
            return render_console(request, session, meeting, person, refused=refused, status=409)
    elif step == "close":
        polls.close_poll(session=session, poll=poll)
    elif step == "publish":
        polls.publish_poll(session=session, poll=poll)
    else:
        polls.cancel_poll(session=session, poll=poll)
    return _back(meeting, DONE.get(step, "poll_cancelled"), poll_id)


@router.post("/meetings/{meeting_id}/polls/{poll_id}/desk/allow", response_class=HTMLResponse)
def allow_after_desk_check(
    poll_id: int,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    form: Annotated[DeskForm, Form()],
) -> Response:
    """The chair lets a member vote whose face the tablet did not match, after the desk
    checked them (voting.face_check: the same permit, recorded with the reason)."""
    poll = polls.get_managed_poll(session=session, poll_id=poll_id, viewer=person)
    if poll.meeting_id != meeting.id:
        raise PollNotFoundError(f"Poll {poll_id} not found")
    if not form.voter_id.isdigit() or not form.reason.strip():
        raise InvalidBallotError("Choose the member and say what the desk checked")
    face_check.allow_after_desk_check(
        session=session,
        poll=poll,
        voter_id=int(form.voter_id),
        chair=person,
        reason=form.reason.strip()[:500],
    )
    return _back(meeting, "desk_allowed", poll_id)


@router.post("/meetings/{meeting_id}/current-item")
def current_item(
    meeting: ManagedMeetingDep, session: SessionDep, item_id: Annotated[str, Form()] = ""
) -> Response:
    """The chair moves the meeting to an agenda item (or none) from the console."""
    chosen = int(item_id) if item_id.isdigit() else None
    live.set_current_item(session, meeting=meeting, item_id=chosen)
    return _back(meeting, "current_item")


@router.get("/room/{meeting_id}/ballot", response_class=HTMLResponse)
def ballot(
    request: Request, meeting: MeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    """The delegate's ballots for the open polls, re-fetched when a poll opens or ends."""
    context = poll_views.ballot_data(session=session, meeting=meeting, viewer=person)
    return render(request, "fragments/poll_ballot.html", context)
