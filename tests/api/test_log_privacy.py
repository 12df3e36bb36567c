"""No personal data in the logs: with every logger at DEBUG and the lines written as the server
writes them with HOP_LOG_FORMAT=json, a login (and failed ones), a new account's password, a
face check-in at the kiosk and ballots over HTTP and the socket leave no password, username,
name, ballot content, nonce or embedding in any line (test_checkin's
test_no_log_line_holds_an_embedding, extended to the rest)."""

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import Role
from tests.factories import (
    ORIGIN,
    PASSWORD,
    invite,
    login,
    make_meeting,
    nonce,
    receive_until,
    start_meeting,
)
from tests.factories import make_user as make_account
from tests.web.checkin_support import assert_no_embedding, enrol, kiosk_token, probe, shared_pool
from web.app import create_app
from web.logs import ContextFilter, JsonFormatter
from web.settings import Settings

# They read the photos of ../shared/faces: without them, one clear failure per test.
pytestmark = pytest.mark.usefixtures("faces")

CLERK = ("thuky.rieng.tu", "Trần Thị Kín Đáo")
VOTER = ("obama.private", "Barack Obama")
NEW_ACCOUNT = ("nguoi.moi.kin", "Hoàng Văn Riêng Tư", "NewPerson-Secret-99")
WRONG_PASSWORD = "Wrong-Guess-4471"
UNKNOWN_USER = "khong.co.ai.9"
OPINION = "Ý kiến kín số 7731 không được ghi vào nhật ký"


class ServerLines:
    """The lines uvicorn writes for each request and socket (its access line with the URL,
    its websocket line), which the test client does not run: logged here the same way."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode()
        path = scope["path"] + (f"?{query}" if query else "")

        async def logging_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                logging.getLogger("uvicorn.access").info(
                    '%s - "%s %s HTTP/%s" %d',
                    "10.0.0.8:5000",
                    scope["method"],
                    path,
                    "1.1",
                    message["status"],
                )
            elif message["type"] == "websocket.accept":
                logging.getLogger("uvicorn.error").info(
                    '%s - "WebSocket %s" [accepted]', "10.0.0.8:5000", path
                )
            await send(message)

        await self.app(scope, receive, logging_send)


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[TestClient, Session]]:
    """A client of the app as served, and a session on its database."""
    app = create_app(settings, face_pool=shared_pool())
    with (
        TestClient(ServerLines(app)) as client,
        Session(app.state.hop.engine, expire_on_commit=False) as session,
    ):
        yield client, session


def server_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The JSON lines of the server's loggers (the test's HTTP client's own are left out)."""
    formatter = JsonFormatter()
    return [
        formatter.format(record)
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    ]


def test_no_log_line_holds_personal_data_or_a_ballot(
    served: tuple[TestClient, Session],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(ContextFilter())  # ids and blanked secrets, as the server's handlers
    # An earlier test may have run uvicorn in this process, which configured its loggers (a
    # level, no propagation, or disabled): their lines must reach the capture all the same.
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        caplog.set_level(logging.DEBUG, logger=name)
        monkeypatch.setattr(logging.getLogger(name), "propagate", True)
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    client, face_session = served
    clerk = make_account(face_session, role=Role.secretariat, username=CLERK[0], full_name=CLERK[1])
    voter = make_account(face_session, username=VOTER[0], full_name=VOTER[1])

    # Logins: a wrong password, an unknown account, then the right one.
    for username, password in ((CLERK[0], WRONG_PASSWORD), (UNKNOWN_USER, WRONG_PASSWORD)):
        refused = client.post("/api/login", json={"username": username, "password": password})
        assert refused.status_code == 401
    login(client, clerk)
    found = client.get("/api/people", params={"q": VOTER[1]}).json()["items"]
    assert [person["username"] for person in found] == [VOTER[0]]
    account = {"username": NEW_ACCOUNT[0], "full_name": NEW_ACCOUNT[1], "password": NEW_ACCOUNT[2]}
    assert client.post("/api/people", json=account).status_code == 201

    # A meeting in progress; the voter is checked in by their face at the kiosk.
    meeting = make_meeting(face_session, creator=clerk, title="Kỳ họp kín")
    meeting_id = meeting.id
    invite(face_session, meeting, voter)
    enrol(face_session, settings, voter, "people/obama/obama.jpg", "people/obama/obama2.jpg")
    start_meeting(face_session, meeting)
    token = kiosk_token(client, meeting_id)
    frame = client.post(
        f"/api/meetings/{meeting_id}/checkin/frame",
        content=probe("obama1.jpg"),
        headers={"authorization": f"Bearer {token}", "content-type": "image/jpeg"},
    )
    assert frame.json()["checked_in"], frame.text
    kiosk = f"/ws/kiosk/{meeting_id}?token={token}"
    with client.websocket_connect(kiosk, headers=ORIGIN) as ws:
        ws.send_bytes(probe("obama1.jpg"))
        ws.receive_json()

    # Ballots: an opinion over HTTP, a secret yes/no over the socket.
    opinion = client.post(
        f"/api/meetings/{meeting_id}/polls", json={"title": "Góp ý", "kind": "opinion"}
    ).json()["id"]
    secret = client.post(
        f"/api/meetings/{meeting_id}/polls", json={"title": "Bỏ phiếu kín", "secret": True}
    ).json()["id"]
    for poll_id in (opinion, secret):
        assert client.post(f"/api/polls/{poll_id}/open").status_code == 200, poll_id
    login(client, voter)
    nonces = [nonce(), nonce()]
    cast = client.post(f"/api/polls/{opinion}/ballots", json={"text": OPINION, "nonce": nonces[0]})
    assert cast.status_code == 200, cast.text
    with client.websocket_connect(f"/ws/meetings/{meeting_id}", headers=ORIGIN) as ws:
        receive_until(ws, "snapshot")
        ws.send_json({"type": "ballot", "poll_id": secret, "choice": "no", "nonce": nonces[1]})
        receive_until(ws, "ballot.ack")

    lines = server_lines(caplog)
    parsed = [json.loads(line) for line in lines]  # every line one JSON object
    access = [line for line in parsed if line["logger"] == "uvicorn.access"]
    assert len(access) >= 10, "the journey's requests were not logged: nothing would be proved"
    assert all(line["request_id"] for line in access)
    assert any(line["logger"] == "uvicorn.error" for line in parsed)  # the sockets' lines
    text = "\n".join(lines)
    secrets = [PASSWORD, WRONG_PASSWORD, UNKNOWN_USER, OPINION, *CLERK, *VOTER, *NEW_ACCOUNT]
    for secret_text in [*secrets, *nonces, token, "Barack", "Obama"]:
        assert secret_text not in text, secret_text
    assert_no_embedding(text)
