"""Defects an external tester found in the web layer (issue 13, points 5, 6 and 8):
websocket messages validated like their HTTP twins, a server error that leaves the keep-alive
connection usable, and a refused request recorded whatever state the request's session is in.
"""

import http.client
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlmodel import Session, select
from starlette.requests import Request

from bench._servers import free_port
from models import AuditEntry, Person
from models.db import open_session
from tests.factories import ORIGIN, Room, login, nonce, receive_until
from web.app import create_app
from web.audit_log import _write_denied
from web.auth import SESSION_COOKIE
from web.settings import Settings

BIG = 2**70

# Each field of a ballot message, out of range or of the wrong type.
BAD_BALLOTS = [
    {"poll_id": BIG},
    {"poll_id": -1},
    {"poll_id": 0},
    {"poll_id": "1"},
    {"poll_id": True},
    {"poll_id": None},
    {"poll_id": 1.5},
    {"on_behalf_of": BIG},
    {"on_behalf_of": "x"},
    {"choice": 7},
    {"choice": "x" * 100},
    {"choices": "yes"},
    {"choices": [1, 2]},
    {"text": ["a"]},
    {"text": "a\x00b"},
    {"agree": "maybe"},
    {"nonce": 5},
    {"nonce": "short"},
]


def _ballot(poll_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "ballot", "poll_id": poll_id, "choice": "yes", "nonce": nonce(), **fields}


@pytest.mark.parametrize(
    "fields", BAD_BALLOTS, ids=lambda f: f"{next(iter(f))}={f[next(iter(f))]!r}"
)
def test_every_bad_ballot_field_over_the_websocket_is_a_named_error(
    client: TestClient, room: Room, fields: dict[str, Any]
) -> None:
    poll = room.open()
    login(client, room.delegates[0])
    with client.websocket_connect(f"/ws/meetings/{room.meeting.id}", headers=ORIGIN) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        ws.send_json(_ballot(poll.id or 0, fields))
        reply = receive_until(ws, "error")
    assert reply["error"] != "InternalError", reply
    assert reply["status"] in (404, 409, 422), reply
    if reply["status"] == 422:
        assert next(iter(fields)) in reply["detail"], reply


def test_the_http_twin_of_an_out_of_range_poll_is_a_422_too(client: TestClient, room: Room) -> None:
    login(client, room.delegates[0])
    body = {"choice": "yes", "nonce": nonce()}
    answer = client.post(f"/api/polls/{BIG}/ballots", json=body)
    assert answer.status_code in (404, 422)
    poll = room.open()
    answer = client.post(f"/api/polls/{poll.id}/ballots", json={**body, "on_behalf_of": BIG})
    assert answer.status_code == 422


MESSAGES = st.dictionaries(
    st.sampled_from(
        ["type", "poll_id", "choice", "choices", "text", "agree", "nonce", "on_behalf_of"]
    ),
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=False),
        st.text(max_size=30),
        st.lists(st.text(max_size=5), max_size=3),
    ),
)


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(message=MESSAGES)
def test_generated_messages_to_the_meeting_socket_get_an_error_never_an_internal_one(
    client: TestClient, room: Room, message: dict[str, Any]
) -> None:
    message = {"type": "ballot", **message} if "type" not in message else message
    login(client, room.delegates[0])
    with client.websocket_connect(f"/ws/meetings/{room.meeting.id}", headers=ORIGIN) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        ws.send_json(message)
        ws.send_json({"type": "ping"})
        replies = [ws.receive_json() for _ in range(2)]
    assert all(reply.get("error") != "InternalError" for reply in replies), replies
    assert {"type": "pong"} in replies


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """A real uvicorn on a loopback port, with a route that fails the way a bug would."""
    app: FastAPI = create_app(settings)

    @app.get("/api/test-fault")
    def fault() -> None:
        raise RuntimeError("a bug")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_server_error_leaves_the_keep_alive_connection_usable(live_server: str) -> None:
    host, port = live_server.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", "/api/test-fault")
        failed = connection.getresponse()
        body = failed.read()
        assert failed.status == 500
        assert b"InternalError" in body
        assert b"a bug" not in body
        connection.request("GET", "/healthz")  # the same connection
        healthy = connection.getresponse()
        assert healthy.status == 200
        assert healthy.read() == b'{"status":"ok"}'
    finally:
        connection.close()


def test_a_refusal_is_recorded_when_the_request_session_is_gone(
    client: TestClient, room: Room
) -> None:
    """The request's Person may be expired and detached by the time the refusal is recorded
    (its session rolled back and closed): the audit row must still name who asked."""
    delegate = room.delegates[0]
    login(client, delegate)
    app = client.app
    with open_session(app.state.hop.engine) as gone:  # type: ignore[attr-defined]
        stale = gone.get(Person, delegate.id)
        gone.rollback()  # expires it
    scope = {
        "type": "http",
        "method": "POST",
        "path": f"/api/meetings/{room.meeting.id}/speakers",
        "headers": [(b"cookie", f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}".encode())],
        "query_string": b"",
        "path_params": {"meeting_id": str(room.meeting.id)},
        "client": ("203.0.113.9", 4242),
        "app": app,
    }
    request = Request(scope)
    request.state.person = stale
    _write_denied(request, "Delegates may only ask to speak for themselves")
    with Session(app.state.hop.engine) as session:  # type: ignore[attr-defined]
        row = session.exec(select(AuditEntry).where(AuditEntry.action == "access.denied")).one()
    assert row.actor == delegate.username
    assert row.meeting_id == room.meeting.id
