"""Casting an encrypted ballot (spec §12) and posting a Benaloh reveal (spec §11.3).

The caller has verified the ballot object (voting.encrypted.ballots.verify_ballot, off the
event loop); here the rules of every secret poll apply, by the same functions as
voting.decisions and voting.batch: the meeting's lifecycle, a resend recognised by its nonce
hash, presence, eligibility, proxies, the face permit, one ballot per voter. The who-voted mark
is a SecretVoter row as in any secret poll; the ballot goes to EncryptedBallot, which holds no
voter, time or sequence. Nothing is appended to the board before close. The pieces of one
cast (poll_refusal, decide, write) are also voting.encrypted_polls.batch's, which casts many.
"""

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.errors import HopError
from meetings import lifecycle
from models import (
    EncryptedBallot,
    EncryptedBallotAck,
    EncryptedBallotCast,
    EncryptedReveal,
    Meeting,
    Poll,
    PollStatus,
    SecretVoter,
)
from models.base import as_utc, utcnow
from models.db import full_sync
from voting import permits
from voting.batching import insert_rows
from voting.decisions import Caster, check_may_cast, counted
from voting.eligibility import Facts, LoadedFacts
from voting.encrypted_polls import store
from voting.encrypted_polls.errors import NotEncryptedPollError, TrackingCodeUsedError
from voting.errors import AlreadyVotedError, PollNotOpenError
from voting.locking import locked_poll
from voting.secrecy import nonce_hash

_shuffler = random.SystemRandom()


@dataclass
class Taken:
    """What one cast comes to: its acknowledgement, and the two rows to write (none for a
    resend): who voted, and the ciphertexts, written apart."""

    ack: EncryptedBallotAck
    mark: SecretVoter | None = None
    ballot: EncryptedBallot | None = None


def cast_encrypted_ballot(
    *,
    session: Session,
    poll_id: int,
    person_id: int,
    cast: EncryptedBallotCast,
    now: datetime | None = None,
) -> EncryptedBallotAck:
    """Take the (already verified) ballot, or acknowledge its resend again. Commits."""
    full_sync(session)  # an acknowledged ballot must survive a power cut
    try:
        return _cast(session, poll_id, person_id, cast, now or utcnow())
    except IntegrityError:
        # Another writer committed this voter's mark (or this code) first: take it again.
        session.rollback()
        return _cast(session, poll_id, person_id, cast, now or utcnow())


def _cast(
    session: Session, poll_id: int, person_id: int, cast: EncryptedBallotCast, now: datetime
) -> EncryptedBallotAck:
    with locked_poll(session, poll_id, exclusive=False) as poll:
        refused = poll_refusal(session, poll)
        if refused is not None:
            raise refused
        caster = Caster.of_id(person_id, cast.on_behalf_of)
        facts = LoadedFacts(session, poll.meeting_id, caster_ids(caster))
        mark = marks(session, poll, {caster.voter_id}).get(caster.voter_id)
        used = used_codes(session, poll, {cast.ballot["tracking_code"]})
        taken = decide(session, poll, caster, cast, now, mark=mark, facts=facts, used=used)
        if taken.mark is None:
            session.rollback()  # a resend: nothing to write
        else:
            write(session, poll, [taken])
            session.commit()
    return taken.ack


def poll_refusal(session: Session, poll: Poll) -> HopError | None:
    """Why no cast can be taken in this poll now (not encrypted, the meeting's lifecycle)."""
    try:
        store.require_encrypted(poll)
    except NotEncryptedPollError as error:
        return error
    meeting = session.get(Meeting, poll.meeting_id)
    assert meeting is not None
    return lifecycle.refusal(session, meeting, lifecycle.Action.cast_ballot)


def caster_ids(caster: Caster) -> set[int]:
    """The people whose eligibility facts a cast asks about."""
    return {caster.voter_id} | ({caster.holder_id} if caster.holder_id else set())


def marks(session: Session, poll: Poll, voter_ids: Collection[int]) -> dict[int, SecretVoter]:
    """The voters' who-voted marks in the poll, by voter."""
    rows = session.exec(
        select(SecretVoter).where(
            SecretVoter.poll_id == poll.id, col(SecretVoter.voter_id).in_(voter_ids)
        )
    )
    return {mark.voter_id: mark for mark in rows}


def used_codes(session: Session, poll: Poll, codes: Collection[str]) -> set[str]:
    """Those of the codes already cast or revealed in the poll (spec §11.3)."""
    used: set[str] = set()
    for table in (EncryptedBallot, EncryptedReveal):
        used.update(
            session.exec(
                select(table.tracking_code).where(
                    table.poll_id == poll.id, col(table.tracking_code).in_(codes)
                )
            )
        )
    return used


def decide(
    session: Session,
    poll: Poll,
    caster: Caster,
    cast: EncryptedBallotCast,
    now: datetime,
    *,
    mark: SecretVoter | None,
    facts: Facts,
    used: Collection[str],
) -> Taken:
    """Check one cast against the poll (locked and refused by nobody), the voter's mark, the
    eligibility facts and the codes used; raise the reason it cannot be taken."""
    code: str = cast.ballot["tracking_code"]
    hashed = nonce_hash(salt=poll.salt, voter_id=caster.voter_id, nonce=cast.nonce)
    if mark is not None and mark.nonce_hash == hashed:
        return Taken(_ack(poll, caster, cast.nonce, mark.received_at, code))
    check_may_cast(session, poll, caster, now, facts)
    permit = permits.required_permit(session, poll, caster.voter_id, cast.permit, now)
    if mark is not None:
        raise AlreadyVotedError("A ballot was already cast; a secret ballot cannot be changed")
    if code in used:
        raise TrackingCodeUsedError("This ballot was already cast or revealed: encrypt anew")
    if permit is not None:  # the last refusal: spent only by a cast that is taken
        permits.claim(session, permit, now)
    assert poll.id is not None
    # Who voted, then what: two rows with no shared key, column or time.
    new_mark = SecretVoter(
        poll_id=poll.id,
        voter_id=caster.voter_id,
        cast_by_id=caster.holder_id,
        nonce_hash=hashed,
        received_at=now,
    )
    ballot = EncryptedBallot(poll_id=poll.id, tracking_code=code, ballot=cast.ballot)
    return Taken(_ack(poll, caster, cast.nonce, now, code), mark=new_mark, ballot=ballot)


def write(session: Session, poll: Poll, taken: Sequence[Taken]) -> None:
    """Insert the marks, then the ciphertexts in another (random) order, then one progress
    trigger: the order of the ballot rows never mirrors the order of the voters'."""
    insert_rows(session, [t.mark for t in taken if t.mark is not None])  # who first: the
    # unique constraint decides a race
    ballots = [t.ballot for t in taken if t.ballot is not None]
    _shuffler.shuffle(ballots)
    insert_rows(session, ballots)
    counted(session, poll)


def _ack(
    poll: Poll, caster: Caster, nonce: str, received: datetime, code: str
) -> EncryptedBallotAck:
    assert poll.id is not None
    return EncryptedBallotAck(
        poll_id=poll.id,
        nonce=nonce,
        received_at=as_utc(received),
        on_behalf_of=caster.voter_id if caster.holder_id is not None else None,
        tracking_code=code,
    )


def post_reveal(*, session: Session, poll_id: int, reveal: dict[str, Any]) -> None:
    """Keep a verified reveal (no voter, no time) for the board at close; posting the same one
    again changes nothing. Commits."""
    try:
        _post_reveal(session, poll_id, reveal)
    except IntegrityError:
        session.rollback()
        _post_reveal(session, poll_id, reveal)


def _post_reveal(session: Session, poll_id: int, reveal: dict[str, Any]) -> None:
    code: str = reveal["ballot"]["tracking_code"]
    with locked_poll(session, poll_id, exclusive=False) as poll:
        store.require_encrypted(poll)
        if poll.status != PollStatus.open:
            raise PollNotOpenError("The poll is not open")
        stored = session.exec(
            select(EncryptedReveal.id).where(
                EncryptedReveal.poll_id == poll_id, EncryptedReveal.tracking_code == code
            )
        ).first()
        if stored is not None:
            session.rollback()
            return
        cast = session.exec(
            select(EncryptedBallot.id).where(
                EncryptedBallot.poll_id == poll_id, EncryptedBallot.tracking_code == code
            )
        ).first()
        if cast is not None:
            raise TrackingCodeUsedError("This ballot was cast: it cannot be revealed")
        session.add(EncryptedReveal(poll_id=poll_id, tracking_code=code, reveal=reveal))
        session.commit()
