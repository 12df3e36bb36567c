"""Spoofing: a photo of an enrolled delegate held up to the kiosk - the same still frame again
and again, moved about, tilted - checks nobody in when the meeting asks for liveness, and
is enough without it (which is why the meeting can ask)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import cv2
import numpy as np
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Meeting, Person
from tests.factories import ORIGIN
from tests.web.checkin_support import (
    enrol,
    face_client,
    face_session,
    invited,
    kiosk_token,
    probe,
    staff_and_meeting,
)
from web.settings import Settings

__all__ = ["face_client", "face_session"]

PHOTO = "obama-480p.jpg"
STILL_REPEATS = 6


def _jpeg(image: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return bytes(buffer.tobytes())


def photo_held_up() -> list[bytes]:
    """The printed photo as a camera sees it: still, slid across the view, tilted back."""
    image = cv2.imdecode(np.frombuffer(probe(PHOTO), np.uint8), cv2.IMREAD_COLOR)
    height, width = image.shape[:2]
    frames = [probe(PHOTO)] * STILL_REPEATS
    for dx in (-30, -10, 10, 30):  # the hand moves the picture
        shift = np.float32([[1, 0, dx], [0, 1, dx // 3]])
        frames.append(_jpeg(cv2.warpAffine(image, shift, (width, height))))
    for fy in (0.9, 0.8):  # tilted back: every vertical distance shrinks alike
        squashed = cv2.resize(image, (width, round(height * fy)))
        frames.append(_jpeg(squashed))
    return frames


@contextmanager
def kiosk(client: TestClient, meeting: Meeting) -> Iterator[Any]:
    token = kiosk_token(client, meeting.id)
    with client.websocket_connect(f"/ws/kiosk/{meeting.id}?token={token}", headers=ORIGIN) as ws:
        yield ws


def set_liveness(client: TestClient, meeting: Meeting, required: bool) -> None:
    url = f"/api/meetings/{meeting.id}/checkin-policy"
    response = client.patch(url, json={"require_liveness": required})
    assert response.status_code == 200, response.text


def enrolled_delegate(
    client: TestClient, session: Session, settings: Settings
) -> tuple[Meeting, Person]:
    _, meeting = staff_and_meeting(client, session)
    obama = invited(session, meeting, "Barack Obama", seat="A01")
    enrol(session, settings, obama, "people/obama/obama.jpg", "people/obama/obama2.jpg")
    return meeting, obama


def present(client: TestClient, meeting: Meeting) -> list[int]:
    people = client.get(f"/api/meetings/{meeting.id}/attendance").json()["people"]
    return [row["person_id"] for row in people if row["present"]]


def test_with_liveness_a_photo_held_up_checks_nobody_in(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    meeting, _ = enrolled_delegate(face_client, face_session, settings)
    set_liveness(face_client, meeting, True)
    states = set()
    with kiosk(face_client, meeting) as ws:
        for frame in photo_held_up():
            ws.send_bytes(frame)
            answer = ws.receive_json()
            assert answer["type"] == "faces", answer
            assert answer["checked_in"] == []
            for face in answer["faces"]:
                states.add(face["state"])
                assert face.get("name") is None  # the photo learns no name either
    assert "blink" in states  # it was recognised, and held at the challenge
    assert present(face_client, meeting) == []


def test_with_liveness_a_single_photo_posted_checks_nobody_in(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    meeting, _ = enrolled_delegate(face_client, face_session, settings)
    set_liveness(face_client, meeting, True)
    answer = face_client.post(
        f"/api/meetings/{meeting.id}/checkin/frame",
        content=probe(PHOTO),
        headers={"content-type": "image/jpeg"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["checked_in"] == []
    assert answer.json()["liveness_required"] is True
    assert present(face_client, meeting) == []


def test_without_liveness_the_same_photo_is_enough(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    meeting, obama = enrolled_delegate(face_client, face_session, settings)
    set_liveness(face_client, meeting, False)
    checked: list[int] = []
    with kiosk(face_client, meeting) as ws:
        for frame in photo_held_up()[:3]:
            ws.send_bytes(frame)
            checked += [arrival["person_id"] for arrival in ws.receive_json()["checked_in"]]
    assert checked == [obama.id]
    assert present(face_client, meeting) == [obama.id]
