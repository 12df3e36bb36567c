"""Confirming the voter's face at vote time over HTTP and the meeting websocket: the tablet's
face check (frames in, a one-time permit out), ballots refused without it, the chair's desk
permit (API and console), and bad input refused with the state unchanged."""

from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import AuditEntry, Ballot, Poll, SecretChoice, SecretVoter
from models.poll import VotePermit
from tests.factories import ORIGIN, Room, assert_error, login, make_room, nonce, receive_until
from tests.web.checkin_support import enrol, face_client, face_session, probe
from web.settings import Settings

# They read the photos of ../shared/faces: without them, one clear failure per test.
pytestmark = pytest.mark.usefixtures("faces")

__all__ = ["face_client", "face_session"]
NEEDED_VI = "Cần xác nhận khuôn mặt trước khi bỏ phiếu"


@pytest.fixture
def room(face_session: Session, settings: Settings) -> Room:
    """A running meeting; the first delegate has Obama's face enrolled, the second Biden's."""
    room = make_room(face_session, delegates=3)
    enrol(face_session, settings, room.delegates[0], "people/obama/obama.jpg")
    enrol(face_session, settings, room.delegates[1], "people/biden/biden.jpg")
    return room


def open_poll(client: TestClient, room: Room, **fields: Any) -> dict[str, Any]:
    login(client, room.chair)
    body = {"title": "Bỏ phiếu tín nhiệm", "confirm_face": True, **fields}
    poll = client.post(f"/api/meetings/{room.meeting.id}/polls", json=body)
    assert poll.status_code == 201, poll.text
    assert poll.json()["confirm_face"] is body["confirm_face"]
    opened = client.post(f"/api/polls/{poll.json()['id']}/open")
    assert opened.status_code == 200, opened.text
    return dict(opened.json())


def face_check(client: TestClient, poll_id: int, *frames: bytes, **data: Any) -> Any:
    files = [("frames", (f"f{n}.jpg", frame, "image/jpeg")) for n, frame in enumerate(frames)]
    return client.post(f"/api/polls/{poll_id}/face-check", files=files, data=data)


def ballot(client: TestClient, poll_id: int, permit: str | None = None, **fields: Any) -> Any:
    body = {"choice": "yes", "nonce": nonce(), **fields}
    if permit is not None:
        body["permit"] = permit
    return client.post(f"/api/polls/{poll_id}/ballots", json=body)


def stored(session: Session) -> tuple[int, int, int]:
    session.expire_all()
    return (
        len(session.exec(select(Ballot)).all()),
        len(session.exec(select(SecretVoter)).all()),
        len(session.exec(select(VotePermit)).all()),
    )


def blank_jpeg() -> bytes:
    return bytes(cv2.imencode(".jpg", np.full((480, 640, 3), 200, dtype=np.uint8))[1].tobytes())


def test_the_right_face_votes_over_http(
    face_client: TestClient, face_session: Session, room: Room
) -> None:
    poll = open_poll(face_client, room)
    login(face_client, room.delegates[0])
    info = face_client.get(f"/api/polls/{poll['id']}/face-check").json()
    assert info == {
        "confirm_face": True,
        "frames": 1,
        "interval_ms": 250,
        "liveness": False,
        "allowed_by_desk": False,
    }
    refused = assert_error(ballot(face_client, poll["id"]), 403, "FaceCheckRequiredError")
    assert refused["message"] == NEEDED_VI
    assert stored(face_session) == (0, 0, 0)

    checked = face_check(face_client, poll["id"], probe("obama-480p.jpg"))
    assert checked.status_code == 200, checked.text
    assert set(checked.json()) == {"permit", "expires_at"}
    permit = checked.json()["permit"]
    assert ballot(face_client, poll["id"], permit).status_code == 200
    assert stored(face_session) == (1, 0, 1)
    # One time only.
    again = ballot(face_client, poll["id"], permit, choice="no")
    assert_error(again, 403, "FaceCheckRequiredError")
    assert stored(face_session)[0] == 1


def test_a_wrong_face_cannot_vote(
    face_client: TestClient, face_session: Session, room: Room
) -> None:
    poll = open_poll(face_client, room)
    login(face_client, room.delegates[1])  # Biden's tablet, Obama's face
    body = assert_error(face_check(face_client, poll["id"], probe("obama1.jpg")), 403)
    assert body["error"] == "FaceMismatchError"
    assert "không khớp" in body["message"]
    assert stored(face_session) == (0, 0, 0)
    assert_error(ballot(face_client, poll["id"]), 403, "FaceCheckRequiredError")
    # Someone else's permit does not help either.
    login(face_client, room.delegates[0])
    permit = face_check(face_client, poll["id"], probe("obama1.jpg")).json()["permit"]
    login(face_client, room.delegates[1])
    assert_error(ballot(face_client, poll["id"], permit), 403, "FaceCheckRequiredError")
    assert stored(face_session) == (0, 0, 1)


@pytest.mark.parametrize(
    ("frames", "status", "error"),
    [
        (["obama_and_biden.jpg"], 422, "SeveralFacesError"),
        (["blank"], 422, "NoFaceInFrameError"),
        (["text"], 415, "NotAnImageError"),
        (["empty"], 422, "EmptyImageError"),
        (["obama-480p.jpg"] * 13, 422, "InvalidBallotError"),
        ([], 422, None),
    ],
    ids=["two-faces", "no-face", "text-file", "empty", "too-many", "none"],
)
def test_a_refused_face_check_says_why_and_changes_nothing(
    face_client: TestClient,
    face_session: Session,
    room: Room,
    frames: list[str],
    status: int,
    error: str | None,
) -> None:
    poll = open_poll(face_client, room)
    login(face_client, room.delegates[0])
    special = {"blank": blank_jpeg(), "text": b"Khong phai anh\n" * 20, "empty": b""}
    data = [special[name] if name in special else probe(name) for name in frames]
    assert_error(face_check(face_client, poll["id"], *data), status, error)
    assert stored(face_session) == (0, 0, 0)


def test_face_check_refusals_before_any_face_work(
    face_client: TestClient, face_session: Session, room: Room
) -> None:
    poll = open_poll(face_client, room)
    plain = open_poll(face_client, room, confirm_face=False)
    login(face_client, room.delegates[2])  # no enrolled face
    assert_error(
        face_check(face_client, poll["id"], probe("obama1.jpg")), 409, "NoEnrolledFaceError"
    )
    login(face_client, room.delegates[0])
    info = face_client.get(f"/api/polls/{plain['id']}/face-check").json()
    assert info["confirm_face"] is False
    assert_error(
        face_check(face_client, plain["id"], probe("obama1.jpg")), 409, "FaceCheckNotAskedError"
    )
    assert_error(face_check(face_client, 999_999, probe("obama1.jpg")), 404, "PollNotFoundError")
    bad = ballot(face_client, poll["id"], "not a permit!")
    assert_error(bad, 422)
    assert stored(face_session) == (0, 0, 0)
    # Without a face check requirement nothing changes for ballots.
    assert ballot(face_client, plain["id"]).status_code == 200


def test_the_websocket_ballot_needs_the_permit_too(
    face_client: TestClient, face_session: Session, room: Room
) -> None:
    poll = open_poll(face_client, room, secret=True)
    login(face_client, room.delegates[0])
    url = f"/ws/meetings/{room.meeting.id}"
    with face_client.websocket_connect(url, headers=ORIGIN) as ws:
        body = {"type": "ballot", "poll_id": poll["id"], "choice": "yes", "nonce": nonce()}
        ws.send_json(body)
        error = receive_until(ws, "error")
        assert error["ref"] == body["nonce"]
        assert error["error"] == "FaceCheckRequiredError"
        assert error["status"] == 403
        assert error["message"] == NEEDED_VI
        assert stored(face_session) == (0, 0, 0)
        permit = face_check(face_client, poll["id"], probe("obama-480p.jpg")).json()["permit"]
        ws.send_json({**body, "nonce": nonce(), "permit": permit})
        ack = receive_until(ws, "ballot.ack")
        assert ack["receipt"]
    assert stored(face_session) == (0, 1, 1)
    # The secret choice holds nothing of the permit.
    [choice] = face_session.exec(select(SecretChoice)).all()
    [used] = face_session.exec(select(VotePermit)).all()
    assert used.used_at is not None
    assert permit not in str(choice)
    assert str(used.token_hash) not in str(choice)


def test_the_chair_allows_a_member_after_a_desk_check(
    face_client: TestClient, face_session: Session, room: Room
) -> None:
    poll = open_poll(face_client, room)
    voter = room.delegates[1]
    url = f"/api/polls/{poll['id']}/desk-permits"
    login(face_client, voter)
    assert_error(face_client.post(url, json={"voter_id": voter.id, "reason": "tự cho phép"}), 403)
    login(face_client, room.chair)
    assert_error(face_client.post(url, json={"voter_id": voter.id, "reason": "  "}), 422)
    assert_error(face_client.post(url, json={"voter_id": "x", "reason": "ok"}), 422)
    assert stored(face_session) == (0, 0, 0)
    allowed = face_client.post(url, json={"voter_id": voter.id, "reason": "Đã đối chiếu CCCD"})
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["granted_by"] == room.chair.id
    entry = face_session.exec(
        select(AuditEntry).where(AuditEntry.action == "vote.desk_allowed")
    ).one()
    assert entry.actor_id == room.chair.id
    assert entry.detail["reason"] == "Đã đối chiếu CCCD"

    # Only the member (or their proxy holder) learns of it.
    login(face_client, room.delegates[0])
    asked = face_client.get(f"/api/polls/{poll['id']}/face-check?on_behalf_of={voter.id}")
    assert asked.json()["allowed_by_desk"] is False
    login(face_client, voter)
    info = face_client.get(f"/api/polls/{poll['id']}/face-check").json()
    assert info["allowed_by_desk"] is True
    assert ballot(face_client, poll["id"]).status_code == 200
    assert face_client.get(f"/api/polls/{poll['id']}/face-check").json()["allowed_by_desk"] is False


def as_browser(client: TestClient, room: Room) -> None:
    login(client, room.chair)
    client.headers.pop("x-csrf-token", None)


def post_form(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    fields = {"csrf_token": client.cookies.get("hop_csrf"), **data}
    return client.post(url, data=fields, follow_redirects=False)


def test_the_console_drafts_the_poll_and_records_a_desk_check(
    face_client: TestClient, face_session: Session, room: Room
) -> None:
    as_browser(face_client, room)
    base = f"/meetings/{room.meeting.id}/polls"
    created = post_form(
        face_client, base, {"template": "approval", "title": "Tín nhiệm", "confirm_face": "1"}
    )
    assert created.status_code == 303, created.text
    poll = face_session.exec(select(Poll).where(Poll.title == "Tín nhiệm")).one()
    assert poll.confirm_face is True
    assert post_form(face_client, f"{base}/{poll.id}/open", {}).status_code == 303
    page = face_client.get(f"{base}?lang=vi")
    assert "Cho phép đại biểu này bỏ phiếu" in page.text
    assert f"{base}/{poll.id}/desk/allow" in page.text
    voter = room.delegates[2]
    refused = post_form(face_client, f"{base}/{poll.id}/desk/allow", {"voter_id": str(voter.id)})
    assert refused.status_code == 422
    assert stored(face_session) == (0, 0, 0)
    done = post_form(
        face_client,
        f"{base}/{poll.id}/desk/allow",
        {"voter_id": str(voter.id), "reason": "Thư ký đã đối chiếu"},
    )
    assert done.status_code == 303, done.text
    listed = face_client.get(f"{base}/list?lang=vi").text
    assert "Thư ký đã đối chiếu" in listed
    # The delegate's ballot on the tablet knows it must confirm the face.
    login(face_client, voter)
    fragment = face_client.get(f"/room/{room.meeting.id}/ballot?lang=vi").text
    assert 'data-confirm-face="1"' in fragment
    assert "Chụp ảnh" in fragment
