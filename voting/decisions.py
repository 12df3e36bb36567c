"""What one cast comes to: checked against the poll, the voter's ballot and the eligibility
facts, and turned into the rows to write. voting.batch writes them for a batch of casts;
nothing here commits.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from models import (
    Audience,
    Ballot,
    BallotAck,
    BallotCast,
    Person,
    Poll,
    PollStatus,
    SecretChoice,
    SecretVoter,
)
from models.base import as_utc
from models.events import record_event
from voting import permits
from voting.choices import normalize_choice
from voting.eligibility import Facts, check_proxy, check_voter
from voting.errors import (
    AlreadyVotedError,
    DeadlinePassedError,
    InvalidBallotError,
    PollClosedError,
    PollNotOpenError,
)
from voting.secrecy import nonce_hash, receipt_code


@dataclass(frozen=True)
class Caster:
    """Whose ballot it is, and who cast it (a proxy holder, or the voter)."""

    voter_id: int
    holder_id: int | None

    @classmethod
    def of(cls, person: Person, on_behalf_of: int | None) -> "Caster":
        assert person.id is not None
        return cls.of_id(person.id, on_behalf_of)

    @classmethod
    def of_id(cls, person_id: int, on_behalf_of: int | None) -> "Caster":
        if on_behalf_of is None or on_behalf_of == person_id:
            return cls(voter_id=person_id, holder_id=None)
        return cls(voter_id=on_behalf_of, holder_id=person_id)


@dataclass
class Decision:
    """What one cast comes to: its acknowledgement, and the rows to write (none for a resend).
    Named polls: the ballot (new or changed). Secret polls: the voter's mark and the choice,
    to be written apart."""

    ack: BallotAck
    ballot: Ballot | None = None
    mark: SecretVoter | None = None
    choice: SecretChoice | None = None
    first: bool = False  # a new voter: progress moves


def decide(
    session: Session,
    poll: Poll,
    caster: Caster,
    cast: BallotCast,
    now: datetime,
    *,
    existing: Ballot | SecretVoter | None,
    facts: Facts,
) -> Decision:
    """Check one cast against the poll (locked by the caller), the voter's existing ballot or
    mark, and the eligibility facts; raise the reason it cannot be taken."""
    if poll.encrypted:  # a choice in clear must never reach it (voting.encrypted_polls)
        raise InvalidBallotError("This poll takes encrypted ballots only")
    if poll.secret:
        assert existing is None or isinstance(existing, SecretVoter)
        return _decide_secret(session, poll, caster, cast, now, existing, facts)
    assert existing is None or isinstance(existing, Ballot)
    return _decide_named(session, poll, caster, cast, now, existing, facts)


def check_may_cast(
    session: Session, poll: Poll, caster: Caster, now: datetime, facts: Facts
) -> None:
    if poll.status in (PollStatus.closed, PollStatus.published, PollStatus.cancelled):
        raise PollClosedError(f"The poll is {poll.status}: no more ballots")
    if poll.status != PollStatus.open:
        raise PollNotOpenError("The poll is not open yet")
    if poll.deadline is not None and as_utc(poll.deadline) <= now:
        raise DeadlinePassedError(f"The deadline passed at {as_utc(poll.deadline).isoformat()}")
    if caster.holder_id is None:
        check_voter(session=session, poll=poll, voter_id=caster.voter_id, facts=facts)
    else:
        check_proxy(
            session=session,
            poll=poll,
            holder_id=caster.holder_id,
            represented_id=caster.voter_id,
            facts=facts,
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


def _decide_named(
    session: Session,
    poll: Poll,
    caster: Caster,
    cast: BallotCast,
    now: datetime,
    ballot: Ballot | None,
    facts: Facts,
) -> Decision:
    hashed = nonce_hash(salt=poll.salt, voter_id=caster.voter_id, nonce=cast.nonce)
    if ballot is not None and hashed in ballot.nonces:
        return Decision(_ack(poll, caster, cast.nonce, ballot.nonces[hashed]))
    check_may_cast(session, poll, caster, now, facts)
    permit = permits.required_permit(session, poll, caster.voter_id, cast.permit, now)
    choice = normalize_choice(poll, cast)
    first = ballot is None
    if ballot is not None and not poll.allow_change:
        raise AlreadyVotedError("A ballot was already cast; this poll does not allow changes")
    if permit is not None:  # the last refusal: spent only by a cast that is taken
        permits.claim(session, permit, now)
    if ballot is None:
        assert poll.id is not None
        ballot = Ballot(poll_id=poll.id, voter_id=caster.voter_id, received_at=now)
    else:
        ballot.changed_at = now
    ballot.choice, ballot.cast_by_id = choice, caster.holder_id
    ballot.nonces = {**ballot.nonces, hashed: now.isoformat()}
    return Decision(_ack(poll, caster, cast.nonce, now), ballot=ballot, first=first)


def _decide_secret(
    session: Session,
    poll: Poll,
    caster: Caster,
    cast: BallotCast,
    now: datetime,
    mark: SecretVoter | None,
    facts: Facts,
) -> Decision:
    hashed = nonce_hash(salt=poll.salt, voter_id=caster.voter_id, nonce=cast.nonce)
    if mark is not None and mark.nonce_hash == hashed:
        return Decision(_ack(poll, caster, cast.nonce, mark.received_at))
    check_may_cast(session, poll, caster, now, facts)
    permit = permits.required_permit(session, poll, caster.voter_id, cast.permit, now)
    choice = normalize_choice(poll, cast)
    if mark is not None:
        raise AlreadyVotedError("A ballot was already cast; a secret ballot cannot be changed")
    if permit is not None:
        # Who voted and their permit, spent together; the choice below holds nothing of it.
        permits.claim(session, permit, now)
    assert poll.id is not None
    # Who and what: two rows, no shared key; the caller writes them apart.
    new_mark = SecretVoter(
        poll_id=poll.id,
        voter_id=caster.voter_id,
        cast_by_id=caster.holder_id,
        nonce_hash=hashed,
        received_at=now,
    )
    receipt = receipt_code(salt=poll.salt, voter_id=caster.voter_id, nonce=cast.nonce)
    secret = SecretChoice(poll_id=poll.id, choice=choice, receipt=receipt)
    return Decision(_ack(poll, caster, cast.nonce, now), mark=new_mark, choice=secret, first=True)


def counted(session: Session, poll: Poll) -> None:
    """A managers-only trigger for live progress: the poll, never the voter or the choice.
    Recorded last: it locks the meeting's event counter until the commit."""
    record_event(
        session,
        meeting_id=poll.meeting_id,
        type="poll.ballot",
        data={"poll_id": poll.id},
        audience=Audience.managers,
    )
