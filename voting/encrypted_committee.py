"""Encrypted polls as polls: drafting one as any other (voting.polls), always secret, with
its vote-counting committee named on the board's `parameters` entry, in one transaction; and
who may read its board. Apart from voting.encrypted_polls, which voting.polls itself uses for
the lifecycle of an encrypted poll, so that the two import each other in one direction only."""

from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from models import EncryptedPollCreate, Invitation, Meeting, Person, Poll, PollCreate, PollKind
from voting import polls
from voting.encrypted.parameters import parameters_body
from voting.encrypted_polls import access, store
from voting.encrypted_polls.errors import InvalidCommitteeError
from voting.errors import InvalidPollError, PollNotFoundError

KINDS = frozenset({PollKind.yes_no, PollKind.single, PollKind.multiple})


def create_encrypted_poll(
    *, session: Session, meeting: Meeting, data: EncryptedPollCreate, creator: Person
) -> Poll:
    """Draft the poll and start its board; the trustees' devices take it from there."""
    if data.kind not in KINDS:
        raise InvalidCommitteeError("An opinion poll cannot be encrypted", field="kind")
    trustees = _committee(session, meeting, data.trustees)
    threshold = data.threshold or len(trustees) // 2 + 1
    if not 2 <= threshold <= len(trustees):
        raise InvalidCommitteeError(
            "The threshold must lie between 2 and the number of trustees", field="threshold"
        )
    fields = data.model_dump(exclude={"trustees", "threshold"}) | {"secret": True}
    if data.kind == PollKind.yes_no:  # one of yes, no or abstain (spec §19.1)
        fields |= {"min_choices": 1, "max_choices": 1}
    poll = polls.draft_poll(
        session=session, meeting=meeting, data=_checked(fields), creator=creator
    )
    poll.encrypted = True
    session.add(poll)
    assert poll.id is not None
    store.append(session, poll.id, [], "parameters", _parameters(poll, trustees, threshold))
    session.commit()
    return poll


def _checked(fields: dict[str, Any]) -> PollCreate:
    """The poll's fields checked again now that it is secret (no changing one's ballot)."""
    try:
        return PollCreate.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidPollError(first["msg"].removeprefix("Value error, ")) from None


def _committee(session: Session, meeting: Meeting, ids: list[int]) -> list[Person]:
    """The trustees in the order given: distinct participants of the meeting."""
    if len(set(ids)) != len(ids):
        raise InvalidCommitteeError("A trustee is named twice", field="trustees")
    invited = set(
        session.exec(
            select(Invitation.person_id).where(
                Invitation.meeting_id == meeting.id, col(Invitation.person_id).in_(ids)
            )
        )
    )
    people = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(ids)))}
    for person_id in ids:
        person = people.get(person_id)
        if person is None or (person_id not in invited and person_id != meeting.chair_id):
            raise InvalidCommitteeError(
                "Every trustee must be a participant of the meeting", field="trustees"
            )
    return [people[person_id] for person_id in ids]


def _parameters(poll: Poll, trustees: list[Person], threshold: int) -> dict[str, object]:
    assert poll.id is not None
    return parameters_body(
        poll_id=poll.id,
        meeting_id=poll.meeting_id,
        attempt=1,
        title=poll.title,
        kind=str(poll.kind),
        options=[dict(option) for option in poll.options],
        min_choices=poll.min_choices,
        max_choices=poll.max_choices,
        majority_rule=str(poll.majority_rule) if poll.majority_rule else None,
        trustees=[
            {"index": i, "person_id": p.id, "name": p.full_name}
            for i, p in enumerate(trustees, start=1)
        ],
        threshold=threshold,
    )


def get_board_poll(*, session: Session, poll_id: int, viewer: Person) -> Poll:
    """The encrypted poll when the viewer sees it or is one of its trustees; else 404."""
    try:
        poll = polls.get_poll(session=session, poll_id=poll_id, viewer=viewer)
    except PollNotFoundError:
        poll = access.trustee_poll(session=session, poll_id=poll_id, viewer=viewer)
    store.require_encrypted(poll)
    return poll
