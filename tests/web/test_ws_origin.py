"""Every websocket route (found in app.routes) refuses a page of another site, even when the
browser brings a valid session cookie or the page knows a device token."""

import pytest
from fastapi import routing
from fastapi.routing import APIWebSocketRoute
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from models import Role
from tests.factories import login, make_meeting, make_user
from web.settings import Settings

FOREIGN = [
    "https://evil.example",
    "http://testserver.evil.example",
    "http://evil.example:80",
    "null",  # a sandboxed frame or a file:// page
]


def websocket_paths(client: TestClient) -> list[str]:
    return sorted(
        context.path
        for context in routing.iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        if isinstance(context.original_route, APIWebSocketRoute | WebSocketRoute)
    )


def credentials(client: TestClient, session: Session) -> tuple[int, str]:
    """Logged in as the secretariat, with a kiosk token: each socket has what it needs."""
    clerk = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    login(client, clerk)
    body = {"name": "Cửa A", "kind": "kiosk", "meeting_id": meeting.id}
    token: str = client.post("/api/devices", json=body).json()["token"]
    assert meeting.id is not None
    return meeting.id, token


def url_of(path: str, meeting_id: int, token: str) -> str:
    return path.replace("{meeting_id}", str(meeting_id)) + f"?token={token}"


def assert_refused(client: TestClient, url: str, headers: dict[str, str]) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(url, headers=headers),
    ):
        pass
    assert refused.value.code == 1008


def test_the_socket_routes_are_found(client: TestClient) -> None:
    assert {"/ws/meetings/{meeting_id}", "/ws/kiosk/{meeting_id}"} <= set(websocket_paths(client))


def test_every_socket_refuses_a_foreign_origin(client: TestClient, session: Session) -> None:
    meeting_id, token = credentials(client, session)
    paths = websocket_paths(client)
    for path in paths:
        url = url_of(path, meeting_id, token)
        bearer = {"authorization": f"Bearer {token}"}
        for origin in FOREIGN:
            assert_refused(client, url, {"origin": origin, **bearer})
        # The same credentials from the server's own page are served.
        with client.websocket_connect(url, headers={"origin": "http://testserver", **bearer}):
            pass


def test_a_cookie_without_an_origin_is_refused(client: TestClient, session: Session) -> None:
    """Browsers always send Origin; a cookie-borne request without one is not a browser's."""
    meeting_id, _ = credentials(client, session)
    assert_refused(client, f"/ws/meetings/{meeting_id}", {})


def test_a_configured_origin_is_allowed(settings: Settings) -> None:
    from web.app import create_app

    allowed = settings.model_copy(update={"allowed_origins": ["https://hop.example.gov.vn"]})
    with TestClient(create_app(allowed)) as client:
        engine = client.app.state.hop.engine  # type: ignore[attr-defined]
        with Session(engine, expire_on_commit=False) as session:
            meeting_id, _ = credentials(client, session)
        url = f"/ws/meetings/{meeting_id}"
        with client.websocket_connect(url, headers={"origin": "https://hop.example.gov.vn"}):
            pass
        assert_refused(client, url, {"origin": "https://other.example.gov.vn"})
