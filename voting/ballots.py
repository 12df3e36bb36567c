"""Casting ballots: exactly once per voter and poll, whatever the network does.

The database enforces one ballot per (poll, voter). A resend with the same nonce gets the
same acknowledgement; two casts racing for one voter leave one ballot (the loser retries and
finds it). Nothing here logs or records which voter chose what in a secret poll.
"""

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from models import Ballot, BallotAck, BallotCast, MyBallot, Person, Poll, SecretVoter
from models.base import as_utc
from voting.batch import PendingCast, cast_ballots
from voting.decisions import Caster
from voting.eligibility import eligibility_reason, represented_by


def cast_ballot(
    *, session: Session, poll: Poll, voter: Person, cast: BallotCast, now: datetime | None = None
) -> BallotAck:
    """Cast (or, where allowed, change) the voter's ballot, or the ballot of the member whose
    proxy they hold (cast.on_behalf_of). Commits; returns the acknowledgement. A batch of one:
    see voting.batch.cast_ballots."""
    assert poll.id is not None
    assert voter.id is not None
    (outcome,) = cast_ballots(
        session=session, poll_id=poll.id, casts=[PendingCast(voter.id, cast)], now=now
    )
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


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
