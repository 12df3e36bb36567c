"""The chair's control of the meeting as a whole: start and close it. Closing ends the speech
in progress first, whichever screen or client closed it."""

from sqlmodel import Session

from meetings import lifecycle, scheduling, speakers
from models import Meeting, MeetingStatus


def change_status(*, session: Session, meeting: Meeting, status: MeetingStatus) -> Meeting:
    """scheduling.change_status, with the floor closed when the meeting closes or is cancelled."""
    scheduling.require_transition(meeting, status)  # before the floor is closed
    if status in lifecycle.OVER:
        speakers.end_current_speech(session=session, meeting=meeting)
    return scheduling.change_status(session=session, meeting=meeting, status=status)
