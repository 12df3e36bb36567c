"""Enrolment on a kiosk, started by the desk: the kiosk hears the request on its socket,
guides the invitee through the three steps with its frames, records the outcome the desk
sees live, and returns to check-in; requests the rule refuses leave everything unchanged."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from checkin import gallery, kiosk_enrolment
from models import Event, Meeting, MeetingStatus, Person, Role
from models.events import CommittedEvent
from tests.factories import ORIGIN, login, make_user
from tests.web.checkin_support import (
    PEOPLE,
    face_client,
    face_session,
    invited,
    kiosk_token,
    probe,
    staff_and_meeting,
)
from web.realtime import kiosk_enrolment as kiosk_enrolment_mode

# They read the photos of ../shared/faces: without them, one clear failure per test.
pytestmark = pytest.mark.usefixtures("faces")

__all__ = ["face_client", "face_session"]


@cache
def frame(relative: str, *, mirror: bool = False) -> bytes:
    image = cv2.imread(str(PEOPLE / relative))
    assert image is not None
    if mirror:
        image = np.ascontiguousarray(image[:, ::-1])
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return data.tobytes()


STRAIGHT = frame("obama/obama.jpg")
LEFT = frame("obama/obama2.jpg", mirror=True)  # turned to his own left
RIGHT = frame("obama/obama2.jpg")


@contextmanager
def kiosk(client: TestClient, meeting: Meeting, token: str) -> Iterator[Any]:
    with client.websocket_connect(f"/ws/kiosk/{meeting.id}?token={token}", headers=ORIGIN) as ws:
        yield ws


def consented(client: TestClient, session: Session, meeting: Meeting) -> Person:
    person = invited(session, meeting, "Barack Obama", seat="A01")
    assert client.post(f"/api/people/{person.id}/consent", json={"note": "ok"}).status_code == 201
    return person


def device_id(session: Session, meeting: Meeting) -> int:
    [device] = kiosk_enrolment.meeting_kiosks(session=session, meeting_id=meeting.id or 0)
    assert device.id is not None
    return device.id


def start(client: TestClient, meeting: Meeting, person_id: int | None, device: int) -> Any:
    return client.post(
        f"/meetings/{meeting.id}/checkin/enrol",
        data={"person_id": str(person_id), "device_id": str(device)},
        follow_redirects=False,
    )


def kiosk_events(session: Session, meeting: Meeting) -> list[Event]:
    session.expire_all()
    query = select(Event).where(
        Event.meeting_id == meeting.id,
        col(Event.type).in_((kiosk_enrolment.STARTED, kiosk_enrolment.ENDED)),
    )
    return list(session.exec(query.order_by(col(Event.seq))))


def receive_until(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = ws.receive_json()
        if message["type"] == kind:
            return message


def test_the_desk_starts_a_kiosk_enrolment_and_sees_it_end(
    face_client: TestClient, face_session: Session
) -> None:
    clerk, meeting = staff_and_meeting(face_client, face_session)
    person = consented(face_client, face_session, meeting)
    token = kiosk_token(face_client, meeting.id)
    device = device_id(face_session, meeting)
    with (
        face_client.websocket_connect(f"/ws/meetings/{meeting.id}", headers=ORIGIN) as desk,
        kiosk(face_client, meeting, token) as ws,
    ):
        assert desk.receive_json()["type"] == "snapshot"
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}  # the kiosk's socket is up
        assert start(face_client, meeting, person.id, device).status_code == 303
        told = ws.receive_json()
        assert (told["type"], told["name"], told["step"], told["index"]) == (
            "enrol",
            "Barack Obama",
            "straight",
            0,
        )
        assert receive_until(desk, kiosk_enrolment.STARTED)["data"]["person_id"] == person.id

        ws.send_bytes(STRAIGHT)
        kept = ws.receive_json()
        assert (kept["type"], kept["judged"], kept["accepted"], kept["step"]) == (
            "enrol_frame",
            "straight",
            True,
            "left",
        )
        ws.send_bytes(STRAIGHT)  # not turned: refused with the reason, same step
        refused = ws.receive_json()
        assert (refused["accepted"], refused["reason"], refused["step"], refused["tries"]) == (
            False,
            "turn_left",
            "left",
            1,
        )
        ws.send_bytes(LEFT)
        assert ws.receive_json()["step"] == "right"
        ws.send_bytes(RIGHT)
        end = ws.receive_json()
        assert (end["type"], end["outcome"], end["kept"], end["ready"]) == (
            "enrol_end",
            "done",
            3,
            True,
        )
        ended = receive_until(desk, kiosk_enrolment.ENDED)["data"]
        assert (ended["outcome"], ended["kept"], ended["ready"]) == ("done", 3, True)
        ws.send_bytes(probe("obama-480p.jpg"))  # back to check-in
        assert ws.receive_json()["type"] == "faces"

    assert person.id is not None
    faces = gallery.list_faces(session=face_session, person_id=person.id)
    assert [f.source for f in faces] == ["kiosk:straight", "kiosk:left", "kiosk:right"]
    assert {f.created_by for f in faces} == {clerk.id}
    page = face_client.get(f"/meetings/{meeting.id}/checkin/kiosk-enrolment")
    assert 'data-kiosk-enrolment-status="done"' in page.text


def test_a_kiosk_that_connects_later_resumes_and_gives_up_after_five_bad_frames(
    face_client: TestClient, face_session: Session
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    person = consented(face_client, face_session, meeting)
    token = kiosk_token(face_client, meeting.id)
    assert start(face_client, meeting, person.id, device_id(face_session, meeting)).is_redirect
    with kiosk(face_client, meeting, token) as ws:
        assert ws.receive_json()["type"] == "enrol"  # asked before the socket opened
        answers = []
        for _ in range(kiosk_enrolment_mode.MAX_TRIES):
            ws.send_bytes(RIGHT)  # never straight
            answers.append(ws.receive_json())
        assert {answer["reason"] for answer in answers} == {"look_straight"}
        assert [answer["type"] for answer in answers] == ["enrol_frame"] * 4 + ["enrol_end"]
        assert (answers[-1]["outcome"], answers[-1]["kept"]) == ("gave_up", 0)
        ws.send_bytes(probe("obama-480p.jpg"))
        assert ws.receive_json()["type"] == "faces"
    assert person.id is not None
    assert gallery.list_faces(session=face_session, person_id=person.id) == []
    page = face_client.get(f"/meetings/{meeting.id}/checkin/kiosk-enrolment")
    assert 'data-kiosk-enrolment-status="gave_up"' in page.text


def test_refused_requests_change_nothing(face_client: TestClient, face_session: Session) -> None:
    clerk, meeting = staff_and_meeting(face_client, face_session)
    person = consented(face_client, face_session, meeting)
    kiosk_token(face_client, meeting.id)
    device = device_id(face_session, meeting)
    no_consent = invited(face_session, meeting, "Joe Biden", seat="A02")
    outsider = make_user(face_session, full_name="Người ngoài")
    assert start(face_client, meeting, outsider.id, device).status_code == 403
    assert start(face_client, meeting, no_consent.id, device).status_code == 409
    assert start(face_client, meeting, person.id, device + 1000).status_code == 404
    assert start(face_client, meeting, 999_999, device).status_code == 404
    bad = face_client.post(
        f"/meetings/{meeting.id}/checkin/enrol", data={"person_id": "x", "device_id": "y"}
    )
    assert bad.status_code == 422
    chair = make_user(face_session, role=Role.delegate, full_name="Chủ tọa")
    meeting.chair_id = chair.id
    face_session.add(meeting)
    face_session.commit()
    login(face_client, chair)
    assert start(face_client, meeting, person.id, device).status_code == 403
    login(face_client, clerk)
    meeting.status = MeetingStatus.cancelled
    face_session.add(meeting)
    face_session.commit()
    assert start(face_client, meeting, person.id, device).status_code == 409
    assert kiosk_events(face_session, meeting) == []


def test_garbage_frames_in_enrolment_mode_are_answered_and_change_nothing(
    face_client: TestClient, face_session: Session
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    person = consented(face_client, face_session, meeting)
    token = kiosk_token(face_client, meeting.id)
    assert start(face_client, meeting, person.id, device_id(face_session, meeting)).is_redirect
    with kiosk(face_client, meeting, token) as ws:
        assert ws.receive_json()["type"] == "enrol"
        ws.send_bytes(b"not a picture")
        assert ws.receive_json()["type"] == "error"
        ws.send_bytes(STRAIGHT)  # the step is still the first one
        answer = ws.receive_json()
        assert (answer["judged"], answer["accepted"]) == ("straight", True)
    assert person.id is not None
    assert len(gallery.list_faces(session=face_session, person_id=person.id)) == 1


def test_the_request_heard_again_from_the_hub_does_not_restart_the_enrolment(
    face_client: TestClient, face_session: Session
) -> None:
    # With Redis fan-out the desk's request comes back through Redis after a kiosk that
    # opened meanwhile already read it from the log: the same request, not a newer one.
    _, meeting = staff_and_meeting(face_client, face_session)
    person = consented(face_client, face_session, meeting)
    token = kiosk_token(face_client, meeting.id)
    assert start(face_client, meeting, person.id, device_id(face_session, meeting)).is_redirect
    started = kiosk_events(face_session, meeting)[-1]
    with kiosk(face_client, meeting, token) as ws:
        assert ws.receive_json()["type"] == "enrol"
        ws.send_bytes(STRAIGHT)
        assert ws.receive_json()["accepted"] is True
        hub = face_client.app.state.hop.hub  # type: ignore[attr-defined]
        heard = CommittedEvent(meeting.id or 0, started.seq, started.type, started.data, "managers")
        face_client.portal.call(hub.deliver, [heard])  # type: ignore[union-attr]
        ws.send_bytes(b"not a picture")
        assert ws.receive_json()["type"] == "error"  # still enrolling, the kept frame kept
    assert person.id is not None
    assert len(gallery.list_faces(session=face_session, person_id=person.id)) == 1


def test_the_desk_stops_a_kiosk_enrolment_and_the_kiosk_returns_to_check_in(
    face_client: TestClient, face_session: Session
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    person = consented(face_client, face_session, meeting)
    token = kiosk_token(face_client, meeting.id)
    with kiosk(face_client, meeting, token) as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
        assert start(face_client, meeting, person.id, device_id(face_session, meeting)).is_redirect
        assert ws.receive_json()["type"] == "enrol"
        stopped = face_client.post(
            f"/meetings/{meeting.id}/checkin/enrol/cancel", follow_redirects=False
        )
        assert stopped.status_code == 303
        end = ws.receive_json()
        assert (end["type"], end["outcome"]) == ("enrol_end", "cancelled")
        ws.send_bytes(STRAIGHT)
        assert ws.receive_json()["type"] == "faces"
    assert person.id is not None
    assert gallery.list_faces(session=face_session, person_id=person.id) == []
    assert [e.type for e in kiosk_events(face_session, meeting)] == [
        kiosk_enrolment.STARTED,
        kiosk_enrolment.ENDED,
    ]
    page = face_client.get(f"/meetings/{meeting.id}/checkin/kiosk-enrolment")
    assert 'data-kiosk-enrolment-status="cancelled"' in page.text
