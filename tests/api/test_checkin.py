"""The check-in API: consent and enrolment, biometric data, attendance, frames, QR codes."""

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from checkin import attendance
from models import MeetingStatus, Role
from tests.factories import assert_error, login, make_user
from tests.web.checkin_support import (
    PEOPLE,
    assert_no_embedding,
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

# They read the photos of ../shared/faces: without them, one clear failure per test.
pytestmark = pytest.mark.usefixtures("faces")

__all__ = ["face_client", "face_session"]


def upload_face(client: TestClient, person_id: int | None, data: bytes, name: str = "a.jpg"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/people/{person_id}/faces", files={"photo": (name, data, "image/jpeg")}
    )


def test_enrolment_needs_consent_then_takes_one_good_face(
    face_client: TestClient, face_session: Session
) -> None:
    clerk, _ = staff_and_meeting(face_client, face_session)
    person = make_user(face_session, full_name="Barack Obama")
    photo = (PEOPLE / "obama" / "obama.jpg").read_bytes()
    assert_error(upload_face(face_client, person.id, photo), 409, "ConsentRequiredError")

    consent = face_client.post(f"/api/people/{person.id}/consent", json={"note": "Đồng ý"})
    assert consent.status_code == 201, consent.text
    assert consent.json()["recorded_by"] == clerk.id
    created = upload_face(face_client, person.id, photo)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["face"]["person_id"] == person.id
    assert body["warning"] is None
    assert_no_embedding(created.text)

    listed = face_client.get(f"/api/people/{person.id}/faces")
    assert [face["id"] for face in listed.json()] == [body["face"]["id"]]
    report = face_client.get(f"/api/people/{person.id}/biometrics").json()
    assert report["consent_active"] is True
    assert report["consents"][0]["recorded_by"] == clerk.username
    assert report["since"] is not None
    assert len(report["faces"]) == 1
    for response in (listed, face_client.get(f"/api/people/{person.id}/biometrics")):
        assert_no_embedding(response.text)

    purged = face_client.delete(f"/api/people/{person.id}/faces")
    assert purged.json() == {"deleted": 1}
    assert face_client.get(f"/api/people/{person.id}/faces").json() == []


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        # A path, read by the test: the collection must not need ../shared/faces.
        (PEOPLE.parent / "probes" / "two_people.jpg", 422, "MultipleFacesError"),
        (b"Xin chao, day khong phai la anh.\n" * 20, 415, "NotAnImageError"),
        (b"", 422, "EmptyImageError"),
    ],
    ids=["two-people", "text-file", "empty"],
)
def test_a_bad_enrolment_photo_says_what_is_wrong(
    face_client: TestClient, face_session: Session, data: bytes | Path, status: int, error: str
) -> None:
    content = data.read_bytes() if isinstance(data, Path) else data
    staff_and_meeting(face_client, face_session)
    person = make_user(face_session)
    face_client.post(f"/api/people/{person.id}/consent", json={})
    body = assert_error(upload_face(face_client, person.id, content), status, error)
    assert body["detail"]


def test_enrolling_someone_elses_face_warns(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    staff_and_meeting(face_client, face_session)
    obama = make_user(face_session, full_name="Barack Obama")
    enrol(face_session, settings, obama, "people/obama/obama.jpg")
    impostor = make_user(face_session, full_name="Người khác")
    face_client.post(f"/api/people/{impostor.id}/consent", json={})
    photo = (PEOPLE / "obama" / "obama2.jpg").read_bytes()
    created = upload_face(face_client, impostor.id, photo)
    assert created.status_code == 201, created.text
    assert "Barack Obama" in created.json()["warning"]
    assert created.json()["similar_person_id"] == obama.id


def test_delegates_cannot_enrol_or_read_faces(
    face_client: TestClient, face_session: Session
) -> None:
    delegate = make_user(face_session)
    login(face_client, delegate)
    assert face_client.get(f"/api/people/{delegate.id}/faces").status_code == 403
    assert face_client.post(f"/api/people/{delegate.id}/consent", json={}).status_code == 403


def test_the_frame_identifies_an_enrolled_invitee(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    obama = invited(face_session, meeting, "Barack Obama", seat="A01")
    enrol(face_session, settings, obama, "people/obama/obama.jpg", "people/obama/obama2.jpg")
    token = kiosk_token(face_client, meeting.id)
    face_client.cookies.clear()
    headers = {"authorization": f"Bearer {token}", "content-type": "image/jpeg"}
    url = f"/api/meetings/{meeting.id}/checkin/frame"

    answer = face_client.post(url, content=probe("obama1.jpg"), headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [face["state"] for face in body["faces"]] == ["accepted"]
    assert body["faces"][0]["name"] == "Barack Obama"
    assert body["faces"][0]["seat"] == "A01"
    assert set(body["faces"][0]["box"]) == {"top", "right", "bottom", "left"}
    assert body["checked_in"] == [
        {
            "person_id": obama.id,
            "name": "Barack Obama",
            "seat": "A01",
            "method": "face",
            "new": True,
        }
    ]
    assert_no_embedding(answer.text)
    entries = attendance.list_entries(session=face_session, meeting_id=meeting.id or 0)
    assert [(e.method, e.kiosk) for e in entries] == [("face", "Cửa A")]

    again = face_client.post(url, content=probe("obama1.jpg"), headers=headers).json()
    assert again["checked_in"][0]["new"] is False


def test_two_strangers_check_in_nobody(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    # two_people.jpg in fact shows Obama and Biden (see tests/checkin/test_matching.py): for
    # a meeting they are not invited to, they are strangers.
    _, meeting = staff_and_meeting(face_client, face_session)
    for folder, photo in (("kit_harington", "john1.jpeg"), ("rose_leslie", "img2.jpg")):
        person = invited(face_session, meeting, folder.replace("_", " ").title())
        enrol(face_session, settings, person, f"people/{folder}/{photo}")
    answer = face_client.post(
        f"/api/meetings/{meeting.id}/checkin/frame",
        files={"photo": ("two.jpg", probe("two_people.jpg"), "image/jpeg")},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["faces"]) == 2
    assert {face["state"] for face in body["faces"]} == {"unknown"}
    assert body["checked_in"] == []


def test_frames_need_a_kiosk_of_this_meeting(
    face_client: TestClient, face_session: Session
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    _, other = staff_and_meeting(face_client, face_session)
    foreign = kiosk_token(face_client, other.id)
    face_client.cookies.clear()
    url = f"/api/meetings/{meeting.id}/checkin/frame"
    assert face_client.post(url, content=b"x").status_code == 401
    refused = face_client.post(url, content=b"x", headers={"authorization": f"Bearer {foreign}"})
    assert refused.status_code == 404


def bad_images() -> dict[str, bytes]:
    good = probe("obama-480p.jpg")
    header = bytearray(good[:600])
    # Rewrite the SOF0 frame size to 30000x30000 (a "decompression bomb" header).
    sof = header.find(b"\xff\xc0")
    header[sof + 5 : sof + 9] = (30000).to_bytes(2, "big") * 2
    return {
        "empty": b"",
        "truncated": good[: len(good) // 3],
        "huge-header": bytes(header) + good[600:],
        "text": b"GET / HTTP/1.1\r\n" * 10,
    }


@pytest.mark.parametrize("name", ["empty", "truncated", "huge-header", "text"])
def test_bad_frames_get_errors_and_the_server_keeps_serving(
    face_client: TestClient, face_session: Session, name: str
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    url = f"/api/meetings/{meeting.id}/checkin/frame"
    answer = face_client.post(url, content=bad_images()[name])
    assert 400 <= answer.status_code < 500, answer.text
    assert_error(answer, answer.status_code)
    assert face_client.get("/healthz").status_code == 200
    good = face_client.post(url, content=probe("obama-240p.jpg"))
    assert good.status_code == 200, good.text


def test_manual_check_in_and_out_with_a_reason(
    face_client: TestClient, face_session: Session
) -> None:
    clerk, meeting = staff_and_meeting(face_client, face_session)
    person = invited(face_session, meeting, "Lê Thị Hoa")
    url = f"/api/meetings/{meeting.id}/attendance"
    # Checking out someone who never came changes nothing, and says so.
    never = face_client.post(url, json={"person_id": person.id, "action": "check_out"})
    assert never.status_code == 200, never.text
    assert (never.json()["changed"], never.json()["present"]) == (False, False)
    assert never.json()["entry"] is None
    came = face_client.post(
        url, json={"person_id": person.id, "action": "check_in", "reason": "Quên thẻ"}
    )
    assert came.status_code == 200, came.text
    assert came.json()["present"] is True
    assert came.json()["counts"]["present"] == 1
    left = face_client.post(
        url, json={"person_id": person.id, "action": "check_out", "reason": "Về sớm"}
    )
    assert left.json()["present"] is False
    entries = attendance.list_entries(session=face_session, meeting_id=meeting.id or 0)
    assert [(e.kind, e.method, e.reason, e.operator_id) for e in entries] == [
        ("check_in", "manual", "Quên thẻ", clerk.id),
        ("check_out", "manual", "Về sớm", clerk.id),
    ]
    report = face_client.get(url).json()
    assert report["summary"]["present"] == 0
    assert report["people"][0]["full_name"] == "Lê Thị Hoa"
    assert report["people"][0]["left_at"] is not None

    stranger = make_user(face_session)
    refused = face_client.post(url, json={"person_id": stranger.id, "action": "check_in"})
    assert_error(refused, 403, "NotInvitedError")
    delegate = make_user(face_session, role=Role.delegate)
    login(face_client, delegate)
    assert face_client.get(url).status_code == 404


def test_a_closed_meeting_refuses_attendance_changes(
    face_client: TestClient, face_session: Session
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    person = invited(face_session, meeting, "Lê Văn Bình")
    meeting.status = MeetingStatus.closed
    face_session.add(meeting)
    face_session.commit()
    answer = face_client.post(
        f"/api/meetings/{meeting.id}/attendance",
        json={"person_id": person.id, "action": "check_in"},
    )
    assert_error(answer, 409, "MeetingNotOpenError")


def test_a_frame_showing_the_invitations_qr_code_checks_in_by_qr(
    face_client: TestClient, face_session: Session
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    person = invited(face_session, meeting, "Phạm Minh Châu", seat="B07")
    invitation_id = _invitation_id(face_client, meeting.id, person.id)
    png = face_client.get(f"/api/meetings/{meeting.id}/invitations/{invitation_id}/qr.png")
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    signer = face_client.app.state.hop.faces.signer  # type: ignore[attr-defined]
    text = signer.sign(meeting_id=meeting.id, invitation_id=invitation_id)
    assert signer.verify(text) is not None
    assert signer.verify(text[:-2] + "xx") is None
    assert str(invitation_id) in text
    assert len(text.split(".")[-1]) >= 20

    forged = face_client.post(
        f"/api/meetings/{meeting.id}/checkin/frame", content=qr_frame(text[:-1] + "A")
    )
    assert forged.json()["checked_in"] == []
    answer = face_client.post(f"/api/meetings/{meeting.id}/checkin/frame", content=qr_frame(text))
    assert answer.status_code == 200, answer.text
    assert answer.json()["checked_in"] == [
        {
            "person_id": person.id,
            "name": "Phạm Minh Châu",
            "seat": "B07",
            "method": "qr",
            "new": True,
        }
    ]


def test_no_log_line_holds_an_embedding(
    face_client: TestClient,
    face_session: Session,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _, meeting = staff_and_meeting(face_client, face_session)
    person = invited(face_session, meeting, "Barack Obama")
    face_client.post(f"/api/people/{person.id}/consent", json={})
    upload_face(face_client, person.id, (PEOPLE / "obama" / "obama2.jpg").read_bytes())
    face_client.post(f"/api/meetings/{meeting.id}/checkin/frame", content=probe("obama1.jpg"))
    assert_no_embedding("\n".join(record.getMessage() for record in caplog.records))
    assert_no_embedding(caplog.text)


def _invitation_id(client: TestClient, meeting_id: int | None, person_id: int | None) -> int:
    rows = client.get(f"/api/meetings/{meeting_id}/invitations").json()
    return int(next(row["id"] for row in rows if row["person_id"] == person_id))
