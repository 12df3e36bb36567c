"""Factory functions that build test data through the domain services."""

import functools
import io
import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from meetings import documents, people, scheduling
from meetings.documents import Uploads
from models import (
    AgendaItemCreate,
    Document,
    Invitation,
    InvitationCreate,
    Meeting,
    MeetingCreate,
    MeetingRole,
    Person,
    PersonCreate,
    Role,
)
from models.base import utcnow

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
