"""Polls close themselves at their deadline.

Any server process may run this; close_poll takes the poll's exclusive lock and closing an
already closed poll returns its stored result, so two processes closing the same poll at once
store one result and record one "poll.closed".
"""

import logging
from datetime import datetime

from sqlmodel import Session, col, select

from core.errors import HopError
from models import Poll, PollStatus
from models.base import utcnow
from voting.polls import close_poll

log = logging.getLogger("hop.voting")


def due_poll_ids(*, session: Session, now: datetime | None = None) -> list[int]:
    """Open polls whose deadline has passed, oldest deadline first."""
    query = (
        select(Poll.id)
        .where(
            Poll.status == PollStatus.open,
            col(Poll.deadline).is_not(None),
            col(Poll.deadline) <= (now or utcnow()),
        )
        .order_by(col(Poll.deadline))
    )
    return [poll_id for poll_id in session.exec(query) if poll_id is not None]


def close_due_polls(*, session: Session, now: datetime | None = None) -> list[int]:
    """Close every open poll past its deadline; the ids of those this call found due."""
    closed: list[int] = []
    for poll_id in due_poll_ids(session=session, now=now):
        poll = session.get(Poll, poll_id)
        if poll is None:
            continue
        try:
            close_poll(session=session, poll=poll, now=now)
        except HopError as error:  # cancelled meanwhile by the chair: nothing to close
            log.info("poll %s not closed at its deadline: %s", poll_id, error.detail)
            continue
        closed.append(poll_id)
    return closed
