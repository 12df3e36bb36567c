"""Two real server processes sharing events over the local Redis."""

import contextlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlmodel import Session, col, select
from websockets.sync.client import ClientConnection, connect

from bench._servers import Server, free_port, hop_env
from models import DeviceKind, DeviceTokenCreate, Event, Meeting, Role
from models.db import make_engine
from models.event import Audience
from tests.factories import PASSWORD, invite, make_meeting, make_person, pdf_bytes
from web.auth import issue_device_token

REDIS_URL = os.environ.get("HOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except Exception:
        return False


if not redis_answers():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"Redis must answer in CI at {REDIS_URL}")
    pytest.skip(f"Redis is not answering at {REDIS_URL}", allow_module_level=True)


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[tuple[int, int]]:
    channel = f"hop:test:{uuid.uuid4().hex}"
    env = hop_env(
        database_url, tmp_path / "var", HOP_REDIS_URL=REDIS_URL, HOP_REDIS_CHANNEL=channel
    )
    ports = free_port(), free_port()
    servers = [Server(env, port, tmp_path / f"server-{port}.log") for port in ports]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        yield ports
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def scene(database_url: str) -> tuple[str, Meeting, str]:
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        clerk = make_person(session, role=Role.secretariat)
        meeting = make_meeting(session, creator=clerk)
        invite(session, meeting, make_person(session))
        _, token = issue_device_token(
            session,
            data=DeviceTokenCreate(
                name="Projector", kind=DeviceKind.projector, meeting_id=meeting.id
            ),
            issuer=clerk,
        )
    engine.dispose()
    return clerk.username, meeting, token


def publish_through(port: int, username: str, meeting: Meeting, title: str) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        login = http.post("/api/login", json={"username": username, "password": PASSWORD})
        http.headers["x-csrf-token"] = login.json()["csrf_token"]
        upload = http.post(
            f"/api/meetings/{meeting.id}/documents",
            data={"title": title},
            files={"file": ("doc.pdf", pdf_bytes(title), "application/pdf")},
        )
        assert upload.status_code == 201, upload.text
        assert http.post(f"/api/documents/{upload.json()['id']}/publish").status_code == 200


def next_of_type(ws: ClientConnection, event_type: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        message: dict[str, Any] = json.loads(ws.recv(timeout=10))
        if message["type"] == event_type:
            return message
    raise AssertionError(f"no {event_type} within 10 s")


def test_an_event_committed_on_one_process_reaches_a_client_of_the_other(
    servers: tuple[int, int], scene: tuple[str, Meeting, str]
) -> None:
    port_a, port_b = servers
    username, meeting, token = scene
    url = f"ws://127.0.0.1:{port_b}/ws/meetings/{meeting.id}?token={token}"
    with connect(url, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
        publish_through(port_a, username, meeting, "Qua Redis")
        assert next_of_type(ws, "document.published")["data"]["title"] == "Qua Redis"

        # Kill every subscriber connection: the hubs reconnect and nothing is lost.
        import redis

        redis.Redis.from_url(REDIS_URL).client_kill_filter(_type="pubsub")
        publish_through(port_a, username, meeting, "Sau khi mat ket noi")
        assert next_of_type(ws, "document.published")["data"]["title"] == "Sau khi mat ket noi"


@pytest.fixture
def delegate_scene(database_url: str) -> tuple[str, str, Meeting]:
    """A clerk and an invited delegate (both log in with PASSWORD), and the meeting."""
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        clerk = make_person(session, role=Role.secretariat)
        meeting = make_meeting(session, creator=clerk)
        delegate = make_person(session)
        invite(session, meeting, delegate)
    engine.dispose()
    return clerk.username, delegate.username, meeting


def tablet_socket(port: int, session_token: str, meeting: Meeting, after: int | None) -> Any:
    """A delegate's tablet on one process: its login cookie, that process's own origin."""
    query = "" if after is None else f"?after={after}"
    return connect(
        f"ws://127.0.0.1:{port}/ws/meetings/{meeting.id}{query}",
        additional_headers={
            "Cookie": f"hop_session={session_token}",
            "Origin": f"http://127.0.0.1:{port}",
        },
        open_timeout=10,
    )


def read_until_published(ws: ClientConnection, title: str) -> list[dict[str, Any]]:
    """Every message up to the publication of this title, then whatever follows within 0.5 s
    (a duplicate would)."""
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        message = json.loads(ws.recv(timeout=10))
        messages.append(message)
        if message["type"] == "document.published" and message["data"]["title"] == title:
            break
    else:
        raise AssertionError(f"{title} was not published within 10 s")
    with contextlib.suppress(TimeoutError):
        while True:
            messages.append(json.loads(ws.recv(timeout=0.5)))
    return [m for m in messages if m["type"] not in {"ping", "pong", "progress"}]


def visible_seqs_after(database_url: str, meeting: Meeting, after: int) -> list[int]:
    """The sequences of the meeting's events after `after` that a delegate is sent."""
    engine = make_engine(database_url)
    with Session(engine) as session:
        rows = session.exec(
            select(Event.seq)
            .where(Event.meeting_id == meeting.id, col(Event.seq) > after)
            .where(Event.audience == Audience.everyone)
            .order_by(col(Event.seq))
        ).all()
    engine.dispose()
    return list(rows)


def test_a_tablet_moves_to_the_other_process_and_misses_nothing(
    servers: tuple[int, int], delegate_scene: tuple[str, str, Meeting], database_url: str
) -> None:
    port_a, port_b = servers
    clerk, delegate, meeting = delegate_scene
    with httpx.Client(base_url=f"http://127.0.0.1:{port_a}", timeout=10) as http:
        login = http.post("/api/login", json={"username": delegate, "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = http.cookies["hop_session"]

    with tablet_socket(port_a, token, meeting, None) as ws:
        snapshot = json.loads(ws.recv(timeout=10))
        assert snapshot["type"] == "snapshot"
        publish_through(port_b, clerk, meeting, "Trước khi đi")  # reaches A through Redis
        seen_on_a = read_until_published(ws, "Trước khi đi")
    last_seq = max(m["seq"] for m in [snapshot, *seen_on_a] if m.get("seq") is not None)

    # Away: the process it left hears nothing of these; the other commits them.
    publish_through(port_b, clerk, meeting, "Khi vắng một")
    publish_through(port_b, clerk, meeting, "Khi vắng hai")

    with tablet_socket(port_b, token, meeting, last_seq) as ws:
        publish_through(port_a, clerk, meeting, "Sau khi về")
        seen_on_b = read_until_published(ws, "Sau khi về")

    seqs = [m["seq"] for m in seen_on_b]
    assert "snapshot" not in {m["type"] for m in seen_on_b}  # caught up from the log instead
    assert seqs == visible_seqs_after(database_url, meeting, last_seq)  # in order, none twice
    titles = [m["data"]["title"] for m in seen_on_b if m["type"] == "document.published"]
    assert titles == ["Khi vắng một", "Khi vắng hai", "Sau khi về"]
