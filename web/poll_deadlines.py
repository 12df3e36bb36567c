"""Deadlines while the server runs: polls and comment rounds close at theirs (every screen sees
"poll.closed" / "round.closed"), and members who have not commented on a draft or answered a
written consultation are reminded the day before (e-mail when it is set up, and a notice on
their tablets)."""

import logging

from models.db import open_session
from voting import written
from voting.deadlines import close_due_polls
from voting.round_answers import LinkFor, remind_due
from voting.rounds import close_due_rounds
from web.mail import mail_config
from web.periodic import Periodic
from web.state import AppState

log = logging.getLogger("hop.voting")


def close_due(state: AppState) -> list[int]:
    """One round: close the polls past their deadline, publishing their events."""
    with open_session(state.engine, publish=state.hub.publish_threadsafe) as session:
        closed = close_due_polls(session=session)
    if closed:
        log.info("Closed at their deadline: polls %s", closed)
    close_rounds(state)
    return closed


def close_rounds(state: AppState) -> list[int]:
    """Close the comment rounds past their deadline, then send the reminders now due."""
    settings = state.settings
    with open_session(state.engine, publish=state.hub.publish_threadsafe) as session:
        closed = close_due_rounds(session=session)
        config = mail_config(settings)
        reminded = remind_due(session, config=config, link_for=LinkFor(settings.public_url))
        reminded += written.remind_due(
            session, config=config, link_for=written.LinkFor(settings.public_url)
        )
    if closed or reminded:
        log.info("Comment rounds closed %s, reminded %s", closed, reminded)
    return closed


def start(state: AppState) -> Periodic:
    interval = state.settings.poll_deadline_check_seconds
    return Periodic("poll-deadlines", interval, lambda: close_due(state)).start()
