"""A meeting room for voting tests: a clerk, a chair, delegates with a voting right, check-in
through the attendance service, and helpers to draft polls and cast ballots."""

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import Session

from checkin import attendance
from meetings import scheduling
from models import (
    AttendanceMethod,
    BallotAck,
    BallotCast,
    InvitationCreate,
    Meeting,
    MeetingRole,
    Person,
    Poll,
    PollCreate,
    Role,
)
from tests.factories import make_meeting, make_user
from voting import ballots, polls


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
    """A meeting with its clerk, chair and delegates (all with a voting right)."""

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
    seat(session, meeting, chair, role=MeetingRole.chair)
    room = Room(session=session, meeting=meeting, clerk=clerk, chair=chair)
    for _ in range(delegates):
        person = make_user(session)
        seat(session, meeting, person)
        room.delegates.append(person)
    if present:
        room.present(chair, *room.delegates)
    return room


@pytest.fixture
def room(session: Session) -> Room:
    """Five delegates and the chair, all with a voting right and checked in."""
    return make_room(session)
