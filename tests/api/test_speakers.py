"""The speaker queue API: who may do what, clear errors that change nothing, live delivery."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from meetings import scheduling
from models import MeetingStatus, Person
from tests.factories import (
    ORIGIN,
    assert_error,
    login,
    make_speaker_room,
    make_user,
    receive_until,
)
from tests.factories import SpeakerRoom as Room


@pytest.fixture
def room(session: Session) -> Room:
    return make_speaker_room(session)


def ask(client: TestClient, room: Room, person: Person) -> dict[str, Any]:
    login(client, person)
    response = client.post(room.url, json={"note": "Về điều 3"})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def queue(client: TestClient, room: Room) -> dict[str, Any]:
    response = client.get(room.url)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_ask_withdraw_and_read_the_queue(client: TestClient, room: Room) -> None:
    speech = ask(client, room, room.delegates[0])
    assert speech["agenda_item_id"] == room.item_id
    assert speech["full_name"] == room.delegates[0].full_name
    assert speech["note"] == "Về điều 3"
    assert [row["id"] for row in queue(client, room)["queue"]] == [speech["id"]]
    withdrawn = client.post(f"{room.url}/{speech['id']}/withdraw")
    assert withdrawn.json()["status"] == "withdrawn"
    assert queue(client, room)["queue"] == []


def test_absent_delegate_gets_403_with_the_reason(client: TestClient, room: Room) -> None:
    login(client, room.delegates[2])
    body = assert_error(client.post(room.url, json={}), 403, "NotPresentError")
    assert "Check in" in body["detail"]
    assert queue(client, room)["queue"] == []


def test_duplicate_request_is_409_and_changes_nothing(client: TestClient, room: Room) -> None:
    first = ask(client, room, room.delegates[0])
    assert_error(client.post(room.url, json={}), 409, "AlreadyRequestedError")
    assert [row["id"] for row in queue(client, room)["queue"]] == [first["id"]]


def test_bad_input_is_422_or_404(client: TestClient, room: Room) -> None:
    login(client, room.delegates[0])
    assert_error(client.post(room.url, json={"note": "x" * 301}), 422)
    assert_error(client.post(room.url, json={"agenda_item_id": 99999}), 404)
    assert_error(client.post(f"{room.url}/99999/withdraw"), 404, "SpeechNotFoundError")
    assert_error(client.get(f"{room.url}?item_id=99999"), 404)
    assert queue(client, room)["queue"] == []


def test_delegates_cannot_run_the_queue(client: TestClient, room: Room) -> None:
    a = ask(client, room, room.delegates[0])
    b = ask(client, room, room.delegates[1])
    assert_error(client.post(f"{room.url}/{a['id']}/start"), 403)
    assert_error(client.post(f"{room.url}/{a['id']}/withdraw"), 403, "NotYourRequestError")
    order = {"agenda_item_id": room.item_id, "speech_ids": [b["id"], a["id"]]}
    assert_error(client.post(f"{room.url}/reorder", json=order), 403)
    other = {"person_id": room.delegates[0].id}
    assert_error(client.post(room.url, json=other), 403)
    state = queue(client, room)
    assert [row["id"] for row in state["queue"]] == [a["id"], b["id"]]
    assert state["speaking"] is None


def test_the_chair_reorders_starts_and_ends(client: TestClient, room: Room) -> None:
    a = ask(client, room, room.delegates[0])
    b = ask(client, room, room.delegates[1])
    login(client, room.clerk)
    order = {"agenda_item_id": room.item_id, "speech_ids": [b["id"], a["id"]]}
    reordered = client.post(f"{room.url}/reorder", json=order).json()
    assert [row["id"] for row in reordered["queue"]] == [b["id"], a["id"]]
    started = client.post(f"{room.url}/{b['id']}/start", json={"limit_seconds": 180})
    assert (started.json()["status"], started.json()["limit_seconds"]) == ("speaking", 180)
    client.post(f"{room.url}/{a['id']}/start")
    state = queue(client, room)
    assert state["speaking"]["id"] == a["id"]
    assert [row["status"] for row in state["queue"]] == ["done", "speaking"]
    ended = client.post(f"{room.url}/{a['id']}/end").json()
    assert ended["status"] == "done"
    assert ended["ended_at"]
    assert queue(client, room)["speaking"] is None


def test_the_chair_adds_a_present_delegate(client: TestClient, room: Room) -> None:
    login(client, room.clerk)
    added = client.post(room.url, json={"person_id": room.delegates[1].id})
    assert added.status_code == 201, added.text
    assert added.json()["person_id"] == room.delegates[1].id
    absent = client.post(room.url, json={"person_id": room.delegates[2].id})
    assert_error(absent, 403, "NotPresentError")
    assert_error(client.post(room.url, json={"person_id": 99999}), 403)


def test_refused_chair_actions_leave_the_queue_as_it_was(client: TestClient, room: Room) -> None:
    a = ask(client, room, room.delegates[0])
    login(client, room.clerk)
    assert_error(client.post(f"{room.url}/{a['id']}/end"), 409, "SpeechStateError")
    wrong = {"agenda_item_id": room.item_id, "speech_ids": [a["id"], a["id"]]}
    assert_error(client.post(f"{room.url}/reorder", json=wrong), 422, "InvalidQueueOrderError")
    too_long = {"limit_seconds": -5}
    assert_error(client.post(f"{room.url}/{a['id']}/start", json=too_long), 422)
    state = queue(client, room)
    assert [(row["id"], row["status"]) for row in state["queue"]] == [(a["id"], "waiting")]


def test_no_speech_starts_once_the_meeting_is_closed(
    client: TestClient, session: Session, room: Room
) -> None:
    a = ask(client, room, room.delegates[0])
    scheduling.change_status(session=session, meeting=room.meeting, status=MeetingStatus.closed)
    login(client, room.clerk)
    assert_error(client.post(f"{room.url}/{a['id']}/start"), 409, "MeetingNotRunningError")
    login(client, room.delegates[1])
    assert_error(client.post(room.url, json={}), 409, "MeetingNotRunningError")


def test_closing_the_meeting_through_the_api_ends_the_speech(
    client: TestClient, session: Session, room: Room
) -> None:
    a = ask(client, room, room.delegates[0])
    login(client, room.clerk)
    assert client.post(f"{room.url}/{a['id']}/start").status_code == 200
    refused = client.post(f"/api/meetings/{room.meeting.id}/status", json={"status": "draft"})
    assert refused.status_code == 409
    assert queue(client, room)["speaking"]["id"] == a["id"]  # a refused change ends nothing
    closed = client.post(f"/api/meetings/{room.meeting.id}/status", json={"status": "closed"})
    assert closed.status_code == 200
    after = queue(client, room)
    assert after["speaking"] is None
    assert [s["status"] for s in after["queue"] if s["id"] == a["id"]] == ["done"]


def test_a_stranger_does_not_see_the_queue(
    client: TestClient, session: Session, room: Room
) -> None:
    login(client, make_user(session))
    assert_error(client.get(room.url), 404)
    assert_error(client.post(room.url, json={}), 404)


def test_changes_reach_every_screen_over_the_websocket(client: TestClient, room: Room) -> None:
    login(client, room.delegates[1])
    with client.websocket_connect(f"/ws/meetings/{room.meeting.id}", headers=ORIGIN) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        speech = ask(client, room, room.delegates[0])
        message = receive_until(ws, "speakers_changed")
        assert message["data"]["agenda_item_id"] == room.item_id
        assert [row["id"] for row in message["data"]["queue"]] == [speech["id"]]
        login(client, room.clerk)
        client.post(f"{room.url}/{speech['id']}/start")
        started = receive_until(ws, "speakers_changed")
        assert started["data"]["speaking"]["person_id"] == room.delegates[0].id
        assert started["seq"] > message["seq"]
