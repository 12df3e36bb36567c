"""Encrypted polls as polls: drafting one as any other (voting.polls), always secret, with
its vote-counting committee named on the board's `parameters` entry, in one transaction; a new
attempt after a failed key setup; what the console shows of a setup; and who may read its
board. Apart from voting.encrypted_polls, which voting.polls itself uses for the lifecycle of an
encrypted poll, so that the two import each other in one direction only."""

from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from core.audit import audit
from models import (
    Audience,
    EncryptedPollCreate,
    Invitation,
    Meeting,
    Person,
    Poll,
    PollCreate,
    PollKind,
    PollStatus,
)
from models.audit import AuditEntry
from models.events import record_event
from voting import polls
from voting.encrypted.parameters import parameters_body
from voting.encrypted_polls import access, store
from voting.encrypted_polls import trustees as trustee_entries
from voting.encrypted_polls.errors import InvalidCommitteeError
from voting.errors import InvalidPollError, NotAllowedError, PollNotFoundError, PollStateError
from voting.locking import locked_poll

KINDS = frozenset({PollKind.yes_no, PollKind.single, PollKind.multiple})


def create_encrypted_poll(
    *, session: Session, meeting: Meeting, data: EncryptedPollCreate, creator: Person
) -> Poll:
    """Draft the poll and start its board; the trustees' devices take it from there."""
    poll = _draft(session=session, meeting=meeting, data=data, creator=creator, attempt=1)
    session.commit()
    return poll


def _draft(
    *, session: Session, meeting: Meeting, data: EncryptedPollCreate, creator: Person, attempt: int
) -> Poll:
    """create_encrypted_poll without the commit, for the given setup attempt."""
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
    params = _parameters(poll, trustees, threshold, attempt)
    store.append(session, poll.id, [], "parameters", params)
    return poll


SET_UP_AGAIN = "poll.set_up_again"


def set_up_again(*, session: Session, poll_id: int, viewer: Person) -> Poll:
    """A new attempt after a failed key setup (spec §6.1, §7.4): a new draft with the same
    question, committee and threshold, whose board says `attempt` + 1, and the failed draft
    cancelled (its board stays as it ended, with `abandoned`), in one transaction, audited.
    One board per poll here, so the new attempt is a new poll. Returns the new poll."""
    poll = get_board_poll(session=session, poll_id=poll_id, viewer=viewer)
    if not polls.can_manage_poll(session=session, poll=poll, viewer=viewer):
        raise NotAllowedError("Only the chair or the secretariat may run polls")
    meeting = session.get(Meeting, poll.meeting_id)
    assert meeting is not None
    with locked_poll(session, poll_id, exclusive=True) as poll:
        if poll.status != PollStatus.draft:
            raise PollStateError(f"A {poll.status} poll cannot be set up again")
        board = store.entries(session, poll_id)
        if not any(entry["kind"] == "abandoned" for entry in board):
            raise PollStateError(
                "The key setup of this poll has not failed: it cannot be set up again"
            )
        params = board[0]["body"]
        data = EncryptedPollCreate.model_validate(
            _fields_of(poll)
            | {
                "trustees": [t["person_id"] for t in params["trustees"]],
                "threshold": params["threshold"],
            }
        )
        attempt = int(params["attempt"]) + 1
        new = _draft(session=session, meeting=meeting, data=data, creator=viewer, attempt=attempt)
        audit(
            session,
            action="poll.set_up_again",
            target_type="poll",
            target_id=poll_id,
            meeting_id=poll.meeting_id,
            detail={"title": poll.title, "secret": True, "new_poll_id": new.id, "attempt": attempt},
        )
        # Ids only; drafts are the managers' (as poll.created): the old poll's trustee page
        # finds the new one in the audit trail (next_attempt) when it next loads.
        record_event(
            session,
            meeting_id=poll.meeting_id,
            type=SET_UP_AGAIN,
            data={"poll_id": poll_id, "new_poll_id": new.id, "attempt": attempt},
            audience=Audience.managers,
        )
        polls.cancel_poll(session=session, poll=poll)  # under the same lock; commits both
    return new


def _fields_of(poll: Poll) -> dict[str, Any]:
    """The poll's question as drafted (read attributes: enums come back as plain strings)."""
    fields = {name: getattr(poll, name) for name in PollCreate.model_fields if name != "options"}
    labels = [option["label"] for option in poll.options]
    return fields | {"options": labels if poll.kind != PollKind.yes_no else []}


def next_attempt(session: Session, poll: Poll) -> int | None:
    """The poll that set this one up again, if any (as the audit trail records it)."""
    entry = session.exec(
        select(AuditEntry)
        .where(AuditEntry.action == SET_UP_AGAIN, AuditEntry.target_id == poll.id)
        .order_by(col(AuditEntry.id).desc())
    ).first()
    new_id = entry.detail.get("new_poll_id") if entry is not None else None
    return new_id if isinstance(new_id, int) else None


def setup_progress(session: Session, poll: Poll) -> dict[str, Any] | None:
    """An encrypted draft's key setup in counts, as the board shows them (nothing secret):
    what the console says while the trustees set up, and whether it failed (then the chair
    may set it up again)."""
    if not poll.encrypted or poll.status != PollStatus.draft or poll.id is None:
        return None
    board = store.entries(session, poll.id)
    return trustee_entries.setup_counts(board) if board else None


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


def _parameters(
    poll: Poll, trustees: list[Person], threshold: int, attempt: int
) -> dict[str, object]:
    assert poll.id is not None
    return parameters_body(
        poll_id=poll.id,
        meeting_id=poll.meeting_id,
        attempt=attempt,
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
