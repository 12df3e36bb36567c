"""Casting many ballots of one poll in one transaction, each with its own answer.

One poll lock, the poll read once, the voters' invitations, presence, proxies and existing
ballots (or secret marks) read in one query each, then every cast checked on its own by the
same rules as a single cast (voting.decisions.decide): a bad cast gets its own error and never
fails the others. The valid ones are inserted together and one managers-only "poll.ballot"
trigger is recorded for the whole batch. One ballot per (poll, voter) stays with the database:
when an insert still meets another writer's row (IntegrityError), the batch is rolled back and
every cast is taken again on its own. In a secret poll the choices are inserted in a random
order, so that the order of their rows does not mirror the order of the voters' rows.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from core.errors import HopError
from meetings import lifecycle
from models import Ballot, BallotAck, BallotCast, Meeting, Poll, SecretVoter
from models.base import utcnow
from voting.batching import insert_rows, write_in_one_commit
from voting.decisions import Caster, Decision, counted, decide
from voting.eligibility import LoadedFacts
from voting.locking import locked_poll
from voting.visibility import check_socket_access

_shuffler = random.SystemRandom()

Outcome = BallotAck | HopError


@dataclass(frozen=True)
class PendingCast:
    """One cast waiting to be written: by whom, what, and — when it came in through a
    meeting's websocket — that meeting, which the poll must belong to and the person must see
    (None when the caller checked the poll's visibility already)."""

    person_id: int
    cast: BallotCast
    meeting_id: int | None = None


def cast_ballots(
    *,
    session: Session,
    poll_id: int,
    casts: Sequence[PendingCast],
    now: datetime | None = None,
) -> list[Outcome]:
    """Take the casts in order, commit once; per cast its acknowledgement or its error."""
    return write_in_one_commit(
        session, casts, lambda batch: _cast_batch(session, poll_id, batch, now or utcnow())
    )


def _cast_batch(
    session: Session, poll_id: int, casts: Sequence[PendingCast], now: datetime
) -> list[Outcome]:
    with locked_poll(session, poll_id, exclusive=False) as poll:
        outcomes: list[Outcome | None] = [None] * len(casts)
        casters = [Caster.of_id(p.person_id, p.cast.on_behalf_of) for p in casts]
        ids = {c.voter_id for c in casters} | {c.holder_id for c in casters if c.holder_id}
        facts = LoadedFacts(session, poll.meeting_id, ids)
        for index, error in check_socket_access(session, poll, casts, facts, outcomes).items():
            outcomes[index] = error
        _check_lifecycle(session, poll, outcomes)
        existing = _existing(session, poll, {c.voter_id for c in casters})
        decisions: list[Decision] = []
        for index, (pending, caster) in enumerate(zip(casts, casters, strict=True)):
            if outcomes[index] is not None:
                continue
            try:
                decision = decide(
                    session,
                    poll,
                    caster,
                    pending.cast,
                    now,
                    existing=existing.get(caster.voter_id),
                    facts=facts,
                )
            except HopError as error:
                outcomes[index] = error
                continue
            outcomes[index] = decision.ack
            decisions.append(decision)
            written = decision.ballot or decision.mark
            if written is not None:
                existing[caster.voter_id] = written
        if not _write(session, poll, decisions):
            session.rollback()  # nothing to write: release the lock
        else:
            session.commit()
    return [outcome for outcome in outcomes if outcome is not None]


def _check_lifecycle(session: Session, poll: Poll, outcomes: list[Outcome | None]) -> None:
    """Every cast not refused yet gets the meeting's refusal (closed, not started...), if any;
    after the access check, so that only those who see the poll learn the meeting's state."""
    meeting = session.get(Meeting, poll.meeting_id)
    assert meeting is not None
    refused = lifecycle.refusal(session, meeting, lifecycle.Action.cast_ballot)
    if refused is None:
        return
    for index, outcome in enumerate(outcomes):
        if outcome is None:
            outcomes[index] = refused


def _existing(session: Session, poll: Poll, voter_ids: set[int]) -> dict[int, Ballot | SecretVoter]:
    """The voters' ballots (named) or marks (secret) in the poll, by voter."""
    if poll.secret:
        marks = session.exec(
            select(SecretVoter).where(
                SecretVoter.poll_id == poll.id, col(SecretVoter.voter_id).in_(voter_ids)
            )
        )
        return {mark.voter_id: mark for mark in marks}
    rows = session.exec(
        select(Ballot).where(Ballot.poll_id == poll.id, col(Ballot.voter_id).in_(voter_ids))
    )
    return {ballot.voter_id: ballot for ballot in rows}


def _write(session: Session, poll: Poll, decisions: list[Decision]) -> bool:
    """Insert or update the decided rows; one progress trigger if anyone voted anew."""
    ballots = list({id(d.ballot): d.ballot for d in decisions if d.ballot is not None}.values())
    marks = [d.mark for d in decisions if d.mark is not None]
    choices = [d.choice for d in decisions if d.choice is not None]
    if not (ballots or marks):
        return False
    if ballots:
        session.add_all(ballots)
        session.flush()
    if marks:
        # Who first (the unique constraint decides a race), then what, in another order.
        insert_rows(session, marks)
        _shuffler.shuffle(choices)
        insert_rows(session, choices)
    if any(d.first for d in decisions):
        counted(session, poll)
    return True
