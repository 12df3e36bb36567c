"""Templates that learn, live: the kiosk socket remembers the face it saw, and a QR code, a
desk check-in (API or page) or a grey-zone tap right after it adds that face as a learned
template; a face-only check-in, a crowded kiosk or a check-out never does."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from checkin import gallery
from models import Meeting, Person
from models.face import FaceKind
from tests.factories import ORIGIN
from tests.web.checkin_support import (
    enrol,
    face_client,
    face_session,
    invited,
    kiosk_token,
    probe,
    qr_frame,
    staff_and_meeting,
)
from web.settings import Settings

pytestmark = pytest.mark.usefixtures("faces")

__all__ = ["face_client", "face_session"]


@contextmanager
def kiosk(client: TestClient, meeting: Meeting) -> Iterator[Any]:
    token = kiosk_token(client, meeting.id)
    with client.websocket_connect(f"/ws/kiosk/{meeting.id}?token={token}", headers=ORIGIN) as ws:
        yield ws


def kinds(session: Session, person: Person) -> list[FaceKind]:
    session.expire_all()
    return [face.kind for face in gallery.list_faces(session=session, person_id=person.id or 0)]


def obama_invited(
    client: TestClient, session: Session, settings: Settings
) -> tuple[Meeting, Person]:
    _, meeting = staff_and_meeting(client, session)
    obama = invited(session, meeting, "Barack Obama", seat="A01")
    enrol(session, settings, obama, "people/obama/obama.jpg")
    return meeting, obama


def qr_text(client: TestClient, meeting: Meeting) -> str:
    invitation = client.get(f"/api/meetings/{meeting.id}/invitations").json()[0]
    signer = client.app.state.hop.faces.signer  # type: ignore[attr-defined]
    text: str = signer.sign(meeting_id=meeting.id, invitation_id=invitation["id"])
    return text


def send(ws: Any, frame: bytes) -> dict[str, Any]:
    ws.send_bytes(frame)
    answer: dict[str, Any] = ws.receive_json()
    assert answer["type"] == "faces", answer
    return answer


def test_a_qr_code_after_a_single_face_teaches_that_face(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    meeting, obama = obama_invited(face_client, face_session, settings)
    with kiosk(face_client, meeting) as ws:
        assert [f["state"] for f in send(ws, probe("obama-720p.jpg"))["faces"]] == ["detecting"]
        answer = send(ws, qr_frame(qr_text(face_client, meeting)))
    assert answer["checked_in"][0]["method"] == "qr"
    assert kinds(face_session, obama) == [FaceKind.enrolled, FaceKind.learned]
    faces = face_client.get(f"/api/people/{obama.id}/faces").json()
    assert [face["kind"] for face in faces] == ["enrolled", "learned"]
    assert "embedding" not in str(faces)


def test_a_qr_code_after_two_faces_teaches_nothing(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    meeting, obama = obama_invited(face_client, face_session, settings)
    with kiosk(face_client, meeting) as ws:
        send(ws, probe("obama-720p.jpg"))
        assert len(send(ws, probe("obama_and_biden.jpg"))["faces"]) >= 2
        assert send(ws, qr_frame(qr_text(face_client, meeting)))["checked_in"]
    assert kinds(face_session, obama) == [FaceKind.enrolled]


def test_a_face_only_check_in_teaches_nothing(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    meeting, obama = obama_invited(face_client, face_session, settings)
    with kiosk(face_client, meeting) as ws:
        send(ws, probe("obama-720p.jpg"))
        assert send(ws, probe("obama-720p.jpg"))["checked_in"][0]["method"] == "face"
    assert kinds(face_session, obama) == [FaceKind.enrolled]


def test_a_desk_check_in_teaches_the_face_the_kiosk_just_saw(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    meeting, obama = obama_invited(face_client, face_session, settings)
    url = f"/api/meetings/{meeting.id}/attendance"
    check_in = {"person_id": obama.id, "action": "check_in"}
    with kiosk(face_client, meeting) as ws:
        send(ws, probe("obama1.jpg"))
    assert face_client.post(url, json=check_in).json()["changed"] is True
    assert kinds(face_session, obama) == [FaceKind.enrolled, FaceKind.learned]
    assert face_client.post(url, json=check_in).json()["changed"] is False
    out = face_client.post(url, json={**check_in, "action": "check_out"})
    assert out.status_code == 200
    assert kinds(face_session, obama) == [FaceKind.enrolled, FaceKind.learned]  # no new one
    # Checked in again at the desk page: the same face may be learned once more.
    page = face_client.post(
        f"/meetings/{meeting.id}/checkin",
        data={"person_id": str(obama.id), "action": "check_in"},
        follow_redirects=False,
    )
    assert page.status_code in {302, 303}
    assert kinds(face_session, obama).count(FaceKind.learned) == 2


def test_a_desk_check_in_without_a_kiosk_face_or_with_learning_off_teaches_nothing(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    meeting, obama = obama_invited(face_client, face_session, settings)
    url = f"/api/meetings/{meeting.id}/attendance"
    assert face_client.post(url, json={"person_id": obama.id, "action": "check_in"}).json()[
        "changed"
    ]
    assert kinds(face_session, obama) == [FaceKind.enrolled]
    policy_url = f"/api/meetings/{meeting.id}/checkin-policy"
    assert face_client.get(policy_url).json()["learn_templates"] is True
    refused = face_client.patch(policy_url, json={"learn_templates": "sometimes"})
    assert refused.status_code == 422
    assert face_client.get(policy_url).json()["learn_templates"] is True
    assert (
        face_client.patch(policy_url, json={"learn_templates": False}).json()["learn_templates"]
        is False
    )
    with kiosk(face_client, meeting) as ws:
        send(ws, probe("obama1.jpg"))
    assert face_client.post(url, json={"person_id": obama.id, "action": "check_out"}).is_success
    assert face_client.post(url, json={"person_id": obama.id, "action": "check_in"}).is_success
    assert kinds(face_session, obama) == [FaceKind.enrolled]


def test_a_grey_zone_tap_teaches_the_face_in_front(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    meeting, obama = obama_invited(face_client, face_session, settings)
    # Thresholds that put obama1.jpg (0.35 from the enrolled photo) in the grey zone.
    policy = {"accept_threshold": 0.05, "margin": 0.0, "grey_threshold": 0.9}
    assert face_client.patch(f"/api/meetings/{meeting.id}/checkin-policy", json=policy).is_success
    with kiosk(face_client, meeting) as ws:
        send(ws, probe("obama1.jpg"))
        answer = send(ws, probe("obama1.jpg"))
        assert answer["faces"][0]["state"] == "confirm"
        ws.send_json({"type": "confirm", "person_id": obama.id})
        confirmed = ws.receive_json()
    assert confirmed["type"] == "confirmed"
    assert confirmed["checked_in"][0]["person_id"] == obama.id
    assert kinds(face_session, obama) == [FaceKind.enrolled, FaceKind.learned]
