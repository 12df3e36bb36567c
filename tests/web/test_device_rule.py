"""One rule for "this device token is valid for this meeting", and the five doors that ask it:
the frame API, the kiosk page, the projector page, the kiosk socket and the meeting socket."""

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.websockets import WebSocketDisconnect

from models import DeviceKind, DeviceTokenCreate, Meeting, Person
from models.base import utcnow
from tests.factories import ORIGIN, make_meeting
from web.auth import DeviceRefusedError, device_for_meeting, issue_device_token
from web.realtime.ws import CLOSE_POLICY


@dataclass(frozen=True)
class Tokens:
    """Tokens for `meeting`: each names a way of being wrong for it (or none)."""

    kiosk: str
    unbound_kiosk: str
    projector: str
    other_meeting: str
    revoked: str


def issue(
    session: Session, clerk: Person, kind: DeviceKind, meeting_id: int | None, *, revoked: bool
) -> str:
    data = DeviceTokenCreate(name=f"Máy {kind}", kind=kind, meeting_id=meeting_id)
    device, token = issue_device_token(session, data=data, issuer=clerk)
    if revoked:
        device.revoked_at = utcnow()
        session.add(device)
        session.commit()
    return token


@pytest.fixture
def tokens(session: Session, clerk: Person, meeting: Meeting) -> Tokens:
    other = make_meeting(session, creator=clerk, title="Kỳ họp khác")

    def token(kind: DeviceKind, meeting_id: int | None, *, revoked: bool = False) -> str:
        return issue(session, clerk, kind, meeting_id, revoked=revoked)

    return Tokens(
        kiosk=token(DeviceKind.kiosk, meeting.id),
        unbound_kiosk=token(DeviceKind.kiosk, None),
        projector=token(DeviceKind.projector, meeting.id),
        other_meeting=token(DeviceKind.kiosk, other.id),
        revoked=token(DeviceKind.kiosk, meeting.id, revoked=True),
    )


# -- the rule ---------------------------------------------------------------------------------


def test_a_device_opens_its_own_meeting_and_an_unbound_one_opens_any(
    session: Session, meeting: Meeting, tokens: Tokens
) -> None:
    meeting_id = meeting.id or 0
    assert device_for_meeting(session, tokens.kiosk, meeting_id, DeviceKind.kiosk).meeting_id
    unbound = device_for_meeting(session, tokens.unbound_kiosk, meeting_id, DeviceKind.kiosk)
    assert unbound.meeting_id is None
    # Without a kind, any kind of device will do (the screens and the meeting socket).
    assert device_for_meeting(session, tokens.projector, meeting_id).kind == DeviceKind.projector


@pytest.mark.parametrize(
    ("which", "token_refused"),
    [
        ("revoked", True),
        ("projector", True),  # of the wrong kind
        ("other_meeting", False),
        (None, True),
        ("nonsense", True),
    ],
)
def test_the_rule_says_why_a_device_is_refused(
    session: Session, meeting: Meeting, tokens: Tokens, which: str | None, token_refused: bool
) -> None:
    token = getattr(tokens, which, which) if which else None
    with pytest.raises(DeviceRefusedError) as refused:
        device_for_meeting(session, token, meeting.id or 0, DeviceKind.kiosk)
    assert refused.value.token is token_refused


def test_an_unknown_meeting_is_refused_like_another_meeting(
    session: Session, meeting: Meeting, tokens: Tokens
) -> None:
    with pytest.raises(DeviceRefusedError) as refused:
        device_for_meeting(session, tokens.unbound_kiosk, (meeting.id or 0) + 1000)
    assert refused.value.token is False


# -- the doors --------------------------------------------------------------------------------


# (door, token) -> the status or close code: the API 401, the screens' pages 403 (a screen
# cannot log in: a page that says so, tests/web/test_screens_fit.py); another meeting's 404.
HTTP_CASES = [
    ("frame", "revoked", 401),
    ("frame", "projector", 401),
    ("frame", "other_meeting", 404),
    ("frame", "kiosk", 422),  # let in: the empty body is refused afterwards
    ("kiosk_page", "revoked", 403),
    ("kiosk_page", "projector", 403),
    ("kiosk_page", "other_meeting", 404),
    ("kiosk_page", "unbound_kiosk", 200),
    ("projector_page", "revoked", 403),
    ("projector_page", "other_meeting", 404),
    ("projector_page", "kiosk", 200),  # a screen takes a device of any kind
]


@pytest.mark.parametrize(("door", "which", "status"), HTTP_CASES)
def test_each_http_door_keeps_its_answer(
    client: TestClient, meeting: Meeting, tokens: Tokens, door: str, which: str, status: int
) -> None:
    client.cookies.clear()
    token = getattr(tokens, which)
    if door == "frame":
        headers = {"authorization": f"Bearer {token}"}
        response = client.post(f"/api/meetings/{meeting.id}/checkin/frame", headers=headers)
    else:
        path = {"kiosk_page": "kiosk", "projector_page": "projector"}[door]
        response = client.get(f"/{path}/{meeting.id}?token={token}", follow_redirects=False)
    assert response.status_code == status, response.text
    assert "location" not in response.headers  # never the login form


SOCKET_CASES = [
    ("kiosk", "revoked"),
    ("kiosk", "projector"),
    ("kiosk", "other_meeting"),
    ("meetings", "revoked"),
    ("meetings", "other_meeting"),
]


@pytest.mark.parametrize(("door", "which"), SOCKET_CASES)
def test_each_socket_refuses_a_device_the_rule_refuses(
    client: TestClient, meeting: Meeting, tokens: Tokens, door: str, which: str
) -> None:
    client.cookies.clear()
    headers = {"authorization": f"Bearer {getattr(tokens, which)}", **ORIGIN}
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(f"/ws/{door}/{meeting.id}", headers=headers),
    ):
        pass
    assert refused.value.code == CLOSE_POLICY


@pytest.mark.parametrize(("door", "which"), [("kiosk", "unbound_kiosk"), ("meetings", "projector")])
def test_each_socket_lets_in_a_device_the_rule_lets_in(
    client: TestClient, meeting: Meeting, tokens: Tokens, door: str, which: str
) -> None:
    client.cookies.clear()
    headers = {"authorization": f"Bearer {getattr(tokens, which)}", **ORIGIN}
    with client.websocket_connect(f"/ws/{door}/{meeting.id}", headers=headers) as ws:
        ws.send_json({"type": "ping"})
        reply = ws.receive_json()
        if door == "meetings":
            assert reply["type"] == "snapshot"
            reply = ws.receive_json()
        assert reply["type"] == "pong"
