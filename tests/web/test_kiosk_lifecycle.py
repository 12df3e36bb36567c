"""The kiosk of a meeting that no longer takes check-ins says so instead of inviting people."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from meetings import control
from models import MeetingStatus
from tests.factories import ORIGIN, Room, login
from tests.web.checkin_support import kiosk_token


def test_the_kiosk_socket_of_a_closed_meeting_says_it_is_closed(
    client: TestClient, session: Session, room: Room
) -> None:
    login(client, room.clerk)
    token = kiosk_token(client, room.meeting.id)
    control.change_status(session=session, meeting=room.meeting, status=MeetingStatus.closed)
    url = f"/ws/kiosk/{room.meeting.id}?token={token}"
    with client.websocket_connect(url, headers=ORIGIN) as ws:
        message = ws.receive_json()
    assert message["type"] == "closed"
    assert message["status"] == "closed"
    assert message["detail"] == "The meeting is closed: attendance cannot change"


def test_the_kiosk_page_of_a_closed_meeting_invites_no_one(
    client: TestClient, session: Session, room: Room
) -> None:
    login(client, room.clerk)
    token = kiosk_token(client, room.meeting.id)
    page = client.get(f"/kiosk/{room.meeting.id}?token={token}&lang=vi")
    assert 'data-kiosk-accepting="yes"' in page.text
    assert "Nhìn vào camera để điểm danh" in page.text
    control.change_status(session=session, meeting=room.meeting, status=MeetingStatus.closed)
    closed = client.get(f"/kiosk/{room.meeting.id}?token={token}&lang=vi")
    assert closed.status_code == 200
    assert "Cuộc họp đã kết thúc: không còn điểm danh." in closed.text
    assert 'data-kiosk-accepting="no"' in closed.text
    assert "Nhìn vào camera để điểm danh" not in closed.text
    english = client.get(f"/kiosk/{room.meeting.id}?token={token}&lang=en")
    assert "The meeting has ended: check-in is closed." in english.text


def test_the_kiosk_of_a_cancelled_meeting_says_it_was_cancelled(
    client: TestClient, session: Session, room: Room
) -> None:
    login(client, room.clerk)
    token = kiosk_token(client, room.meeting.id)
    control.change_status(session=session, meeting=room.meeting, status=MeetingStatus.cancelled)
    page = client.get(f"/kiosk/{room.meeting.id}?token={token}&lang=vi")
    assert "Cuộc họp đã bị hủy: không còn điểm danh." in page.text
