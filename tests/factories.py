"""Factory functions that build test data through the domain services."""

import io
import itertools
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from meetings import people, scheduling
from models import (
    AgendaItemCreate,
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
