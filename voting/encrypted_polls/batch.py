"""Casting many verified encrypted ballots of one poll in one transaction, each with its own
answer (as voting.batch does for ballots in clear).

One poll lock, the poll's refusal (not encrypted, the meeting's lifecycle) asked once, the
voters' eligibility facts, presence, proxies, who-voted marks and the codes already cast or
revealed read in one query each; then every cast is checked on its own by the rules of a single
cast (voting.encrypted_polls.casting.decide): a bad cast gets its own error and never fails the
others. The taken ones are written together (casting.write: the marks, then the ciphertexts in
a random order, one progress trigger). One mark per (poll, voter) and one ballot per code stay
with the database: when an insert still meets another writer's row (IntegrityError), the batch
is rolled back and every cast is taken again on its own.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from core.errors import HopError
from models import EncryptedBallotAck, EncryptedBallotCast, Poll
from models.base import utcnow
from voting.batching import write_in_one_commit
from voting.decisions import Caster
from voting.eligibility import LoadedFacts
from voting.encrypted_polls import casting
from voting.locking import locked_poll
from voting.visibility import check_socket_access

EncryptedOutcome = EncryptedBallotAck | HopError


@dataclass(frozen=True)
class PendingEncryptedCast:
    """One verified encrypted cast waiting to be written, by whom it came and — when it came
    in through a meeting's websocket — that meeting, which the poll must belong to and the
    person must see (None when the caller checked the poll's visibility already)."""

    person_id: int
    cast: EncryptedBallotCast
    meeting_id: int | None = None


def cast_encrypted_batch(
    *,
    session: Session,
    poll_id: int,
    casts: Sequence[PendingEncryptedCast],
    now: datetime | None = None,
) -> list[EncryptedOutcome]:
    """Take the casts in order, commit once; per cast its acknowledgement or its error."""
    return write_in_one_commit(
        session, casts, lambda batch: _cast_batch(session, poll_id, batch, now or utcnow())
    )


def _cast_batch(
    session: Session, poll_id: int, casts: Sequence[PendingEncryptedCast], now: datetime
) -> list[EncryptedOutcome]:
    with locked_poll(session, poll_id, exclusive=False) as poll:
        casters = [Caster.of_id(p.person_id, p.cast.on_behalf_of) for p in casts]
        facts = LoadedFacts(
            session, poll.meeting_id, set().union(*map(casting.caster_ids, casters))
        )
        outcomes: list[EncryptedOutcome | None] = [None] * len(casts)
        for index, error in check_socket_access(session, poll, casts, facts, outcomes).items():
            outcomes[index] = error
        # After the access check, so that only those who see the poll learn its state.
        refused = casting.poll_refusal(session, poll)
        if refused is not None:
            outcomes = [outcome or refused for outcome in outcomes]
        taken = _decide_rest(session, poll, casts, casters, facts, outcomes, now)
        if taken:
            casting.write(session, poll, taken)
            session.commit()
        else:
            session.rollback()  # nothing to write: release the lock
    return [outcome for outcome in outcomes if outcome is not None]


def _decide_rest(
    session: Session,
    poll: Poll,
    casts: Sequence[PendingEncryptedCast],
    casters: list[Caster],
    facts: LoadedFacts,
    outcomes: list[EncryptedOutcome | None],
    now: datetime,
) -> list[casting.Taken]:
    """Each cast not refused yet decided in order (its outcome filled in), and what the taken
    ones write. A cast taken here counts for those after it: its voter has a mark, its code is
    used."""
    pending = [i for i, outcome in enumerate(outcomes) if outcome is None]
    if not pending:
        return []
    marks = casting.marks(session, poll, {casters[i].voter_id for i in pending})
    used = casting.used_codes(
        session, poll, {casts[i].cast.ballot["tracking_code"] for i in pending}
    )
    taken: list[casting.Taken] = []
    for index in pending:
        caster = casters[index]
        try:
            one = casting.decide(
                session,
                poll,
                caster,
                casts[index].cast,
                now,
                mark=marks.get(caster.voter_id),
                facts=facts,
                used=used,
            )
        except HopError as error:
            outcomes[index] = error
            continue
        outcomes[index] = one.ack
        if one.mark is not None and one.ballot is not None:
            marks[caster.voter_id] = one.mark
            used.add(one.ballot.tracking_code)
            taken.append(one)
    return taken
