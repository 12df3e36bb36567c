"""Casting ballots: exactly once per voter and poll, whatever the network does.

The database enforces one ballot per (poll, voter). A resend with the same nonce gets the
same acknowledgement; two casts racing for one voter leave one ballot (the loser retries and
finds it). Nothing here logs or records which voter chose what in a secret poll.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import (
    Audience,
    Ballot,
    BallotAck,
    BallotCast,
    MyBallot,
    Person,
    Poll,
    PollStatus,
    SecretChoice,
    SecretVoter,
)
from models.base import as_utc, utcnow
from models.events import record_event
from voting.choices import normalize_choice
from voting.eligibility import check_proxy, check_voter, eligibility_reason, represented_by
from voting.errors import AlreadyVotedError, DeadlinePassedError, PollClosedError, PollNotOpenError
from voting.locking import locked_poll
from voting.secrecy import nonce_hash, receipt_code

ATTEMPTS = 3


@dataclass(frozen=True)
class Caster:
    """Whose ballot it is, and who cast it (a proxy holder, or the voter)."""

    voter_id: int
    holder_id: int | None

    @classmethod
    def of(cls, person: Person, on_behalf_of: int | None) -> "Caster":
        assert person.id is not None
        if on_behalf_of is None or on_behalf_of == person.id:
            return cls(voter_id=person.id, holder_id=None)
        return cls(voter_id=on_behalf_of, holder_id=person.id)


def cast_ballot(
    *, session: Session, poll: Poll, voter: Person, cast: BallotCast, now: datetime | None = None
) -> BallotAck:
    """Cast (or, where allowed, change) the voter's ballot, or the ballot of the member whose
    proxy they hold (cast.on_behalf_of). Commits; returns the acknowledgement."""
    caster = Caster.of(voter, cast.on_behalf_of)
    poll_id = poll.id
    assert poll_id is not None
    for attempt in range(ATTEMPTS):
        try:
            with locked_poll(session, poll_id, exclusive=False) as current:
                ack = _cast(session, current, caster, cast, now or utcnow())
                session.commit()
                return ack
        except IntegrityError:
            # Another cast for this voter committed first: look again and answer as to it.
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _cast(
    session: Session, poll: Poll, caster: Caster, cast: BallotCast, now: datetime
) -> BallotAck:
    if poll.secret:
        return _cast_secret(session, poll, caster, cast, now)
    return _cast_named(session, poll, caster, cast, now)


def _check_may_cast(session: Session, poll: Poll, caster: Caster, now: datetime) -> None:
    if poll.status in (PollStatus.closed, PollStatus.published, PollStatus.cancelled):
        raise PollClosedError(f"The poll is {poll.status}: no more ballots")
    if poll.status != PollStatus.open:
        raise PollNotOpenError("The poll is not open yet")
    if poll.deadline is not None and as_utc(poll.deadline) <= now:
        raise DeadlinePassedError(f"The deadline passed at {as_utc(poll.deadline).isoformat()}")
    if caster.holder_id is None:
        check_voter(session=session, poll=poll, voter_id=caster.voter_id)
    else:
        check_proxy(
            session=session, poll=poll, holder_id=caster.holder_id, represented_id=caster.voter_id
        )


def _ack(poll: Poll, caster: Caster, nonce: str, at: datetime | str) -> BallotAck:
    received = datetime.fromisoformat(at) if isinstance(at, str) else at
    assert poll.id is not None
    receipt = None
    if poll.secret:
        receipt = receipt_code(salt=poll.salt, voter_id=caster.voter_id, nonce=nonce)
    on_behalf_of = caster.voter_id if caster.holder_id is not None else None
    return BallotAck(
        poll_id=poll.id,
        nonce=nonce,
        received_at=as_utc(received),
        on_behalf_of=on_behalf_of,
        receipt=receipt,
    )


def _cast_named(
    session: Session, poll: Poll, caster: Caster, cast: BallotCast, now: datetime
) -> BallotAck:
    hashed = nonce_hash(salt=poll.salt, voter_id=caster.voter_id, nonce=cast.nonce)
    ballot = session.exec(
        select(Ballot).where(Ballot.poll_id == poll.id, Ballot.voter_id == caster.voter_id)
    ).first()
    if ballot is not None and hashed in ballot.nonces:
        return _ack(poll, caster, cast.nonce, ballot.nonces[hashed])
    _check_may_cast(session, poll, caster, now)
    choice = normalize_choice(poll, cast)
    first = ballot is None
    if ballot is None:
        assert poll.id is not None
        ballot = Ballot(poll_id=poll.id, voter_id=caster.voter_id, received_at=now)
    elif not poll.allow_change:
        raise AlreadyVotedError("A ballot was already cast; this poll does not allow changes")
    else:
        ballot.changed_at = now
    ballot.choice, ballot.cast_by_id = choice, caster.holder_id
    ballot.nonces = {**ballot.nonces, hashed: now.isoformat()}
    session.add(ballot)
    session.flush()
    if first:
        _counted(session, poll)
    return _ack(poll, caster, cast.nonce, now)


def _cast_secret(
    session: Session, poll: Poll, caster: Caster, cast: BallotCast, now: datetime
) -> BallotAck:
    hashed = nonce_hash(salt=poll.salt, voter_id=caster.voter_id, nonce=cast.nonce)
    mark = session.exec(
        select(SecretVoter).where(
            SecretVoter.poll_id == poll.id, SecretVoter.voter_id == caster.voter_id
        )
    ).first()
    if mark is not None and mark.nonce_hash == hashed:
        return _ack(poll, caster, cast.nonce, mark.received_at)
    _check_may_cast(session, poll, caster, now)
    choice = normalize_choice(poll, cast)
    if mark is not None:
        raise AlreadyVotedError("A ballot was already cast; a secret ballot cannot be changed")
    assert poll.id is not None
    # Who first (the unique constraint decides a race), then what: two rows, no shared key.
    session.add(
        SecretVoter(
            poll_id=poll.id,
            voter_id=caster.voter_id,
            cast_by_id=caster.holder_id,
            nonce_hash=hashed,
            received_at=now,
        )
    )
    session.flush()
    receipt = receipt_code(salt=poll.salt, voter_id=caster.voter_id, nonce=cast.nonce)
    session.add(SecretChoice(poll_id=poll.id, choice=choice, receipt=receipt))
    session.flush()
    _counted(session, poll)
    return _ack(poll, caster, cast.nonce, now)


def _counted(session: Session, poll: Poll) -> None:
    """A managers-only trigger for live progress: the poll, never the voter or the choice.
    Recorded last: it locks the meeting's event counter until the commit."""
    record_event(
        session,
        meeting_id=poll.meeting_id,
        type="poll.ballot",
        data={"poll_id": poll.id},
        audience=Audience.managers,
    )


def my_ballot(
    *, session: Session, poll: Poll, viewer: Person, on_behalf_of: int | None = None
) -> MyBallot:
    """Whether the viewer (or the member they represent) may vote and has voted; the choice
    itself only for named polls."""
    caster = Caster.of(viewer, on_behalf_of)
    assert poll.id is not None
    reason = eligibility_reason(
        session=session, poll=poll, voter_id=caster.voter_id, holder_id=caster.holder_id
    )
    answer = _stored_answer(session, poll, caster.voter_id)
    return MyBallot(
        poll_id=poll.id,
        voter_id=caster.voter_id,
        eligible=reason is None,
        reason=reason,
        voted=answer is not None,
        received_at=answer[0] if answer else None,
        choice=answer[1] if answer else None,
        represents=represented_by(
            session=session, meeting_id=poll.meeting_id, holder_id=viewer.id or 0
        ),
    )


def _stored_answer(
    session: Session, poll: Poll, voter_id: int
) -> tuple[datetime, dict[str, Any] | None] | None:
    if poll.secret:
        mark = session.exec(
            select(SecretVoter).where(
                SecretVoter.poll_id == poll.id, SecretVoter.voter_id == voter_id
            )
        ).first()
        return (as_utc(mark.received_at), None) if mark is not None else None
    ballot = session.exec(
        select(Ballot).where(Ballot.poll_id == poll.id, Ballot.voter_id == voter_id)
    ).first()
    if ballot is None:
        return None
    return as_utc(ballot.changed_at or ballot.received_at), ballot.choice
