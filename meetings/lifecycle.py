"""A meeting's lifecycle, the one rule every domain asks: which status may follow which, and
what each status (and final minutes) allows. Domains call `require`; pages call `allows` or
`allowed_actions` and hide what cannot be done."""

from enum import StrEnum

from sqlmodel import Session, select

from meetings.errors import MeetingStateError, StatusTransitionError
from models import Meeting, MeetingStatus, Minutes, MinutesStatus

# Which status may follow which; closed and cancelled are final.
TRANSITIONS: dict[MeetingStatus, frozenset[MeetingStatus]] = {
    MeetingStatus.draft: frozenset({MeetingStatus.scheduled, MeetingStatus.cancelled}),
    MeetingStatus.scheduled: frozenset(
        {MeetingStatus.draft, MeetingStatus.in_progress, MeetingStatus.cancelled}
    ),
    MeetingStatus.in_progress: frozenset({MeetingStatus.closed, MeetingStatus.cancelled}),
    MeetingStatus.closed: frozenset(),
    MeetingStatus.cancelled: frozenset(),
}
# A meeting is over once no status may follow: closed or cancelled.
OVER = frozenset(status for status, following in TRANSITIONS.items() if not following)


class Action(StrEnum):
    """What a domain may be asked to do to a meeting; reading and exports are always allowed."""

    draft_poll = "draft_poll"  # create, change, delete a draft poll
    open_poll = "open_poll"
    cast_ballot = "cast_ballot"
    close_poll = "close_poll"  # close an open poll, publish or cancel a poll
    ask_to_speak = "ask_to_speak"  # ask, withdraw, and the chair's ordering of the queue
    run_speakers = "run_speakers"  # give and end the floor
    set_current_item = "set_current_item"
    check_in = "check_in"  # check in or out: face, QR, the desk
    publish_document = "publish_document"


_BEFORE = frozenset({MeetingStatus.draft, MeetingStatus.scheduled, MeetingStatus.in_progress})
_ARRIVING = frozenset({MeetingStatus.scheduled, MeetingStatus.in_progress})
_RUNNING = frozenset({MeetingStatus.in_progress})

# The statuses in which each action is accepted (unless the minutes are final).
ALLOWED: dict[Action, frozenset[MeetingStatus]] = {
    # Polls and papers are prepared before the meeting as well as during it.
    Action.draft_poll: _BEFORE,
    Action.publish_document: _BEFORE,
    # The desk and the kiosk are set up and tried before a meeting is announced (as before).
    Action.check_in: _BEFORE,
    # Delegates queue to speak as they arrive; only a running meeting gives the floor.
    Action.ask_to_speak: _ARRIVING,
    Action.run_speakers: _RUNNING,
    Action.set_current_item: _RUNNING,
    Action.open_poll: _RUNNING,
    Action.cast_ballot: _RUNNING,
    # A vote still open when the meeting closes (or is cancelled) may be closed and its result
    # published, so the minutes can record it and a poll's deadline can still close it;
    # nothing new is started.
    Action.close_poll: frozenset(
        {MeetingStatus.in_progress, MeetingStatus.closed, MeetingStatus.cancelled}
    ),
}

# What each refusal says, after "The meeting is <status>: ".
_REFUSED: dict[Action, str] = {
    Action.draft_poll: "polls can no longer be drafted or changed",
    Action.open_poll: "polls can be opened only while it is in progress",
    Action.cast_ballot: "ballots can be cast only while it is in progress",
    Action.close_poll: "polls can no longer be closed, published or cancelled",
    Action.ask_to_speak: "it is not taking requests to speak",
    Action.run_speakers: "start the meeting before giving anyone the floor",
    Action.set_current_item: "the current agenda item can be set only while it is in progress",
    Action.check_in: "attendance cannot change",
    Action.publish_document: "documents can no longer be published",
}
_STATUS_WORDS = {
    MeetingStatus.draft: "a draft",
    MeetingStatus.scheduled: "scheduled but not started",
    MeetingStatus.in_progress: "in progress",
    MeetingStatus.closed: "closed",
    MeetingStatus.cancelled: "cancelled",
}


def is_over(meeting: Meeting) -> bool:
    """Closed or cancelled: invitations, replies and new devices are for meetings to come."""
    return MeetingStatus(meeting.status) in OVER


def require_transition(meeting: Meeting, status: MeetingStatus) -> None:
    """StatusTransitionError unless the meeting may move to this status now."""
    current = MeetingStatus(meeting.status)
    if status not in TRANSITIONS[current]:
        raise StatusTransitionError(f"A {current.value} meeting cannot become {status.value}")


def minutes_final(session: Session, meeting: Meeting) -> bool:
    """Whether a version of the meeting's minutes has been finalised (one query)."""
    query = select(Minutes.id).where(
        Minutes.meeting_id == meeting.id, Minutes.status == MinutesStatus.final
    )
    return session.exec(query.limit(1)).first() is not None


def allowed_actions(session: Session, meeting: Meeting) -> frozenset[Action]:
    """Every action the meeting accepts now: for a page deciding what to show."""
    allowed = _by_status(MeetingStatus(meeting.status))
    if allowed and minutes_final(session, meeting):
        return frozenset()
    return allowed


def allows(session: Session, meeting: Meeting, action: Action) -> bool:
    """Whether the meeting accepts the action now."""
    return action in allowed_actions(session, meeting)


def refusal(
    session: Session,
    meeting: Meeting,
    action: Action,
    *,
    error: type[MeetingStateError] = MeetingStateError,
) -> MeetingStateError | None:
    """The error that refuses the action now, or None when it is accepted."""
    status = MeetingStatus(meeting.status)
    if status not in ALLOWED[action]:
        return error(f"The meeting is {_STATUS_WORDS[status]}: {_REFUSED[action]}")
    if minutes_final(session, meeting):
        return error("The minutes of the meeting are final: nothing of the meeting changes now")
    return None


def require(
    session: Session,
    meeting: Meeting,
    action: Action,
    *,
    error: type[MeetingStateError] = MeetingStateError,
) -> None:
    """Raise the domain error (409) unless the meeting accepts the action now."""
    refused = refusal(session, meeting, action, error=error)
    if refused is not None:
        raise refused


def _by_status(status: MeetingStatus) -> frozenset[Action]:
    return frozenset(action for action, statuses in ALLOWED.items() if status in statuses)
