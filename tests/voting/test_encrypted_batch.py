"""Encrypted ballots cast in batches (voting.encrypted_polls.batch): one outcome per cast, a
bad cast never fails the others, the rules of a single cast (voting.encrypted_polls.casting)."""

from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from meetings.errors import MeetingStateError
from models import (
    EncryptedBallot,
    EncryptedBallotAck,
    EncryptedBallotCast,
    Event,
    MeetingStatus,
    Person,
    Poll,
    SecretVoter,
)
from tests.factories import Room, check_out, nonce
from tests.voting.test_encrypted_polls import board, opened
from voting import polls
from voting.encrypted.devices import tablet
from voting.encrypted_polls import casting
from voting.encrypted_polls.batch import PendingEncryptedCast, cast_encrypted_batch
from voting.encrypted_polls.errors import TrackingCodeUsedError
from voting.errors import AlreadyVotedError, NotCheckedInError


def encrypted(room: Room, poll: Poll, options: list[str]) -> dict[str, Any]:
    """A tablet's reveal object {ballot, choice, randomness}."""
    return tablet(board(room.session, poll), options)


def pending(voter: Person, ballot: dict[str, Any], key: str | None = None) -> PendingEncryptedCast:
    assert voter.id is not None
    return PendingEncryptedCast(voter.id, EncryptedBallotCast(ballot=ballot, nonce=key or nonce()))


def batch(room: Room, poll: Poll, casts: list[PendingEncryptedCast]) -> list[Any]:
    assert poll.id is not None
    return cast_encrypted_batch(session=room.session, poll_id=poll.id, casts=casts)


def count(session: Session, table: type[Any], **where: Any) -> int:
    query = select(func.count()).select_from(table)
    for name, value in where.items():
        query = query.where(col(getattr(table, name)) == value)
    return session.exec(query).one()


def test_a_batch_of_valid_casts_is_taken_in_one_transaction(room: Room) -> None:
    poll, _ = opened(room)
    ballots = [encrypted(room, poll, [c])["ballot"] for c in ("yes", "no", "yes")]
    events = count(room.session, Event, type="poll.ballot")
    casts = [pending(v, b) for v, b in zip(room.delegates, ballots, strict=False)]
    outcomes = batch(room, poll, casts)
    assert all(isinstance(o, EncryptedBallotAck) for o in outcomes)
    assert [o.tracking_code for o in outcomes] == [b["tracking_code"] for b in ballots]
    assert [o.nonce for o in outcomes] == [c.cast.nonce for c in casts]
    assert count(room.session, SecretVoter) == 3
    assert count(room.session, EncryptedBallot) == 3
    assert count(room.session, Event, type="poll.ballot") == events + 1  # one trigger
    assert polls.close_poll(session=room.session, poll=poll)["ballots"] == 3


def test_each_cast_of_a_mixed_batch_gets_its_own_outcome(room: Room) -> None:
    poll, _ = opened(room)
    a, b, c, d, absent = room.delegates
    check_out(room.session, room.meeting, absent)
    earlier = pending(a, encrypted(room, poll, ["yes"])["ballot"])
    (first,) = batch(room, poll, [earlier])
    spoiled = encrypted(room, poll, ["no"])
    assert poll.id is not None
    casting.post_reveal(session=room.session, poll_id=poll.id, reveal=spoiled)
    fresh = encrypted(room, poll, ["no"])["ballot"]
    marks, ballots = count(room.session, SecretVoter), count(room.session, EncryptedBallot)
    outcomes = batch(
        room,
        poll,
        [
            earlier,  # a resend of a stored ballot
            pending(a, encrypted(room, poll, ["no"])["ballot"]),  # a's second ballot
            pending(absent, encrypted(room, poll, ["yes"])["ballot"]),  # checked out
            pending(b, earlier.cast.ballot),  # a's tracking code again
            pending(c, spoiled["ballot"]),  # a revealed ballot
            pending(d, fresh),  # the one new ballot
            pending(b, fresh),  # its code, taken earlier in this batch
        ],
    )
    resend, second, gone, reused, revealed, taken, twice = outcomes
    assert resend == first
    assert isinstance(second, AlreadyVotedError)
    assert isinstance(gone, NotCheckedInError)
    assert isinstance(reused, TrackingCodeUsedError)
    assert isinstance(revealed, TrackingCodeUsedError)
    assert isinstance(taken, EncryptedBallotAck)
    assert isinstance(twice, TrackingCodeUsedError)
    assert count(room.session, SecretVoter) == marks + 1
    assert count(room.session, EncryptedBallot) == ballots + 1
    assert count(room.session, SecretVoter, voter_id=absent.id) == 0
    assert count(room.session, SecretVoter, voter_id=b.id) == 0


def test_a_closed_meeting_refuses_every_cast_and_writes_nothing(room: Room) -> None:
    poll, _ = opened(room)
    casts = [pending(v, encrypted(room, poll, ["yes"])["ballot"]) for v in room.delegates[:2]]
    room.meeting.status = MeetingStatus.closed
    room.session.add(room.meeting)
    room.session.commit()
    outcomes = batch(room, poll, casts)
    assert all(isinstance(o, MeetingStateError) for o in outcomes)
    assert count(room.session, SecretVoter) == 0


def test_a_mark_written_by_another_writer_sends_each_cast_on_its_own(
    room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch does not see a's stored mark (another writer's, committed after the read):
    the insert fails, the batch is rolled back and each cast is taken again on its own."""
    poll, _ = opened(room)
    a, b = room.delegates[:2]
    (stored,) = batch(room, poll, [pending(a, encrypted(room, poll, ["yes"])["ballot"])])
    real, calls = casting.marks, []

    def unseen_once(session: Session, poll: Poll, voter_ids: Any) -> dict[int, SecretVoter]:
        calls.append(voter_ids)
        return {} if len(calls) == 1 else real(session, poll, voter_ids)

    monkeypatch.setattr(casting, "marks", unseen_once)
    casts = [pending(a, encrypted(room, poll, ["no"])["ballot"])]
    casts.append(pending(b, encrypted(room, poll, ["no"])["ballot"]))
    again, other = batch(room, poll, casts)
    assert isinstance(again, AlreadyVotedError)
    assert isinstance(other, EncryptedBallotAck)
    assert isinstance(stored, EncryptedBallotAck)
    assert count(room.session, SecretVoter) == 2
    assert count(room.session, EncryptedBallot) == 2
