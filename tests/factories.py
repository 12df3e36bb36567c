"""Factory functions that build test data through the domain services."""

import functools
import io
import itertools
import os
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from checkin import attendance
from meetings import documents, live, people, scheduling
from meetings.documents import Uploads
from models import (
    AgendaItemCreate,
    AttendanceMethod,
    Ballot,
    BallotAck,
    BallotCast,
    Document,
    Invitation,
    InvitationCreate,
    Meeting,
    MeetingCreate,
    MeetingRole,
    MeetingStatus,
    Person,
    PersonCreate,
    Poll,
    PollCreate,
    Reply,
    Role,
    SecretVoter,
    SpeechRequest,
    SpeechStatus,
)
from models.base import utcnow
from models.db import make_engine
from voting import ballots, polls

# The databases and Redis the tests run on: SQLite files unless these name a server.
PG_URL = os.environ.get("HOP_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("HOP_TEST_REDIS_URL", "")
PASSWORD = "correct-horse-42"
_counter = itertools.count(1)


def make_person(
    session: Session,
    *,
    role: Role = Role.delegate,
    username: str | None = None,
    full_name: str | None = None,
) -> Person:
    n = next(_counter)
    data = PersonCreate(
        username=username or f"user{n}",
        full_name=full_name or f"Nguyễn Văn Thử {n}",
        role=role,
        password=PASSWORD,
    )
    return people.create_person(session=session, data=data)


def make_meeting(
    session: Session,
    *,
    creator: Person,
    chair: Person | None = None,
    days_ahead: int = 3,
    title: str = "Kỳ họp thứ nhất",
) -> Meeting:
    start = utcnow() + timedelta(days=days_ahead)
    data = MeetingCreate(
        title=title,
        start_at=start,
        end_at=start + timedelta(hours=3),
        location="Hội trường A",
        chair_id=chair.id if chair else None,
    )
    meeting = scheduling.create_meeting(session=session, data=data, creator=creator)
    scheduling.add_agenda_item(
        session=session, meeting=meeting, data=AgendaItemCreate(title="Khai mạc")
    )
    return meeting


def invite(
    session: Session, meeting: Meeting, person: Person, *, role: MeetingRole = MeetingRole.delegate
) -> Invitation:
    data = InvitationCreate(person_id=person.id or 0, role=role, seat_label="A1")
    return scheduling.invite(session=session, meeting=meeting, data=data)


def login(client: TestClient, person: Person, password: str = PASSWORD) -> TestClient:
    """Log the client in as person; later calls carry the CSRF header."""
    client.cookies.clear()
    response = client.post("/api/login", json={"username": person.username, "password": password})
    assert response.status_code == 200, response.text
    client.headers["x-csrf-token"] = response.json()["csrf_token"]
    return client


def pdf_bytes(text: str = "Hop test document") -> bytes:
    """A small, valid PDF."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


# Helpers for the API and service tests.


def uploads_of(client: TestClient) -> Uploads:
    """The app's upload store and limits (the client must be started)."""
    uploads: Uploads = client.app.state.hop.uploads  # type: ignore[attr-defined]
    return uploads


def make_document(
    session: Session,
    client: TestClient,
    meeting: Meeting,
    uploader: Person,
    *,
    title: str = "Tờ trình",
    content: bytes | None = None,
    publish: bool = False,
) -> Document:
    """A document uploaded through the service, published when asked."""
    document = documents.add_document(
        session=session,
        uploads=uploads_of(client),
        meeting=meeting,
        title=title,
        source=io.BytesIO(content if content is not None else pdf_bytes(title)),
        filename="to-trinh.pdf",
        uploader=uploader,
    )
    if publish:
        documents.publish_document(session=session, document=document)
    return document


def upload(
    client: TestClient,
    meeting_id: int | None,
    content: bytes | None = None,
    *,
    filename: str = "to-trinh.pdf",
    title: str = "Tờ trình",
    media_type: str = "application/pdf",
) -> Response:
    """POST a file as a new document of the meeting."""
    return client.post(
        f"/api/meetings/{meeting_id}/documents",
        data={"title": title},
        files={"file": (filename, content if content is not None else pdf_bytes(), media_type)},
    )


def assert_error(
    response: Response, status: int, error: str | None = None, *, field: str | None = None
) -> dict[str, Any]:
    """Check the status and the error shape {"error", "detail"}; return the body."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("error"), str)
    assert body["error"]
    assert isinstance(body.get("detail"), str)
    assert body["detail"]
    if error is not None:
        assert body["error"] == error, body
    if field is not None:
        fields = {body.get("field")} | {item["field"] for item in body.get("fields", [])}
        assert field in fields, body
    return body


def receive_until(ws: Any, kind: str, seen: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The next websocket message of this type (every message read is added to seen)."""
    for _ in range(100):
        message: dict[str, Any] = ws.receive_json()
        if seen is not None:
            seen.append(message)
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message")


def stored_files(root: Path) -> list[Path]:
    """Every file under the storage folder (temporary files included)."""
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@functools.cache
def _cheap_password_hash() -> str:
    # argon2 reads its cost from the hash, so a cheap hash makes logins cheap too.
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def make_user(
    session: Session,
    *,
    role: Role = Role.delegate,
    username: str | None = None,
    full_name: str | None = None,
) -> Person:
    """Like make_person, with a cheap argon2 hash of PASSWORD: for tests that are not about
    hashing, where the default cost (about 0.2-0.4 s per hash and per login) adds up."""
    n = next(_counter)
    data = PersonCreate(
        username=username or f"user{n}", full_name=full_name or f"Trần Thị Thử {n}", role=role
    )
    person = people.create_person(session=session, data=data)
    person.password_hash = _cheap_password_hash()
    session.add(person)
    session.commit()
    return person


# The test databases.


def reset_postgres(url: str) -> None:
    """Drop every table (and the migrations' bookkeeping) of a PostgreSQL database."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def empty_postgres(url: str) -> None:
    """Empty every table of a migrated PostgreSQL database, keeping the schema, and restart
    every sequence. Only the tables that hold rows are emptied (a test writes a few of forty;
    truncating all of them was most of a test's set-up on PostgreSQL), and the sequences are
    set back apart, since one may have moved on for a table left empty."""
    engine = _emptying_engine(url)
    probe = " UNION ALL ".join(
        f"(SELECT '{table.name}' FROM \"{table.name}\" LIMIT 1)"
        for table in SQLModel.metadata.sorted_tables
    )
    with engine.begin() as connection:
        used = [str(name) for name in connection.execute(text(probe)).scalars()]
        if used:
            # DELETE, not TRUNCATE: a few rows go at once, where TRUNCATE pays a new file for
            # each table and its CASCADE reaches most of them (~70 ms a test). Without the
            # foreign-key triggers (a superuser's test database), the order does not matter.
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            for name in used:
                connection.execute(text(f'DELETE FROM "{name}"'))
        connection.execute(text(RESTART_SEQUENCES))


RESTART_SEQUENCES = """
SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S' AND n.nspname = current_schema()
"""


@functools.cache
def _emptying_engine(url: str) -> Engine:
    """One engine per database for the whole test session (a connection per test was not free)."""
    return make_engine(url)


# A meeting room for the voting tests: a clerk, a chair, delegates with a voting right,
# check-in through the attendance service, and helpers to draft polls and cast ballots.


def nonce() -> str:
    return uuid.uuid4().hex


def seat(
    session: Session,
    meeting: Meeting,
    person: Person,
    *,
    voting_right: bool = True,
    role: MeetingRole = MeetingRole.delegate,
) -> None:
    """Invite a person to the meeting."""
    data = InvitationCreate(person_id=person.id or 0, role=role, voting_right=voting_right)
    scheduling.invite(session=session, meeting=meeting, data=data)


def check_in(session: Session, meeting: Meeting, *people: Person) -> None:
    for person in people:
        attendance.record_check_in(
            session=session,
            meeting=meeting,
            person_id=person.id or 0,
            method=AttendanceMethod.manual,
        )


def check_out(session: Session, meeting: Meeting, *people: Person) -> None:
    for person in people:
        attendance.record_check_out(session=session, meeting=meeting, person_id=person.id or 0)


@dataclass
class Room:
    """A meeting in progress with its clerk, chair and delegates (all with a voting right)."""

    session: Session
    meeting: Meeting
    clerk: Person
    chair: Person
    delegates: list[Person] = field(default_factory=list)

    def poll(self, **fields: Any) -> Poll:
        """A draft poll; a yes/no vote unless the fields say otherwise."""
        data = PollCreate.model_validate({"title": "Thông qua nghị quyết", **fields})
        return polls.create_poll(
            session=self.session, meeting=self.meeting, data=data, creator=self.clerk
        )

    def open(self, **fields: Any) -> Poll:
        return polls.open_poll(session=self.session, poll=self.poll(**fields))

    def cast(self, poll: Poll, voter: Person, **fields: Any) -> BallotAck:
        body = {"nonce": nonce(), **fields}
        return ballots.cast_ballot(
            session=self.session, poll=poll, voter=voter, cast=BallotCast.model_validate(body)
        )

    def present(self, *people: Person) -> None:
        check_in(self.session, self.meeting, *people)


def make_room(session: Session, delegates: int = 5, *, present: bool = True) -> Room:
    clerk = make_user(session, role=Role.secretariat)
    chair = make_user(session)
    meeting = make_meeting(session, creator=clerk, chair=chair)
    start_meeting(session, meeting)  # polls open and ballots count only in a running meeting
    seat(session, meeting, chair, role=MeetingRole.chair)
    room = Room(session=session, meeting=meeting, clerk=clerk, chair=chair)
    for _ in range(delegates):
        person = make_user(session)
        seat(session, meeting, person)
        room.delegates.append(person)
    if present:
        room.present(chair, *room.delegates)
    return room


# Scenes: a meeting brought to a point several test modules start from.

ORIGIN = {"origin": "http://testserver"}


@dataclass
class Scene:
    """A meeting that happened: who came, who did not and why, a paper, a speech, votes."""

    room: Room
    came: Person  # by face
    left: Person  # came, then left
    excused: Person  # declined with a reason
    missing: Person  # never replied, never came

    @property
    def meeting(self) -> Meeting:
        return self.room.meeting


def stage_meeting(session: Session, client: TestClient) -> Scene:
    room = make_room(session, delegates=4, present=False)
    came, left, excused, missing = room.delegates
    meeting = room.meeting
    item = scheduling.add_agenda_item(
        session=session, meeting=meeting, data=AgendaItemCreate(title="Thông qua Nghị quyết")
    )
    _attend(session, meeting, room.chair, came, left)
    attendance.record_check_out(session=session, meeting=meeting, person_id=left.id or 0)
    invitation = scheduling.list_invitations(session=session, meeting=meeting)
    declined = next(inv for inv, person in invitation if person.id == excused.id)
    scheduling.reply_to_invitation(
        session=session, invitation=declined, reply=Reply.declined, reason="Đi công tác."
    )
    _paper(session, client, room, item.id)
    _speech(session, meeting, came, item.id)
    _votes(room, came, item.id)
    return Scene(room, came, left, excused, missing)


def start_meeting(session: Session, meeting: Meeting) -> None:
    scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.scheduled)
    scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.in_progress)


@dataclass
class SpeakerRoom:
    """A running meeting on its first item; two of its three delegates are checked in."""

    meeting: Meeting
    clerk: Person
    delegates: list[Person]
    item_id: int

    @property
    def url(self) -> str:
        return f"/api/meetings/{self.meeting.id}/speakers"


def make_speaker_room(session: Session) -> SpeakerRoom:
    clerk = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    delegates = [make_user(session) for _ in range(3)]
    for person in delegates:
        invite(session, meeting, person)
    check_in(session, meeting, *delegates[:2])
    start_meeting(session, meeting)
    item_id = scheduling.list_agenda(session=session, meeting=meeting)[0].id or 0
    live.set_current_item(session, meeting=meeting, item_id=item_id)
    return SpeakerRoom(meeting, clerk, delegates, item_id)


def add_voters(room: Room, count: int) -> list[int]:
    """Many delegates at once (rows written in bulk), checked in through the service."""
    session = room.session
    people = [
        Person(username=f"bulk{n}-{nonce()[:8]}", full_name=f"Đại biểu {n}") for n in range(count)
    ]
    session.add_all(people)
    session.flush()
    assert room.meeting.id is not None
    session.add_all(
        Invitation(meeting_id=room.meeting.id, person_id=person.id or 0) for person in people
    )
    session.commit()
    for person in people:
        attendance.record_check_in(
            session=session,
            meeting=room.meeting,
            person_id=person.id or 0,
            method=AttendanceMethod.manual,
        )
    return [person.id or 0 for person in people]


def close_in_thread(engine: Engine, poll_id: int) -> dict[str, Any]:
    with Session(engine, expire_on_commit=False) as session:
        poll = session.get(Poll, poll_id)
        assert poll is not None
        return polls.close_poll(session=session, poll=poll)


def stored(session: Session, poll: Poll) -> int:
    table: Any = SecretVoter if poll.secret else Ballot
    return session.exec(
        select(func.count()).select_from(table).where(table.poll_id == poll.id)
    ).one()


def issue_projector(client: TestClient, meeting_id: int | None) -> dict[str, object]:
    body = {"name": "Máy chiếu hội trường", "kind": "projector", "meeting_id": meeting_id}
    response = client.post("/api/devices", json=body)
    assert response.status_code == 201, response.text
    issued: dict[str, object] = response.json()
    return issued


def _attend(session: Session, meeting: Meeting, chair: Person, came: Person, left: Person) -> None:
    for person, method in ((chair, AttendanceMethod.manual), (came, AttendanceMethod.face)):
        attendance.record_check_in(
            session=session, meeting=meeting, person_id=person.id or 0, method=method
        )
    attendance.record_check_in(
        session=session, meeting=meeting, person_id=left.id or 0, method=AttendanceMethod.qr
    )


def _paper(session: Session, client: TestClient, room: Room, item_id: int | None) -> None:
    document = make_document(
        session, client, room.meeting, room.clerk, title="Tờ trình dự toán", publish=True
    )
    documents.update_document(
        session=session,
        document=document,
        data=documents.DocumentUpdate(agenda_item_id=item_id),
    )
    documents.add_version(
        session=session,
        uploads=uploads_of(client),
        document=document,
        source=io.BytesIO(pdf_bytes("Tờ trình sửa đổi")),
        filename="to-trinh-v2.pdf",
        uploader=room.clerk,
    )
    make_document(session, client, room.meeting, room.clerk, title="Bản nháp chưa phát hành")


def _speech(session: Session, meeting: Meeting, speaker: Person, item_id: int | None) -> None:
    started = utcnow() - timedelta(minutes=10)
    session.add(
        SpeechRequest(
            meeting_id=meeting.id or 0,
            agenda_item_id=item_id,
            person_id=speaker.id or 0,
            status=SpeechStatus.done,
            note="Đề nghị bổ sung kinh phí chỉnh trang vỉa hè",
            started_at=started,
            ended_at=started + timedelta(minutes=4),
        )
    )
    session.commit()


def _votes(room: Room, voter: Person, item_id: int | None) -> None:
    # Two of the five members are in the room: the attendance the minutes record, under the
    # meeting's two-thirds quorum. The scene's votes set a quorum of their own that two meet.
    quorum = {"quorum_count": 2, "agenda_item_id": item_id}
    motion = room.open(title="Thông qua dự toán ngân sách", **quorum)
    for person in (room.chair, voter):
        room.cast(motion, person, choice="yes")
    polls.close_poll(session=room.session, poll=motion)
    opinion = room.open(title="Góp ý Đề án hè phố", kind="opinion", opinion_agree=True, **quorum)
    ballots.cast_ballot(
        session=room.session,
        poll=opinion,
        voter=voter,
        cast=ballots.BallotCast(nonce=nonce(), text="Cần lấy ý kiến hộ kinh doanh", agree=True),
    )
    polls.close_poll(session=room.session, poll=opinion)
    room.open(title="Biểu quyết chưa đóng", **quorum)  # still open: not in the minutes
