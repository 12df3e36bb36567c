"""Polls close themselves at their deadline: the service, and the server's background round
that sends "poll.closed" to every screen."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Poll, PollStatus
from models.base import utcnow
from tests.factories import ORIGIN, Room, login, receive_until
from voting import polls
from voting.deadlines import close_due_polls, due_poll_ids
from web.settings import Settings


def test_a_poll_past_its_deadline_is_closed_with_its_result(room: Room) -> None:
    now = utcnow()
    poll = room.open(deadline=now + timedelta(hours=1))
    room.cast(poll, room.delegates[0], choice="yes")
    room.cast(poll, room.delegates[1], choice="no")
    assert close_due_polls(session=room.session, now=now + timedelta(minutes=59)) == []

    assert close_due_polls(session=room.session, now=now + timedelta(hours=2)) == [poll.id]

    room.session.refresh(poll)
    assert poll.status == PollStatus.closed
    assert poll.result is not None
    assert poll.result["ballots"] == 2
    # A second round finds nothing more to close and keeps the stored result.
    assert close_due_polls(session=room.session, now=now + timedelta(hours=3)) == []
    assert polls.close_poll(session=room.session, poll=poll) == poll.result


def test_polls_without_a_deadline_or_not_open_are_left_alone(room: Room) -> None:
    now = utcnow()
    endless = room.open()
    draft = room.poll(deadline=now + timedelta(hours=1))
    cancelled = room.open(deadline=now + timedelta(hours=1))
    polls.cancel_poll(session=room.session, poll=cancelled)

    assert due_poll_ids(session=room.session, now=now + timedelta(days=1)) == []
    assert close_due_polls(session=room.session, now=now + timedelta(days=1)) == []
    for poll, status in (
        (endless, PollStatus.open),
        (draft, PollStatus.draft),
        (cancelled, PollStatus.cancelled),
    ):
        room.session.refresh(poll)
        assert poll.status == status


def test_a_cast_after_the_deadline_is_refused_before_the_round_closes_it(room: Room) -> None:
    poll = room.open(deadline=utcnow() + timedelta(hours=1))
    _move_deadline_to_the_past(room.session, poll)
    with pytest.raises(Exception, match="deadline"):
        room.cast(poll, room.delegates[0], choice="yes")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.poll_deadline_check_seconds = 0.05
    return settings


def test_the_server_closes_a_due_poll_and_every_screen_hears_it(
    client: TestClient, room: Room
) -> None:
    poll = room.open(deadline=utcnow() + timedelta(hours=1))
    room.cast(poll, room.delegates[0], choice="yes")
    login(client, room.delegates[1])
    with client.websocket_connect(f"/ws/meetings/{room.meeting.id}", headers=ORIGIN) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        _move_deadline_to_the_past(room.session, poll)
        closed: dict[str, Any] = receive_until(ws, "poll.closed")
    assert closed["data"]["poll_id"] == poll.id
    assert closed["data"]["ballots"] == 1
    room.session.refresh(poll)
    assert poll.status == PollStatus.closed


def _move_deadline_to_the_past(session: Session, poll: Poll) -> None:
    """Time passes: the deadline is now a second ago (open_poll refuses a past deadline)."""
    poll.deadline = utcnow() - timedelta(seconds=1)
    session.add(poll)
    session.commit()
