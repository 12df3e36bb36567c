"""Speaker queue and meeting control on the pages: room, chair console, projector, live events."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from meetings import speakers
from models import Meeting, MeetingStatus
from models.speaker import SpeechRequest, SpeechStatus
from tests.factories import SpeakerRoom as Room
from tests.factories import issue_projector, login, make_speaker_room


@pytest.fixture
def room(session: Session) -> Room:
    return make_speaker_room(session)


def ask(session: Session, room: Room, n: int) -> int:
    speech = speakers.request_floor(session=session, meeting=room.meeting, person=room.delegates[n])
    assert speech.id is not None
    return speech.id


def queue_rows(session: Session, room: Room) -> list[SpeechRequest]:
    """The queue as the server left it (not as this test's session remembers it)."""
    session.expire_all()
    return speakers.list_queue(session=session, meeting=room.meeting, item_id=room.item_id)


def queue_fragment(client: TestClient, room: Room) -> str:
    """The room's speaker fragment, in English, as the logged-in client sees it."""
    return client.get(f"/room/{room.meeting.id}/speakers?lang=en").text


def refresh(session: Session, meeting: Meeting) -> Meeting:
    session.refresh(meeting)
    return meeting


def test_the_room_shows_the_queue_in_vietnamese_and_english(
    client: TestClient, session: Session, room: Room
) -> None:
    ask(session, room, 1)
    login(client, room.delegates[0])
    page = client.get(f"/room/{room.meeting.id}?lang=vi").text
    assert 'data-live-on="speakers_changed meeting.current_item meeting.status"' in page
    assert "Phát biểu" in page
    assert room.delegates[1].full_name in page
    assert "Đăng ký phát biểu" in page
    english = queue_fragment(client, room)
    assert "Ask to speak" in english
    assert "Agenda item: Khai mạc" in english


def test_a_delegate_asks_and_withdraws_from_the_room(
    client: TestClient, session: Session, room: Room
) -> None:
    login(client, room.delegates[0])
    asked = client.post(
        f"/room/{room.meeting.id}/speakers", data={"note": "Ngân sách"}, follow_redirects=False
    )
    assert asked.status_code == 303
    assert "msg=speech_requested" in asked.headers["location"]
    fragment = queue_fragment(client, room)
    assert "You are number 1 in the queue." in fragment
    speech_id = queue_rows(session, room)[0].id
    client.post(f"/room/{room.meeting.id}/speakers/{speech_id}/withdraw", follow_redirects=False)
    fragment = queue_fragment(client, room)
    assert "No one is waiting to speak." in fragment
    assert "Ask to speak" in fragment


def test_a_delegate_not_checked_in_is_told_why(
    client: TestClient, session: Session, room: Room
) -> None:
    login(client, room.delegates[2])
    fragment = queue_fragment(client, room)
    assert "Check in at the meeting before asking to speak." in fragment
    assert "Ask to speak" not in fragment
    refused = client.post(f"/room/{room.meeting.id}/speakers", data={}, follow_redirects=False)
    assert "msg=speech_not_present" in refused.headers["location"]
    assert queue_rows(session, room) == []
    location = refused.headers["location"].split("#")[0]
    again = client.get(f"{location}&lang=vi").text
    assert "Hãy điểm danh tại cuộc họp trước khi đăng ký phát biểu." in again


def test_the_chair_runs_the_queue_from_the_console(
    client: TestClient, session: Session, room: Room
) -> None:
    a, b = ask(session, room, 0), ask(session, room, 1)
    login(client, room.clerk)
    base = f"/meetings/{room.meeting.id}/speakers"
    console = client.get(f"/meetings/{room.meeting.id}/polls?lang=en").text
    assert "Give the floor" in console
    assert "Start the meeting" not in console  # already in progress
    assert "Close the meeting" in console
    assert client.post(f"{base}/{b}/up", follow_redirects=False).status_code == 303
    queue = queue_rows(session, room)
    assert [row.id for row in queue] == [b, a]
    client.post(f"{base}/{b}/start", data={"limit_minutes": "2"}, follow_redirects=False)
    client.post(f"{base}/{a}/start", data={"limit_minutes": ""}, follow_redirects=False)
    fragment = client.get(f"{base}/console?lang=vi").text
    assert "Đang phát biểu" in fragment
    assert "Kết thúc phát biểu" in fragment
    assert "Đã phát biểu" in fragment
    stale = client.post(f"{base}/{b}/end", follow_redirects=False)
    assert "msg=speech_refused" in stale.headers["location"]
    client.post(f"{base}/{a}/end", follow_redirects=False)
    rows = queue_rows(session, room)
    assert [(row.id, row.status, row.limit_seconds) for row in rows] == [
        (b, SpeechStatus.done, 120),
        (a, SpeechStatus.done, None),
    ]


def test_delegates_cannot_use_the_console_routes(
    client: TestClient, session: Session, room: Room
) -> None:
    a = ask(session, room, 0)
    login(client, room.delegates[1])
    assert (
        client.post(
            f"/meetings/{room.meeting.id}/speakers/{a}/start", follow_redirects=False
        ).status_code
        == 403
    )
    control = client.post(
        f"/meetings/{room.meeting.id}/control", data={"status": "closed"}, follow_redirects=False
    )
    assert control.status_code == 403
    assert refresh(session, room.meeting).status == MeetingStatus.in_progress
    assert speakers.current_speech(session=session, meeting=room.meeting) is None


def test_the_projector_shows_the_speaker_and_a_timer(
    client: TestClient, session: Session, room: Room
) -> None:
    a = ask(session, room, 0)
    ask(session, room, 1)
    speech = speakers.get_speech(session=session, meeting=room.meeting, speech_id=a)
    speakers.start_speech(session=session, meeting=room.meeting, speech=speech, limit_seconds=90)
    login(client, room.clerk)
    token = issue_projector(client, room.meeting.id)["token"]
    client.cookies.clear()
    page = client.get(f"/projector/{room.meeting.id}?token={token}&lang=en").text
    assert f"/projector/{room.meeting.id}/focus?token={token}" in page
    fragment = client.get(f"/projector/{room.meeting.id}/focus?token={token}&lang=en").text
    assert 'data-focus="speaker"' in fragment
    assert room.delegates[0].full_name in fragment
    assert 'data-timer-from="' in fragment
    assert 'data-timer-limit="90"' in fragment
    assert "Next speakers" in fragment
    assert room.delegates[1].full_name in fragment


def test_starting_and_closing_the_meeting_from_the_console(
    client: TestClient, session: Session, room: Room
) -> None:
    a = ask(session, room, 0)
    speech = speakers.get_speech(session=session, meeting=room.meeting, speech_id=a)
    speakers.start_speech(session=session, meeting=room.meeting, speech=speech)
    login(client, room.clerk)
    refused = client.post(
        f"/meetings/{room.meeting.id}/control", data={"status": "draft"}, follow_redirects=False
    )
    assert "msg=status_refused" in refused.headers["location"]
    closed = client.post(
        f"/meetings/{room.meeting.id}/control", data={"status": "closed"}, follow_redirects=False
    )
    assert "msg=status_changed" in closed.headers["location"]
    assert refresh(session, room.meeting).status == MeetingStatus.closed
    session.refresh(speech)
    assert speech.status == SpeechStatus.done  # the minutes see a finished speech
    console = client.get(f"/meetings/{room.meeting.id}/polls?lang=en").text
    assert 'data-live-field="status"' in console
    assert "Start the meeting" not in console


def collect(ws: Any, wanted: set[str]) -> dict[str, dict[str, Any]]:
    """Messages until one of each wanted type has arrived."""
    seen: dict[str, dict[str, Any]] = {}
    while not wanted <= seen.keys():
        message = ws.receive_json()
        seen.setdefault(message["type"], message)
    return seen


def test_control_and_queue_changes_reach_the_room_and_the_projector(
    client: TestClient, session: Session, room: Room
) -> None:
    login(client, room.clerk)
    token = issue_projector(client, room.meeting.id)["token"]
    url = f"/ws/meetings/{room.meeting.id}"
    login(client, room.delegates[1])
    with client.websocket_connect(url, headers={"origin": "http://testserver"}) as tablet_ws:
        client.cookies.clear()  # the projector is a device: its token, no login
        with client.websocket_connect(f"{url}?token={token}") as projector_ws:
            login(client, room.clerk)
            run_the_meeting(client, session, room, [tablet_ws, projector_ws])


def run_the_meeting(client: TestClient, session: Session, room: Room, sockets: list[Any]) -> None:
    """Change the item, give the floor and close the meeting; every socket sees all three."""
    for ws in sockets:
        assert ws.receive_json()["type"] == "snapshot"
    client.post(
        f"/meetings/{room.meeting.id}/current-item",
        data={"item_id": ""},
        follow_redirects=False,
    )
    a = ask(session, room, 0)
    client.post(f"/meetings/{room.meeting.id}/speakers/{a}/start", follow_redirects=False)
    client.post(
        f"/meetings/{room.meeting.id}/control",
        data={"status": "closed"},
        follow_redirects=False,
    )
    wanted = {"meeting.current_item", "speakers_changed", "meeting.status"}
    for ws in sockets:
        seen = collect(ws, wanted)
        assert seen["meeting.current_item"]["data"]["item_id"] is None
        assert seen["meeting.status"]["data"]["status"] == "closed"
        assert seen["speakers_changed"]["data"]["agenda_item_id"] is None
