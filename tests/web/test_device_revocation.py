"""Revoking a device token closes its open sockets within five seconds (about one, in fact);
ending a login closes the sockets it opened. Measured by awaiting the close, never a sleep."""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.websockets import WebSocketDisconnect

from models import DeviceToken, Meeting
from models.base import as_utc, utcnow
from tests.factories import ORIGIN
from web.app import create_app
from web.realtime.revocation import invalid_credentials
from web.realtime.ws import CLOSE_REVOKED
from web.settings import Settings
from web.sockets import Credential

LIMIT_SECONDS = 5.0


def issue(client: TestClient, meeting: Meeting, kind: str) -> tuple[int, str]:
    body = {"name": f"Máy {kind}", "kind": kind, "meeting_id": meeting.id}
    response = client.post("/api/devices", json=body)
    assert response.status_code == 201, response.text
    issued = response.json()
    return issued["id"], issued["token"]


@contextmanager
def device_socket(client: TestClient, url: str, token: str) -> Iterator[Any]:
    """A socket opened with the device token alone (a kiosk has no login cookie)."""
    saved = dict(client.cookies)
    client.cookies.clear()
    try:
        headers = {"authorization": f"Bearer {token}", **ORIGIN}
        with client.websocket_connect(url, headers=headers) as ws:
            client.cookies.update(saved)
            yield ws
    finally:
        client.cookies.update(saved)


def wait_for_close(ws: Any, timeout: float = LIMIT_SECONDS) -> tuple[int, float]:
    """The close code and how long it took: receives (skipping data) until the close comes."""
    start = time.monotonic()

    def until_close() -> int:
        while True:
            message = ws.receive()
            if message["type"] == "websocket.close":
                return int(message.get("code", 1000))

    with ThreadPoolExecutor(max_workers=1) as pool:
        code = pool.submit(until_close).result(timeout=timeout)
    return code, time.monotonic() - start


# The shared clerk's meeting, with the client logged in as the clerk.
pytestmark = pytest.mark.usefixtures("clerk_client")


@pytest.mark.parametrize(("kind", "path"), [("projector", "meetings"), ("kiosk", "kiosk")])
def test_revoking_a_device_closes_its_socket_within_five_seconds(
    client: TestClient, meeting: Meeting, kind: str, path: str
) -> None:
    device_id, token = issue(client, meeting, kind)
    url = f"/ws/{path}/{meeting.id}"
    with device_socket(client, url, token) as ws:
        if path == "meetings":
            assert ws.receive_json()["type"] == "snapshot"
        assert client.post(f"/api/devices/{device_id}/revoke").status_code == 200
        code, seconds = wait_for_close(ws)
    assert code == CLOSE_REVOKED
    assert seconds < LIMIT_SECONDS
    with pytest.raises(WebSocketDisconnect) as refused, device_socket(client, url, token):
        pass
    assert refused.value.code == 1008  # and it cannot come back


def test_other_devices_stay_connected(client: TestClient, meeting: Meeting) -> None:
    revoked_id, revoked = issue(client, meeting, "projector")
    _, kept = issue(client, meeting, "projector")
    url = f"/ws/meetings/{meeting.id}"
    with (
        device_socket(client, url, revoked) as a,
        device_socket(client, url, kept) as b,
    ):
        a.receive_json()
        b.receive_json()
        client.post(f"/api/devices/{revoked_id}/revoke")
        assert wait_for_close(a)[0] == CLOSE_REVOKED
        b.send_json({"type": "ping"})
        assert b.receive_json() == {"type": "pong"}


def test_a_revocation_made_by_another_process_closes_the_socket(
    client: TestClient, meeting: Meeting, settings: Settings
) -> None:
    """Another server process (here: a second app on the same database) revokes the token."""
    device_id, token = issue(client, meeting, "projector")
    with device_socket(client, f"/ws/meetings/{meeting.id}", token) as ws:
        ws.receive_json()
        with TestClient(create_app(settings)) as other:
            other.cookies.update(client.cookies)
            other.headers["x-csrf-token"] = client.headers["x-csrf-token"]
            assert other.post(f"/api/devices/{device_id}/revoke").status_code == 200
        code, seconds = wait_for_close(ws)
    assert code == CLOSE_REVOKED
    assert seconds < LIMIT_SECONDS


def test_logging_out_closes_the_sockets_of_that_login(client: TestClient, meeting: Meeting) -> None:
    with client.websocket_connect(f"/ws/meetings/{meeting.id}", headers=ORIGIN) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        assert client.post("/api/logout").status_code == 204
        code, seconds = wait_for_close(ws)
    assert code == CLOSE_REVOKED
    assert seconds < LIMIT_SECONDS


def test_a_device_with_an_open_socket_is_marked_seen_once_a_minute(
    client: TestClient, meeting: Meeting, engine: Engine, session: Session
) -> None:
    """A projector on for hours is still "last seen" a minute ago on the devices page; a
    revoked one is not marked, and a device seen within the minute is not written again."""
    on, _ = issue(client, meeting, "projector")
    off, _ = issue(client, meeting, "projector")
    hour_ago = utcnow() - timedelta(hours=1)
    for device_id in (on, off):
        device = session.get(DeviceToken, device_id)
        assert device is not None
        device.last_seen_at = hour_ago
        if device_id == off:
            device.revoked_at = utcnow()
        session.add(device)
    session.commit()

    invalid = invalid_credentials(
        engine, [Credential.device(on), Credential.device(off)], mark_seen=True
    )
    assert invalid == {Credential.device(off)}
    session.expire_all()
    seen = {d.id: d.last_seen_at for d in session.exec(select(DeviceToken)).all()}
    marked = seen[on]
    assert marked is not None
    assert as_utc(marked) > utcnow() - timedelta(seconds=30)
    assert seen[off] is not None
    assert as_utc(seen[off]) == as_utc(hour_ago)

    invalid_credentials(engine, [Credential.device(on)], mark_seen=True)
    session.expire_all()
    again = session.get(DeviceToken, on)
    assert again is not None
    assert again.last_seen_at == marked
