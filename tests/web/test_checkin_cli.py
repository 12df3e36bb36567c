"""`hop enroll`, `hop purge-faces`, `hop eval-faces` and `hop kiosk` on a temporary database."""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from checkin import gallery
from cli.faces import kiosk_url
from cli.main import app as hop
from meetings import presence
from models import DeviceKind, DeviceTokenCreate, Role
from models.db import make_engine
from tests.factories import invite, make_meeting, make_user
from tests.web.checkin_support import PEOPLE, enrol, shared_pool
from web.app import create_app
from web.auth import issue_device_token
from web.settings import Settings

# They read the photos of ../shared/faces: without them, one clear failure per test.
pytestmark = pytest.mark.usefixtures("faces")

runner = CliRunner()


@pytest.fixture
def db(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.resolved_database_url)
    yield engine
    engine.dispose()


def test_enroll_a_folder_of_people(db: Engine, cli_env: dict[str, str], tmp_path: Path) -> None:
    with Session(db, expire_on_commit=False) as session:
        clerk = make_user(session, role=Role.secretariat, username="thuky")
        obama = make_user(session, username="obama", full_name="Barack Obama")
        kit = make_user(session, username="kit", full_name="Kit Harington")
    result = runner.invoke(
        hop, ["enroll", str(PEOPLE), "--consent-by", "thuky", "--workers", "0"], env=cli_env
    )
    assert result.exit_code == 0, result.output
    assert "Enrolled 4 photos" in result.output
    for folder in ("alex_lacamoire", "biden", "lin_manuel_miranda", "rose_leslie"):
        assert f"skipped {folder}: no person" in result.output
    with Session(db) as session:
        for person, count in ((obama, 2), (kit, 2)):
            assert len(gallery.list_faces(session=session, person_id=person.id or 0)) == count
            consent = gallery.active_consent(session=session, person_id=person.id or 0)
            assert consent is not None
            assert consent.recorded_by == clerk.id

    purged = runner.invoke(hop, ["purge-faces", "--person", "obama"], env=cli_env)
    assert purged.exit_code == 0, purged.output
    assert "Deleted 2 faces of obama" in purged.output
    aged = runner.invoke(hop, ["purge-faces", "--older-than", "0"], env=cli_env)
    assert "Deleted 2 faces" in aged.output
    with Session(db) as session:
        assert gallery.list_faces(session=session, person_id=kit.id or 0) == []


def test_enroll_and_purge_refuse_bad_arguments(
    db: Engine, cli_env: dict[str, str], tmp_path: Path
) -> None:
    missing = runner.invoke(hop, ["enroll", str(PEOPLE), "--consent-by", "nobody"], env=cli_env)
    assert missing.exit_code == 2
    assert runner.invoke(hop, ["enroll", str(PEOPLE)], env=cli_env).exit_code == 2
    assert runner.invoke(hop, ["purge-faces"], env=cli_env).exit_code == 2
    both = ["purge-faces", "--person", "x", "--older-than", "3"]
    assert runner.invoke(hop, both, env=cli_env).exit_code == 2
    assert runner.invoke(hop, ["eval-faces", str(tmp_path / "none")], env=cli_env).exit_code == 2


def test_kiosk_url() -> None:
    assert kiosk_url("http://hop.local:8000/", 7) == "ws://hop.local:8000/ws/kiosk/7"
    assert kiosk_url("https://hop.example", 3) == "wss://hop.example/ws/kiosk/3"


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """A real server on a free port, borrowing the shared face pool."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(settings, face_pool=shared_pool())
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_hop_kiosk_streams_a_file_and_checks_in(
    live_server: str, db: Engine, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    import cv2

    with Session(db, expire_on_commit=False) as session:
        clerk = make_user(session, role=Role.secretariat)
        meeting = make_meeting(session, creator=clerk)
        obama = make_user(session, full_name="Barack Obama")
        invite(session, meeting, obama)
        enrol(session, settings, obama, "people/obama/obama.jpg", "people/obama/obama2.jpg")
        data = DeviceTokenCreate(name="Cửa B", kind=DeviceKind.kiosk, meeting_id=meeting.id)
        _, token = issue_device_token(session, data=data, issuer=clerk)
    # A short "video": the same 480p probe for two seconds.
    video = tmp_path / "door.avi"
    frame = cv2.imread(str(PEOPLE.parent / "probes" / "obama-480p.jpg"))
    assert frame is not None
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 5, frame.shape[1::-1])
    for _ in range(10):
        writer.write(frame)
    writer.release()
    args = ["kiosk", "--camera", str(video), "--server", live_server, "--token", token]
    result = runner.invoke(
        hop, [*args, "--meeting", str(meeting.id), "--max-seconds", "20"], env=cli_env
    )
    assert result.exit_code == 0, result.output
    assert "checked in: Barack Obama, seat A1 (face)" in result.output
    with Session(db) as session:
        assert presence.is_present(
            session=session, meeting_id=meeting.id or 0, person_id=obama.id or 0
        )
