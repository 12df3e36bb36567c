"""A ballot sent over the meeting's websocket once the meeting is closed: a websocket error
with the reason and status 409, and no ballot stored."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from meetings import control
from models import MeetingStatus
from tests.factories import ORIGIN, Room, login, nonce, receive_until, stored


def test_a_ballot_of_a_closed_meeting_is_refused_over_the_websocket(
    client: TestClient, session: Session, room: Room
) -> None:
    poll = room.open()
    control.change_status(session=session, meeting=room.meeting, status=MeetingStatus.closed)
    login(client, room.delegates[0])
    with client.websocket_connect(f"/ws/meetings/{room.meeting.id}", headers=ORIGIN) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        ref = nonce()
        ws.send_json({"type": "ballot", "poll_id": poll.id, "choice": "yes", "nonce": ref})
        error = receive_until(ws, "error")
    assert (error["ref"], error["status"], error["error"]) == (ref, 409, "MeetingStateError")
    assert (
        error["detail"] == "The meeting is closed: ballots can be cast only while it is in progress"
    )
    assert stored(session, poll) == 0
