"""Real Hop server processes for benchmarks: a fresh migrated database, a meeting, a projector
token, and uvicorn subprocesses whose CPU time and memory are read from /proc."""

import os
import resource
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx2 as httpx
from sqlmodel import Session

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"
PASSWORD = "bench-password-42"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Scene:
    """What a benchmark needs to know about its database."""

    database_url: str
    data_dir: Path
    meeting_id: int
    item_id: int
    username: str
    token: str


def raise_nofile() -> None:
    """Thousands of sockets need more file descriptors than the usual soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def populated(database_url: str, populate: Callable[[Session], T]) -> T:
    """Migrate the database, then fill it in one session (the engine is gone after)."""
    from models.db import make_engine, open_session
    from models.migrate import upgrade

    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with open_session(engine) as session:
            return populate(session)
    finally:
        engine.dispose()


def prepare_scene(workdir: Path) -> Scene:
    """A migrated SQLite database with a clerk, a meeting with one item, a projector token."""
    url = f"sqlite:///{workdir / 'hop.db'}"
    meeting_id, item_id, token = populated(url, _populate)
    return Scene(url, workdir / "var", meeting_id, item_id, "bench_clerk", token)


def clerk_and_meeting(session: Session, title: str, hours_ahead: int = 1) -> tuple[Any, Any]:
    """The benchmarks' secretariat account (bench_clerk, PASSWORD) and a three-hour meeting of
    theirs starting `hours_ahead` hours from now."""
    from meetings import people, scheduling
    from models import MeetingCreate, PersonCreate, Role
    from models.base import utcnow

    clerk = people.create_person(
        session=session,
        data=PersonCreate(
            username="bench_clerk", full_name="Thư ký", role=Role.secretariat, password=PASSWORD
        ),
    )
    start = utcnow() + timedelta(hours=hours_ahead)
    meeting = scheduling.create_meeting(
        session=session,
        data=MeetingCreate(title=title, start_at=start, end_at=start + timedelta(hours=3)),
        creator=clerk,
    )
    return clerk, meeting


def checked_in_delegate(session: Session, meeting: Any, n: int, *, hours: int) -> tuple[int, str]:
    """Delegate n, invited with a voting right, checked in by the clerk and logged in for
    `hours` (a session made directly, no password hashing): (person id, session cookie)."""
    from checkin import attendance
    from meetings import people, scheduling
    from models import AttendanceMethod, InvitationCreate, PersonCreate
    from web.auth import start_session

    person = people.create_person(
        session=session,
        data=PersonCreate(username=f"daibieu{n:05d}", full_name=f"Đại biểu {n:05d}"),
    )
    assert person.id is not None
    invitation = InvitationCreate(person_id=person.id, voting_right=True)
    scheduling.invite(session=session, meeting=meeting, data=invitation)
    attendance.record_check_in(
        session=session, meeting=meeting, person_id=person.id, method=AttendanceMethod.manual
    )
    return person.id, start_session(session, person=person, hours=hours)


def _populate(session: Session) -> tuple[int, int, str]:
    from meetings import scheduling
    from models import AgendaItemCreate, DeviceKind, DeviceTokenCreate
    from web.auth import issue_device_token

    clerk, meeting = clerk_and_meeting(session, "Bench")
    item = scheduling.add_agenda_item(
        session=session, meeting=meeting, data=AgendaItemCreate(title="Khai mạc")
    )
    _, token = issue_device_token(
        session,
        data=DeviceTokenCreate(name="Projector", kind=DeviceKind.projector, meeting_id=meeting.id),
        issuer=clerk,
    )
    assert meeting.id is not None
    assert item.id is not None
    return meeting.id, item.id, token


def commit_directly(scene: Scene, count: int) -> int:
    """Record events straight into the database (no server hears them); the last sequence."""
    from models.db import make_engine, open_session
    from models.events import record_event

    engine = make_engine(scene.database_url)
    try:
        with open_session(engine) as session:
            for n in range(count):
                row = record_event(
                    session, meeting_id=scene.meeting_id, type="bench.missed", data={"n": n}
                )
            session.commit()
            return row.seq
    finally:
        engine.dispose()


def commit_times(scene: Scene, after: int) -> dict[int, float]:
    """When each event after a sequence was recorded (wall clock, seconds)."""
    from sqlmodel import col, select

    from models import Event
    from models.base import as_utc
    from models.db import make_engine, open_session

    engine = make_engine(scene.database_url)
    try:
        with open_session(engine) as session:
            rows = session.exec(
                select(Event.seq, Event.created_at).where(
                    Event.meeting_id == scene.meeting_id, col(Event.seq) > after
                )
            )
            return {seq: as_utc(created).timestamp() for seq, created in rows}
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def hop_env(
    database_url: str, data_dir: Path, *, secret_key: str = SECRET_KEY, **settings: str
) -> dict[str, str]:
    """The environment of a `hop` or server process: this one's without any HOP_ variable
    (a developer's own must not change what is measured), then the database, data folder,
    secret key and any other HOP_ settings given."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOP_")}
    env.update(HOP_DATABASE_URL=database_url, HOP_DATA_DIR=str(data_dir), HOP_SECRET_KEY=secret_key)
    env.update(HOP_DRAIN_SECONDS="0")  # no proxy to wait for at SIGTERM (settings may say)
    return env | settings


def server_env(scene: Scene, redis_url: str | None = None) -> dict[str, str]:
    """The environment of a server process; with Redis, on a channel of its own."""
    return hop_env(
        scene.database_url,
        scene.data_dir,
        HOP_REDIS_URL=redis_url or "",
        HOP_REDIS_CHANNEL=f"hop:bench:{uuid.uuid4().hex}",
    )


class Server:
    """One uvicorn process serving Hop on a loopback port, restartable on the same port."""

    def __init__(
        self, env: dict[str, str], port: int, log_path: Path, *, backlog: int | None = None
    ) -> None:
        self.env = env
        self.port = port
        self.log_path = log_path
        self.backlog = backlog  # uvicorn's 2048 by default; a burst of connections wants more
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "web.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ws",
            "websockets-sansio",
            "--ws-per-message-deflate",
            "false",
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "15",  # as `hop serve` (cli.serve.GRACEFUL_SECONDS)
        ]
        if self.backlog is not None:
            command += ["--backlog", str(self.backlog)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until /readyz answers 200 (database, Redis when set, face pool)."""
        self._wait(self._healthy, timeout)

    def wait_listening(self, timeout: float = 30.0) -> None:
        """Until the port accepts connections (during a storm a probe queues behind them)."""
        self._wait(self._listening, timeout)

    def _wait(self, probe: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.pid_alive():
                raise RuntimeError(f"server exited; see {self.log_path}")
            if probe():
                return
            time.sleep(0.02)
        raise RuntimeError(f"server on port {self.port} did not start")

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def pid_alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the process, all threads (from /proc)."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def kill(self) -> None:
        """Die at once, as in a crash: the kernel drops every connection."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def current_seq(scene: Scene) -> int:
    """The meeting's last event sequence."""
    from models import Meeting
    from models.db import make_engine, open_session

    engine = make_engine(scene.database_url)
    try:
        with open_session(engine) as session:
            meeting = session.get(Meeting, scene.meeting_id)
            assert meeting is not None
            return meeting.event_seq
    finally:
        engine.dispose()


@contextmanager
def fresh_database(kind: str, workdir: Path, pg_url: str) -> Iterator[str]:
    """The URL of a fresh, empty database of this kind; a PostgreSQL one (pg_url, made through
    the server's `postgres` database) is dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'hop.db'}"
        return
    import psycopg

    server, pg_name = pg_url.rsplit("/", 1)
    if not pg_name.isidentifier():
        raise ValueError(f"not a database name: {pg_name!r}")
    admin = f"{server}/postgres"

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")

    drop()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {pg_name}")
    try:
        yield pg_url
    finally:
        drop()
