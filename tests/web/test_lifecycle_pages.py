"""Pages hide what the meeting's lifecycle refuses: the console and the desk of a closed
meeting offer no new poll, no open, no current item, no check-in."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from meetings import control
from models import MeetingStatus
from tests.factories import Room, login


def test_the_console_of_a_closed_meeting_offers_nothing_new(
    client: TestClient, session: Session, room: Room
) -> None:
    drafted = room.poll()
    login(client, room.clerk)
    url = f"/meetings/{room.meeting.id}/polls?lang=en"
    running = client.get(url).text
    assert f"/polls/{drafted.id}/open" in running
    assert "Draft the poll" in running
    assert f"/meetings/{room.meeting.id}/current-item" in running
    control.change_status(session=session, meeting=room.meeting, status=MeetingStatus.closed)
    closed = client.get(url).text
    assert f"/polls/{drafted.id}/open" not in closed
    assert "Draft the poll" not in closed
    assert "No new poll can be drafted in this meeting any more." in closed
    assert f"/meetings/{room.meeting.id}/current-item" not in closed


def test_the_desk_of_a_closed_meeting_has_no_check_in_buttons(
    client: TestClient, session: Session, room: Room
) -> None:
    login(client, room.clerk)
    url = f"/meetings/{room.meeting.id}/checkin/list?lang=en"
    assert 'class="desk-form"' in client.get(url).text
    control.change_status(session=session, meeting=room.meeting, status=MeetingStatus.closed)
    closed = client.get(url).text
    assert 'class="desk-form"' not in closed
    assert "Attendance is closed." in closed
