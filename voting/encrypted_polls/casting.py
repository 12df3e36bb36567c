"""Casting an encrypted ballot (spec §12) and posting a Benaloh reveal (spec §11.3).

The caller has verified the ballot object (voting.encrypted.ballots.verify_ballot, off the
event loop); here the rules of every secret poll apply, by the same functions as
voting.decisions and voting.batch: the meeting's lifecycle, a resend recognised by its nonce
hash, presence, eligibility, proxies, the face permit, one ballot per voter. The who-voted mark
is a SecretVoter row as in any secret poll; the ballot goes to EncryptedBallot, which holds no
voter, time or sequence. Nothing is appended to the board before close.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

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
from voting.decisions import Caster, check_may_cast, counted
from voting.eligibility import LoadedFacts
from voting.encrypted_polls import store
from voting.encrypted_polls.errors import TrackingCodeUsedError
from voting.errors import AlreadyVotedError, PollNotOpenError
from voting.locking import locked_poll
from voting.secrecy import nonce_hash


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
        store.require_encrypted(poll)
        _check_lifecycle(session, poll)
        caster = Caster.of_id(person_id, cast.on_behalf_of)
        code: str = cast.ballot["tracking_code"]
        hashed = nonce_hash(salt=poll.salt, voter_id=caster.voter_id, nonce=cast.nonce)
        mark = _mark(session, poll, caster.voter_id)
        if mark is not None and mark.nonce_hash == hashed:
            session.rollback()  # a resend: nothing to write
            return _ack(poll, caster, cast.nonce, mark.received_at, code)
        people = {caster.voter_id} | ({caster.holder_id} if caster.holder_id else set())
        facts = LoadedFacts(session, poll.meeting_id, people)
        check_may_cast(session, poll, caster, now, facts)
        permit = permits.required_permit(session, poll, caster.voter_id, cast.permit, now)
        if mark is not None:
            raise AlreadyVotedError("A ballot was already cast; a secret ballot cannot be changed")
        _check_code(session, poll, code)
        if permit is not None:
            permits.claim(session, permit, now)
        _write(session, poll, caster, hashed, cast.ballot, now)
        session.commit()
    return _ack(poll, caster, cast.nonce, now, code)


def _check_lifecycle(session: Session, poll: Poll) -> None:
    meeting = session.get(Meeting, poll.meeting_id)
    assert meeting is not None
    refused = lifecycle.refusal(session, meeting, lifecycle.Action.cast_ballot)
    if refused is not None:
        raise refused


def _mark(session: Session, poll: Poll, voter_id: int) -> SecretVoter | None:
    return session.exec(
        select(SecretVoter).where(SecretVoter.poll_id == poll.id, SecretVoter.voter_id == voter_id)
    ).first()


def _check_code(session: Session, poll: Poll, code: str) -> None:
    """A tracking code is cast once, and never after its ballot was revealed (spec §11.3)."""
    for table in (EncryptedBallot, EncryptedReveal):
        found = session.exec(
            select(table.id).where(table.poll_id == poll.id, table.tracking_code == code)
        ).first()
        if found is not None:
            raise TrackingCodeUsedError("This ballot was already cast or revealed: encrypt anew")


def _write(
    session: Session,
    poll: Poll,
    caster: Caster,
    hashed: str,
    ballot: dict[str, Any],
    now: datetime,
) -> None:
    """Who voted, then what: two rows with no shared key, column or time."""
    assert poll.id is not None
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
    session.add(
        EncryptedBallot(poll_id=poll.id, tracking_code=ballot["tracking_code"], ballot=ballot)
    )
    session.flush()
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
