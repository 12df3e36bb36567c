"""Live attendance totals for every screen: present / invited, and whether a quorum is present."""

from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from checkin.attendance import attendance_counts
from models import Meeting
from models.db import open_session
from voting.rules import quorum_met, quorum_required, quorum_state
from web.state import AppState

SUBJECT = "attendance"


def attendance_summary(
    session: Session, *, meeting: Meeting, fraction: tuple[int, int]
) -> dict[str, Any]:
    """Absolute counts, the meeting quorum, and a version that only grows (the event sequence)."""
    assert meeting.id is not None
    counts = attendance_counts(session=session, meeting_id=meeting.id)
    required = quorum_required(count=None, fraction=fraction, members=counts.voting_invited)
    quorum = {
        "required": required,
        "present": counts.voting_present,
        "members": counts.voting_invited,
    }
    return {
        **counts.as_dict(),
        "version": meeting.event_seq,
        "done": counts.present,
        "total": counts.invited,
        "quorum_required": required,
        "quorum_met": quorum_met(**quorum),
        "quorum_state": str(quorum_state(**quorum)),
    }


def _compute(engine: Engine, meeting_id: int, fraction: tuple[int, int]) -> dict[str, Any] | None:
    with open_session(engine) as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            return None
        return attendance_summary(session, meeting=meeting, fraction=fraction)


def install(state: AppState) -> None:
    """After each attendance change, every screen gets the totals (at most every 250 ms)."""
    fraction = state.settings.meeting_quorum_fraction

    async def compute(meeting_id: int, _subject: str) -> dict[str, Any] | None:
        return await run_in_threadpool(_compute, state.engine, meeting_id, fraction)

    state.hub.register_progress("attendance.changed", SUBJECT, compute)
