"""POST /api/people/{id}/faces/capture?step=…: one camera frame of a guided enrolment step,
accepted and stored as a template, or refused with a reason; who may capture; consent first;
bad input refused with nothing stored."""

from functools import cache

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from checkin import gallery, readiness
from models import Role
from tests.factories import assert_error, login, make_user
from tests.web.checkin_support import PEOPLE, assert_no_embedding, face_client, face_session

# They read the photos of ../shared/faces: without them, one clear failure per test.
pytestmark = pytest.mark.usefixtures("faces")

__all__ = ["face_client", "face_session"]

CAPTURE = "/api/people/{}/faces/capture"


@cache
def jpeg(relative: str, *, mirror: bool = False, dim: float = 1.0) -> bytes:
    image = cv2.imread(str(PEOPLE / relative))
    assert image is not None
    if mirror:
        image = np.ascontiguousarray(image[:, ::-1])
    if dim != 1.0:
        image = (image.astype(np.float32) * dim).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return data.tobytes()


STRAIGHT = ("obama/obama.jpg", False)
TURNED_RIGHT = ("obama/obama2.jpg", False)  # his own right
TURNED_LEFT = ("obama/obama2.jpg", True)


def capture(client: TestClient, person_id: int | None, step: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        CAPTURE.format(person_id),
        params={"step": step},
        content=data,
        headers={"content-type": "image/jpeg"},
    )


def consenting(client: TestClient, session: Session, **kwargs: object):  # type: ignore[no-untyped-def]
    clerk = make_user(session, role=Role.secretariat)
    person = make_user(session, full_name="Barack Obama", **kwargs)  # type: ignore[arg-type]
    login(client, clerk)
    assert client.post(f"/api/people/{person.id}/consent", json={"note": "ok"}).status_code == 201
    return clerk, person


def templates(session: Session, person_id: int | None) -> list[str]:
    assert person_id is not None
    session.expire_all()
    return [face.source for face in gallery.list_faces(session=session, person_id=person_id)]


def test_the_three_guided_steps_make_a_person_ready(
    face_client: TestClient, face_session: Session
) -> None:
    clerk, person = consenting(face_client, face_session)
    answers = []
    for step, (photo, mirror) in zip(
        ("straight", "left", "right"), (STRAIGHT, TURNED_LEFT, TURNED_RIGHT), strict=True
    ):
        answer = capture(face_client, person.id, step, jpeg(photo, mirror=mirror))
        assert answer.status_code == 200, answer.text
        assert_no_embedding(answer.text)
        answers.append(answer.json())
    assert [a["accepted"] for a in answers] == [True, True, True]
    assert [a["templates"] for a in answers] == [1, 2, 3]
    assert [a["ready"] for a in answers] == [False, True, True]
    assert answers[1]["pose"]["yaw"] > 0 > answers[2]["pose"]["yaw"]
    assert all(a["face_id"] and a["face_px"] >= 80 for a in answers)
    assert templates(face_session, person.id) == ["camera:straight", "camera:left", "camera:right"]
    assert person.id is not None
    assert readiness.person_readiness(session=face_session, person_id=person.id).ready
    rows = gallery.list_faces(session=face_session, person_id=person.id)
    assert {row.created_by for row in rows} == {clerk.id}


@pytest.mark.parametrize(
    ("step", "photo", "reason"),
    [
        ("straight", TURNED_RIGHT, "look_straight"),
        ("left", STRAIGHT, "turn_left"),
        ("left", TURNED_RIGHT, "turn_left"),
        ("right", TURNED_LEFT, "turn_right"),
    ],
)
def test_a_frame_in_the_wrong_pose_is_refused_with_the_reason(
    face_client: TestClient,
    face_session: Session,
    step: str,
    photo: tuple[str, bool],
    reason: str,
) -> None:
    _, person = consenting(face_client, face_session)
    answer = capture(face_client, person.id, step, jpeg(photo[0], mirror=photo[1]))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["reason"], body["templates"], body["ready"]) == (
        False,
        reason,
        0,
        False,
    )
    assert body["pose"] is not None
    assert body["message"]  # in the reader's language (Vietnamese by default)
    assert templates(face_session, person.id) == []


def test_a_dark_frame_is_refused_in_the_readers_language(
    face_client: TestClient, face_session: Session
) -> None:
    _, person = consenting(face_client, face_session)
    dark = jpeg(STRAIGHT[0], dim=0.2)
    body = capture(face_client, person.id, "straight", dark).json()
    assert (body["accepted"], body["reason"]) == (False, "too_dark")
    assert body["message"].startswith("Khuôn mặt quá tối")
    face_client.cookies.set("hop_lang", "en")
    body = capture(face_client, person.id, "straight", dark).json()
    assert body["message"].startswith("The face is too dark")
    assert templates(face_session, person.id) == []


def test_a_person_captures_their_own_face_only(
    face_client: TestClient, face_session: Session
) -> None:
    _, person = consenting(face_client, face_session)
    other = make_user(face_session)
    login(face_client, person)
    own = capture(face_client, person.id, "straight", jpeg(STRAIGHT[0]))
    assert own.status_code == 200, own.text
    assert own.json()["accepted"] is True
    refused = capture(face_client, other.id, "straight", jpeg(STRAIGHT[0]))
    assert_error(refused, 403)
    assert templates(face_session, other.id) == []
    face_client.cookies.clear()
    face_client.headers.pop("x-csrf-token", None)
    assert capture(face_client, person.id, "straight", jpeg(STRAIGHT[0])).status_code == 401


def test_consent_comes_before_any_face_work(face_client: TestClient, face_session: Session) -> None:
    clerk = make_user(face_session, role=Role.secretariat)
    person = make_user(face_session)
    login(face_client, clerk)
    answer = capture(face_client, person.id, "straight", jpeg(STRAIGHT[0]))
    assert_error(answer, 409, "ConsentRequiredError")
    assert templates(face_session, person.id) == []
    assert_error(capture(face_client, 999_999, "straight", jpeg(STRAIGHT[0])), 404)


@pytest.mark.parametrize(
    ("step", "body", "status"),
    [
        ("straight", b"", 422),
        ("straight", b"not an image at all", 415),
        ("straight", b"\xff\xd8\xff\xe0" + b"\x00" * 40, None),  # a broken JPEG: 415 or 422
        ("sideways", None, 422),  # an unknown step
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    face_client: TestClient,
    face_session: Session,
    step: str,
    body: bytes | None,
    status: int | None,
) -> None:
    _, person = consenting(face_client, face_session)
    answer = capture(face_client, person.id, step, jpeg(STRAIGHT[0]) if body is None else body)
    assert answer.status_code in ((status,) if status else (415, 422)), answer.text
    assert "error" in answer.json()
    assert templates(face_session, person.id) == []
    # The server goes on: the next good frame is taken.
    assert capture(face_client, person.id, "straight", jpeg(STRAIGHT[0])).json()["accepted"]
