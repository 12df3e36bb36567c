"""The congress benchmark's database: a running meeting, N checked-in delegates with a voting
right and a login session each, the clerk's session, a projector token, kiosk tokens and the
people the kiosks see (enrolled from the shared face fixtures), and a draft poll."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from bench._servers import SECRET_KEY, checked_in_delegate, populated
from checkin.engine import EnrolmentFace


@dataclass(frozen=True)
class Hall:
    """What the clients and the chair need to know about the prepared database."""

    database_url: str
    meeting_id: int
    poll_id: int
    clerk_token: str
    projector_token: str
    kiosk_tokens: list[str]
    kiosk_names: dict[int, str]  # person id -> face fixture folder
    delegates: list[tuple[int, str]]  # person id, session token


def prepare(
    database_url: str, delegates: int, enrolled: dict[str, list[EnrolmentFace]], kiosks: int
) -> Hall:
    with quick_commits(database_url):
        return populated(
            database_url,
            lambda session: _populate(session, database_url, delegates, enrolled, kiosks),
        )


@contextmanager
def quick_commits(database_url: str) -> Iterator[None]:
    """PostgreSQL commits without waiting for the disk while the hall is set up (thousands of
    small commits, not measured); the servers start with the usual setting again."""
    import psycopg

    name = database_url.rsplit("/", 1)[1]

    def setting(value: str) -> None:
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(f"ALTER DATABASE {name} {value}")  # a checked identifier

    if not name.isidentifier():
        raise ValueError(f"not a database name: {name!r}")
    setting("SET synchronous_commit = off")
    try:
        yield
    finally:
        setting("RESET synchronous_commit")


def _populate(
    session: Session,
    database_url: str,
    count: int,
    enrolled: dict[str, list[EnrolmentFace]],
    kiosks: int,
) -> Hall:
    from meetings import people, scheduling
    from models import MeetingCreate, MeetingStatus, PersonCreate, PollCreate, Role
    from models.base import utcnow
    from voting import polls
    from web.auth import start_session

    clerk = people.create_person(
        session=session,
        data=PersonCreate(username="bench_clerk", full_name="Thư ký", role=Role.secretariat),
    )
    start = utcnow()
    meeting = scheduling.create_meeting(
        session=session,
        data=MeetingCreate(
            title="Đại hội",
            start_at=start,
            end_at=start + timedelta(hours=3),
            location="Hội trường",
        ),
        creator=clerk,
    )
    for status in (MeetingStatus.scheduled, MeetingStatus.in_progress):
        scheduling.change_status(session=session, meeting=meeting, status=status)
    voters = [checked_in_delegate(session, meeting, n, hours=4) for n in range(count)]
    names = _kiosk_people(session, meeting, clerk, enrolled)
    projector, kiosk_tokens = _devices(session, meeting, clerk, kiosks)
    poll = polls.create_poll(
        session=session,
        meeting=meeting,
        data=PollCreate(title="Thông qua nghị quyết 1", quorum_fraction="1/2"),
        creator=clerk,
    )
    assert meeting.id is not None
    assert poll.id is not None
    clerk_token = start_session(session, person=clerk, hours=12)
    return Hall(
        database_url,
        meeting.id,
        poll.id,
        clerk_token,
        projector,
        kiosk_tokens,
        names,
        voters,
    )


def _kiosk_people(
    session: Session, meeting: Any, clerk: Any, enrolled: dict[str, list[EnrolmentFace]]
) -> dict[int, str]:
    """Late arrivals the kiosks will check in: invited without a voting right (the polls'
    totals stay the delegates'), consent recorded, faces enrolled."""
    from checkin import gallery
    from checkin.crypto import FaceCipher
    from meetings import people, scheduling
    from models import InvitationCreate, PersonCreate

    cipher = FaceCipher.from_secret(SECRET_KEY)
    names: dict[int, str] = {}
    for name, faces in enrolled.items():
        person = people.create_person(
            session=session, data=PersonCreate(username=name, full_name=name.replace("_", " "))
        )
        assert person.id is not None
        names[person.id] = name
        invitation = InvitationCreate(person_id=person.id, voting_right=False)
        scheduling.invite(session=session, meeting=meeting, data=invitation)
        gallery.record_consent(session=session, person_id=person.id, recorded_by=clerk.id)
        for face in faces:
            gallery.enrol_face(session=session, cipher=cipher, person_id=person.id, face=face)
    return names


def _devices(session: Session, meeting: Any, clerk: Any, kiosks: int) -> tuple[str, list[str]]:
    from models import DeviceKind, DeviceTokenCreate
    from web.auth import issue_device_token

    def token(name: str, kind: DeviceKind) -> str:
        data = DeviceTokenCreate(name=name, kind=kind, meeting_id=meeting.id)
        return issue_device_token(session, data=data, issuer=clerk)[1]

    projector = token("Máy chiếu", DeviceKind.projector)
    return projector, [token(f"Cửa {n + 1}", DeviceKind.kiosk) for n in range(kiosks)]


def stored(database_url: str, poll_id: int, acked: set[int]) -> dict[str, int]:
    """Ballot rows of a poll: stored, lost (acknowledged voter without a row), double."""
    from models import Ballot
    from models.db import make_engine, open_session

    engine = make_engine(database_url)
    try:
        with open_session(engine) as session:
            rows = session.exec(
                select(Ballot.voter_id, func.count())
                .where(Ballot.poll_id == poll_id)
                .group_by(col(Ballot.voter_id))
            ).all()
    finally:
        engine.dispose()
    voters = {voter for voter, _ in rows}
    return {
        "stored": sum(n for _, n in rows),
        "lost": len(acked - voters),
        "double": sum(n - 1 for _, n in rows if n > 1),
    }
