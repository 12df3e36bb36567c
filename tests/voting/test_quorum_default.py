"""The meeting's quorum applies to a poll that names none of its own (issue 13, point 7)."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import assert_error, login, make_room
from voting import polls
from voting.errors import QuorumNotMetError
from web.app import create_app
from web.settings import Settings


def test_a_poll_without_a_quorum_of_its_own_needs_the_meetings(session: Session) -> None:
    room = make_room(session, delegates=8, present=False)  # 9 members with the chair
    room.present(room.chair, *room.delegates[:4])  # 5 of 9: under two thirds (6)
    poll = room.poll()
    status = polls.quorum_status(session=session, poll=poll)
    assert (status.basis, status.rule, status.required, status.met) == ("meeting", "2/3", 6, False)
    with pytest.raises(QuorumNotMetError, match="meeting quorum 2/3"):
        polls.open_poll(session=session, poll=poll)
    room.present(room.delegates[4])
    opened = polls.open_poll(session=session, poll=poll)
    assert opened.quorum_required == 6
    result = polls.close_poll(session=session, poll=opened)
    assert (result["quorum_basis"], result["quorum_required"]) == ("meeting", 6)


def test_the_meetings_quorum_is_the_one_the_app_passes(session: Session) -> None:
    room = make_room(session, delegates=3, present=False)
    room.present(room.chair, room.delegates[0])  # 2 of 4
    poll = room.poll()
    polls.open_poll(session=session, poll=poll, meeting_quorum=(1, 2))
    assert poll.quorum_required == 2


def test_a_poll_with_its_own_quorum_says_so(session: Session) -> None:
    room = make_room(session, delegates=8, present=False)
    room.present(room.chair, *room.delegates[:2])  # 3 of 9
    poll = room.poll(quorum_fraction="1/3")
    status = polls.quorum_status(session=session, poll=poll)
    assert (status.basis, status.rule, status.required, status.met) == ("poll", "1/3", 3, True)
    opened = polls.open_poll(session=session, poll=poll)
    assert polls.close_poll(session=session, poll=opened)["quorum_basis"] == "poll"
    counted = room.poll(quorum_count=4)
    with pytest.raises(QuorumNotMetError, match="poll quorum 4"):
        polls.open_poll(session=session, poll=counted)


def test_the_api_and_the_console_apply_the_configured_quorum(
    session: Session, client: TestClient, settings: Settings
) -> None:
    room = make_room(session, delegates=3, present=False)
    room.present(room.chair, room.delegates[0])  # 2 of 4: under two thirds, half of them
    poll = room.poll()
    login(client, room.chair)
    quorum = client.get(f"/api/polls/{poll.id}/quorum").json()
    assert (quorum["basis"], quorum["rule"], quorum["required"]) == ("meeting", "2/3", 3)
    page = client.get(f"/meetings/{room.meeting.id}/polls?lang=en").text
    assert "The meeting&#39;s quorum applies (2/3 of the members)" in page
    refused = assert_error(client.post(f"/api/polls/{poll.id}/open"), 409, "QuorumNotMetError")
    assert "meeting quorum 2/3" in refused["detail"]
    halves = create_app(settings.model_copy(update={"meeting_quorum": "1/2"}))
    with TestClient(halves) as other:
        login(other, room.chair)
        assert other.get(f"/api/polls/{poll.id}/quorum").json()["required"] == 2
        assert other.post(f"/api/polls/{poll.id}/open").status_code == 200
