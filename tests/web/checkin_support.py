"""Shared pieces of the web check-in tests: one face pool for the run, cached face analyses.

Loading dlib's models costs seconds, so every check-in test module borrows the same
one-worker pool (an app given a pool does not close it), and enrolment faces are analysed
once per run in that worker.
"""

import atexit
import functools
import re
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from checkin import engine, gallery
from checkin.crypto import FaceCipher
from checkin.engine import EnrolmentFace
from checkin.pool import FacePool
from checkin.qr import qr_png
from models import Meeting, Person, Role
from tests.faces import FACES
from tests.factories import invite, login, make_meeting, make_user
from web.app import create_app
from web.settings import Settings

PEOPLE = FACES / "people"
PROBES = FACES / "probes"
# Sixteen or more numbers in a row, as a list or an array print: an embedding would show so.
FLOAT_RUN = re.compile(r"(?:-?\d+(?:\.\d+)?(?:e-?\d+)?\s*[,\s]\s*){16,}")


@functools.cache
def shared_pool() -> FacePool:
    pool = FacePool(workers=1, max_pending=4)
    pool.warm_up()
    atexit.register(pool.close)
    return pool


@functools.cache
def enrolment_face(relative: str) -> EnrolmentFace:
    """An enrolment photo analysed once per run (in the shared pool's worker)."""
    data = (FACES / relative).read_bytes()
    return shared_pool().submit(engine.analyse_enrolment_photo, data).result(timeout=120)


@pytest.fixture
def face_client(settings: Settings) -> Iterator[TestClient]:
    """A client whose app borrows the shared face pool."""
    with TestClient(create_app(settings, face_pool=shared_pool())) as test_client:
        yield test_client


@pytest.fixture
def face_session(face_client: TestClient) -> Iterator[Session]:
    engine_ = face_client.app.state.hop.engine  # type: ignore[attr-defined]
    with Session(engine_, expire_on_commit=False) as db_session:
        yield db_session


def enrol(session: Session, settings: Settings, person: Person, *photos: str) -> None:
    """Consent and enrol cached faces through the service (no face work here)."""
    assert person.id is not None
    cipher = FaceCipher.from_secret(settings.resolved_secret_key)
    gallery.record_consent(session=session, person_id=person.id, recorded_by=None, note="test")
    for photo in photos:
        gallery.enrol_face(
            session=session, cipher=cipher, person_id=person.id, face=enrolment_face(photo)
        )


def staff_and_meeting(client: TestClient, session: Session) -> tuple[Person, Meeting]:
    clerk = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk, title="Kỳ họp điểm danh")
    login(client, clerk)
    return clerk, meeting


def invited(session: Session, meeting: Meeting, full_name: str, seat: str = "A01") -> Person:
    person = make_user(session, full_name=full_name)
    invitation = invite(session, meeting, person)
    invitation.seat_label = seat
    session.add(invitation)
    session.commit()
    return person


def kiosk_token(client: TestClient, meeting_id: int | None) -> str:
    body = {"name": "Cửa A", "kind": "kiosk", "meeting_id": meeting_id}
    response = client.post("/api/devices", json=body)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def qr_frame(text: str, *, width: int = 640, height: int = 480) -> bytes:
    """A JPEG camera frame showing a printed QR code on a grey background."""
    code = cv2.imdecode(np.frombuffer(qr_png(text, scale=6), np.uint8), cv2.IMREAD_COLOR)
    assert code is not None
    frame = np.full((height, width, 3), 190, dtype=np.uint8)
    side = min(code.shape[0], height - 40)
    code = cv2.resize(code, (side, side), interpolation=cv2.INTER_NEAREST)
    top, left = (height - side) // 2, (width - side) // 2
    frame[top : top + side, left : left + side] = code
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return bytes(jpeg.tobytes())


def probe(name: str) -> bytes:
    return (PROBES / name).read_bytes()


def assert_no_embedding(text: str) -> None:
    """No run of 16 or more numbers (a 128-d embedding would be one)."""
    match = FLOAT_RUN.search(text)
    assert match is None, text[max(match.start() - 80, 0) : match.end()] if match else ""


def json_text(value: Any) -> str:
    import json

    return json.dumps(value)
