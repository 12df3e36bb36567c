"""Closes polls at their deadline while the server runs; every screen sees "poll.closed"."""

import logging

from models.db import open_session
from voting.deadlines import close_due_polls
from web.periodic import Periodic
from web.state import AppState

log = logging.getLogger("hop.voting")


def close_due(state: AppState) -> list[int]:
    """One round: close the polls past their deadline, publishing their events."""
    with open_session(state.engine, publish=state.hub.publish_threadsafe) as session:
        closed = close_due_polls(session=session)
    if closed:
        log.info("Closed at their deadline: polls %s", closed)
    return closed


def start(state: AppState) -> Periodic:
    interval = state.settings.poll_deadline_check_seconds
    return Periodic("poll-deadlines", interval, lambda: close_due(state)).start()
