"""The kiosk websocket: frames in, decisions out; the desk sees the arrival live."""

import asyncio
import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.websockets import WebSocketDisconnect

from models import Meeting
from tests.factories import ORIGIN
from tests.web.checkin_support import (
    assert_no_embedding,
    enrol,
    face_client,
    face_session,
    invited,
    json_text,
    kiosk_token,
    probe,
    qr_frame,
    staff_and_meeting,
)
from web.realtime.kiosk import KioskConnection
from web.settings import Settings

# They read the photos of ../shared/faces: without them, one clear failure per test.
pytestmark = pytest.mark.usefixtures("faces")

__all__ = ["face_client", "face_session"]


@contextmanager
def kiosk(client: TestClient, meeting: Meeting, token: str) -> Iterator[Any]:
    url = f"/ws/kiosk/{meeting.id}?token={token}"
    with client.websocket_connect(url, headers=ORIGIN) as ws:
        yield ws


def test_two_frames_check_the_delegate_in_and_the_desk_sees_it(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    obama = invited(face_session, meeting, "Barack Obama", seat="A01")
    enrol(face_session, settings, obama, "people/obama/obama.jpg", "people/obama/obama2.jpg")
    token = kiosk_token(face_client, meeting.id)
    frame = probe("obama-480p.jpg")
    with (
        face_client.websocket_connect(f"/ws/meetings/{meeting.id}", headers=ORIGIN) as desk,
        kiosk(face_client, meeting, token) as ws,
    ):
        assert desk.receive_json()["type"] == "snapshot"
        ws.send_bytes(frame)
        first = ws.receive_json()
        assert first["type"] == "faces"
        assert [face["state"] for face in first["faces"]] == ["detecting"]
        assert first["checked_in"] == []
        ws.send_bytes(frame)
        second = ws.receive_json()
        assert [face["state"] for face in second["faces"]] == ["checked_in"]
        assert second["faces"][0]["name"] == "Barack Obama"
        assert second["faces"][0]["seat"] == "A01"
        assert second["checked_in"][0]["person_id"] == obama.id
        for message in (first, second):
            assert_no_embedding(json_text(message))
        event = desk.receive_json()
        assert event["type"] == "attendance.changed"
        assert event["data"]["person_id"] == obama.id
        ws.send_bytes(frame)
        assert ws.receive_json()["faces"][0]["state"] == "present"
    report = face_client.get(f"/api/meetings/{meeting.id}/attendance").json()
    assert report["people"][0]["present"] is True
    assert report["people"][0]["method"] == "face"
    page = face_client.get(f"/meetings/{meeting.id}/checkin/list")
    if page.status_code == 200:  # the desk's invitee list fragment
        assert "Barack Obama" in page.text


def test_a_malformed_frame_gets_an_error_and_the_socket_keeps_working(
    face_client: TestClient, face_session: Session
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    token = kiosk_token(face_client, meeting.id)
    with kiosk(face_client, meeting, token) as ws:
        ws.send_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
        error = ws.receive_json()
        assert error["type"] == "error"
        assert error["status"] in {413, 415, 422}
        ws.send_text("{not json")
        assert ws.receive_json()["error"] == "InvalidMessage"
        ws.send_json({"type": "confirm", "person_id": 12345})
        assert ws.receive_json()["error"] == "NotOfferedError"
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
        ws.send_bytes(probe("obama-240p.jpg"))
        answer = ws.receive_json()
        assert answer["type"] == "faces"
        assert answer["faces"][0]["state"] == "unknown"  # nobody is enrolled


def test_the_invitations_qr_code_checks_in_at_the_kiosk(
    face_client: TestClient, face_session: Session
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    person = invited(face_session, meeting, "Phạm Minh Châu", seat="B07")
    invitation = face_client.get(f"/api/meetings/{meeting.id}/invitations").json()[0]
    signer = face_client.app.state.hop.faces.signer  # type: ignore[attr-defined]
    text = signer.sign(meeting_id=meeting.id, invitation_id=invitation["id"])
    token = kiosk_token(face_client, meeting.id)
    with kiosk(face_client, meeting, token) as ws:
        ws.send_bytes(qr_frame(text))
        answer = ws.receive_json()
    assert answer["checked_in"] == [
        {
            "person_id": person.id,
            "name": "Phạm Minh Châu",
            "seat": "B07",
            "method": "qr",
            "new": True,
        }
    ]


def test_the_kiosk_socket_needs_a_kiosk_token_of_the_meeting(
    face_client: TestClient, face_session: Session
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    _, other = staff_and_meeting(face_client, face_session)
    foreign = kiosk_token(face_client, other.id)
    for token, headers in (
        ("nonsense", ORIGIN),
        (foreign, ORIGIN),
        (kiosk_token(face_client, meeting.id), {"origin": "https://evil.example"}),
    ):
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            face_client.websocket_connect(f"/ws/kiosk/{meeting.id}?token={token}", headers=headers),
        ):
            pass
        assert refused.value.code == 1008


class FakeSocket:
    """Stands in for a websocket: hands out queued messages, records what is sent."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = messages
        self.sent: list[str] = []

    async def receive(self) -> dict[str, Any]:
        await asyncio.sleep(0.001)  # frames arrive one by one, as from a camera
        if self.messages:
            return self.messages.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send_text(self, text: str) -> None:
        self.sent.append(text)

    async def close(self) -> None:
        pass


def test_only_the_newest_frame_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    analysed: list[bytes] = []

    async def slow_analyse(self: KioskConnection, data: bytes) -> dict[str, Any]:
        analysed.append(data)
        await asyncio.sleep(0.05)
        return {"type": "faces", "faces": [], "checked_in": []}

    monkeypatch.setattr(KioskConnection, "_analyse", slow_analyse)

    async def scenario() -> None:
        frames = [{"type": "websocket.receive", "bytes": bytes([n])} for n in range(5)]
        socket = FakeSocket(frames)
        connection = KioskConnection(None, socket, 1, None)  # type: ignore[arg-type]
        runner = asyncio.create_task(connection.run())
        await asyncio.sleep(0.3)
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        # The first frame was taken at once; the four behind it left only the newest.
        assert analysed == [b"\x00", b"\x04"]
        assert connection.replaced == 3
        assert len(socket.sent) == 2

    asyncio.run(scenario())
