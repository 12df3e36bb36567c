"""Speaker queue pages: ask to speak in the room, run the queue from the console (the
projector's speaker and timer are part of its focus: web.pages.projector_focus); and the
chair's start/close of the meeting.

Each part is a fragment the live client re-fetches on `speakers_changed` (and when the current
item or the meeting status changes), so every screen shows the same queue."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from core.errors import HopError
from meetings import access, lifecycle, scheduling, speakers
from meetings import control as meeting_control
from meetings.errors import StatusTransitionError
from meetings.presence import is_present
from models import Meeting, MeetingRole, MeetingStatus, Person
from models.base import as_utc, utcnow
from web.deps import CurrentUser, ManagedMeetingDep, MeetingDep, SessionDep
from web.pages.lifecycle_view import can
from web.pages.render import FLASH, N_, redirect, render

router = APIRouter()
Action = Literal["up", "down", "start", "end", "withdraw"]
# What the chair may do to a meeting from the console: start it, then close it.
CONTROL = frozenset({MeetingStatus.in_progress, MeetingStatus.closed})

FLASH.update(
    {
        "speech_requested": N_("You are in the queue to speak."),
        "speech_withdrawn": N_("Your request to speak was withdrawn."),
        "speech_not_present": N_("Check in at the meeting before asking to speak."),
        "speech_duplicate": N_("You have already asked to speak on this agenda item."),
        "speech_refused": N_("That change to the speaker queue is no longer possible."),
        "speakers_changed": N_("The speaker queue was updated."),
        "status_refused": N_("The meeting cannot change to that status now."),
    }
)
REFUSALS = {
    speakers.NotPresentError: "speech_not_present",
    speakers.AlreadyRequestedError: "speech_duplicate",
}


def iso(value: datetime | None) -> str:
    """A stored time for the browser's clock (UTC, ISO 8601)."""
    return as_utc(value).isoformat() if value is not None else ""


def queue_context(session: Session, meeting: Meeting) -> dict[str, Any]:
    item_id = meeting.current_item_id
    item = (
        scheduling.get_agenda_item(session=session, meeting=meeting, item_id=item_id)
        if item_id is not None
        else None
    )
    queue = speakers.queue_of(session=session, meeting=meeting, item_id=item_id)
    return {
        "meeting": meeting,
        "item": item,
        "queue": queue,
        "waiting": [row for row in queue.queue if row.status == "waiting"],
        "iso": iso,
        "now": iso(utcnow()),
        "can": can(session, meeting),
    }


def _asking_state(session: Session, meeting: Meeting, person: Person) -> str:
    """What the delegate's control offers: ask, withdraw, or why neither."""
    assert meeting.id is not None
    assert person.id is not None
    invitation = access.find_invitation(session, meeting_id=meeting.id, person_id=person.id)
    if invitation is None or invitation.role == MeetingRole.observer:
        return "none"
    if not lifecycle.allows(session, meeting, lifecycle.Action.ask_to_speak):
        return "closed"
    if not is_present(session=session, meeting_id=meeting.id, person_id=person.id):
        return "absent"
    return "ask"


def room_context(session: Session, meeting: Meeting, person: Person) -> dict[str, Any]:
    context = queue_context(session, meeting)
    assert person.id is not None
    mine = speakers.open_request_of(
        session=session, meeting=meeting, person_id=person.id, item_id=meeting.current_item_id
    )
    asking = "mine" if mine is not None else _asking_state(session, meeting, person)
    waiting_ids = [row.id for row in context["waiting"]]
    place = waiting_ids.index(mine.id) + 1 if mine is not None and mine.id in waiting_ids else 0
    return {**context, "mine": mine, "asking": asking, "place": place}


@router.get("/room/{meeting_id}/speakers", response_class=HTMLResponse)
def room_speakers(
    request: Request, meeting: MeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    """The queue of the current item and the delegate's own ask/withdraw control."""
    context = room_context(session, meeting, person)
    return render(request, "fragments/room_speakers.html", context)


@router.post("/room/{meeting_id}/speakers")
def ask(
    meeting: MeetingDep,
    session: SessionDep,
    person: CurrentUser,
    note: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        speakers.request_floor(session=session, meeting=meeting, person=person, note=note)
    except (speakers.NotPresentError, speakers.AlreadyRequestedError) as error:
        return _to_room(meeting, REFUSALS[type(error)])
    except HopError:
        return _to_room(meeting, "speech_refused")
    return _to_room(meeting, "speech_requested")


@router.post("/room/{meeting_id}/speakers/{speech_id}/withdraw")
def withdraw(
    speech_id: int, meeting: MeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    speech = speakers.get_speech(session=session, meeting=meeting, speech_id=speech_id)
    try:
        speakers.withdraw_request(session=session, meeting=meeting, speech=speech, viewer=person)
    except speakers.SpeechStateError:
        return _to_room(meeting, "speech_refused")
    return _to_room(meeting, "speech_withdrawn")


def _to_room(meeting: Meeting, msg: str) -> Response:
    return redirect(f"/room/{meeting.id}", msg, anchor="speakers")


@router.get("/meetings/{meeting_id}/speakers/console", response_class=HTMLResponse)
def console_speakers(request: Request, meeting: ManagedMeetingDep, session: SessionDep) -> Response:
    """The console's queue with its buttons, re-fetched on every queue change."""
    return render(request, "fragments/console_speakers.html", queue_context(session, meeting))


@router.post("/meetings/{meeting_id}/speakers/{speech_id}/{action}")
def run_queue(
    speech_id: int,
    action: Action,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    limit_minutes: Annotated[str, Form()] = "",
) -> Response:
    """Move up or down, start, end or remove a request; a stale click says so."""
    speech = speakers.get_speech(session=session, meeting=meeting, speech_id=speech_id)
    try:
        if action in ("up", "down"):
            offset = -1 if action == "up" else 1
            speakers.move_request(session=session, meeting=meeting, speech=speech, offset=offset)
        elif action == "start":
            limit = _limit_seconds(limit_minutes)
            speakers.start_speech(
                session=session, meeting=meeting, speech=speech, limit_seconds=limit
            )
        elif action == "end":
            speakers.end_speech(session=session, meeting=meeting, speech=speech)
        else:
            speakers.withdraw_request(
                session=session, meeting=meeting, speech=speech, viewer=person
            )
    except (speakers.SpeechStateError, speakers.MeetingNotRunningError):
        return _to_console(meeting, "speech_refused", "speakers")
    return _to_console(meeting, "speakers_changed", "speakers")


def _limit_seconds(minutes: str) -> int | None:
    # An empty or unreadable field means no limit: the timer then only counts up.
    try:
        value = float(minutes.replace(",", "."))
    except ValueError:
        return None
    return round(value * 60) if 0 < value <= 240 else None


@router.post("/meetings/{meeting_id}/control")
def control(
    meeting: ManagedMeetingDep, session: SessionDep, status: Annotated[MeetingStatus, Form()]
) -> Response:
    """Start or close the meeting from the console; closing ends the speech in progress."""
    if status not in CONTROL:
        return _to_console(meeting, "status_refused", "control")
    try:
        meeting_control.change_status(session=session, meeting=meeting, status=status)
    except StatusTransitionError:
        return _to_console(meeting, "status_refused", "control")
    return _to_console(meeting, "status_changed", "control")


def _to_console(meeting: Meeting, msg: str, anchor: str) -> Response:
    return redirect(f"/meetings/{meeting.id}/polls", msg, anchor=anchor)
