"""Who sees a poll, and the same check for casts that came in through a meeting's websocket
(read for a whole batch at once by voting.batch and voting.encrypted_polls.batch)."""

from collections.abc import Sequence
from typing import Protocol

from sqlmodel import Session, col, select

from core.errors import HopError
from meetings import access
from models import Invitation, Meeting, Person, Poll, PollStatus
from voting.eligibility import LoadedFacts
from voting.errors import NotEligibleError, PollNotFoundError


def sees_poll(
    *, poll: Poll, meeting: Meeting, viewer: Person, invitation: Invitation | None
) -> bool:
    """The poll's meeting is the viewer's and, for a draft, they manage it; given the viewer's
    invitation to the meeting (already read)."""
    if not access.sees(meeting=meeting, viewer=viewer, invitation=invitation):
        return False
    if poll.status != PollStatus.draft:
        return True
    return access.manages(meeting=meeting, viewer=viewer, invitation=invitation)


class SocketCast(Protocol):
    """A cast and, when it came in through a meeting's websocket, that meeting (None when the
    caller checked the poll's visibility already)."""

    @property
    def person_id(self) -> int: ...
    @property
    def meeting_id(self) -> int | None: ...


def check_socket_access(
    session: Session,
    poll: Poll,
    casts: Sequence[SocketCast],
    facts: LoadedFacts,
    outcomes: Sequence[object | None],
) -> dict[int, HopError]:
    """For casts from a meeting's websocket not refused yet: an active account that sees the
    poll (as voting.polls.get_poll would), in that meeting; the refusals by index, in the words
    that path answers with."""
    checked = [
        i
        for i, pending in enumerate(casts)
        if pending.meeting_id is not None and outcomes[i] is None
    ]
    if not checked:
        return {}
    meeting = session.get(Meeting, poll.meeting_id)
    ids = {casts[i].person_id for i in checked}
    people = {
        person.id: person for person in session.exec(select(Person).where(col(Person.id).in_(ids)))
    }
    refused: dict[int, HopError] = {}
    for index in checked:
        pending = casts[index]
        person = people.get(pending.person_id)
        if person is None or not person.active:
            refused[index] = NotEligibleError("Your account is not active")
            continue
        invitation = facts.invitation(pending.person_id)
        visible = meeting is not None and sees_poll(
            poll=poll, meeting=meeting, viewer=person, invitation=invitation
        )
        if not visible or poll.meeting_id != pending.meeting_id:
            refused[index] = PollNotFoundError(f"Poll {poll.id} not found")
    return refused
