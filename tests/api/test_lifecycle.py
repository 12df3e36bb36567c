"""A closed meeting through the API: every change the lifecycle refuses is a 409 with the
reason in words, and changes nothing."""

from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from models import Ballot, Document, Poll
from tests.factories import Room, assert_error, login, nonce


def close_meeting(client: TestClient, room: Room) -> None:
    login(client, room.clerk)
    response = client.post(f"/api/meetings/{room.meeting.id}/status", json={"status": "closed"})
    assert response.status_code == 200, response.text


def count(session: Session, table: type[Poll] | type[Ballot]) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(table)).one()


def test_a_closed_meeting_refuses_a_new_poll_and_opening_one(
    client: TestClient, session: Session, room: Room
) -> None:
    drafted = room.poll()
    close_meeting(client, room)
    polls_before = count(session, Poll)
    body = assert_error(
        client.post(f"/api/meetings/{room.meeting.id}/polls", json={"title": "Biểu quyết muộn"}),
        409,
        "MeetingStateError",
    )
    assert body["detail"] == "The meeting is closed: polls can no longer be drafted or changed"
    assert_error(client.post(f"/api/polls/{drafted.id}/open"), 409, "MeetingStateError")
    assert count(session, Poll) == polls_before
    assert client.get(f"/api/polls/{drafted.id}").json()["status"] == "draft"


def test_a_closed_meeting_refuses_ballots_but_its_open_vote_may_still_be_closed(
    client: TestClient, session: Session, room: Room
) -> None:
    poll = room.open()
    close_meeting(client, room)
    login(client, room.delegates[0])
    cast = {"nonce": nonce(), "choice": "yes"}
    assert_error(client.post(f"/api/polls/{poll.id}/ballots", json=cast), 409, "MeetingStateError")
    assert count(session, Ballot) == 0
    login(client, room.clerk)
    assert client.post(f"/api/polls/{poll.id}/close").status_code == 200


def test_a_closed_meeting_refuses_publishing_and_the_desk(
    client: TestClient, session: Session, room: Room
) -> None:
    document = Document(meeting_id=room.meeting.id or 0, title="Tờ trình", current_version=1)
    session.add(document)
    session.commit()
    close_meeting(client, room)
    assert_error(client.post(f"/api/documents/{document.id}/publish"), 409, "MeetingStateError")
    absent = room.delegates[0]
    answer = client.post(
        f"/api/meetings/{room.meeting.id}/attendance",
        json={"person_id": absent.id, "action": "check_out"},
    )
    assert_error(answer, 409, "MeetingNotOpenError")
