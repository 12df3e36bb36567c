"""One-time permits to cast a ballot in a poll that confirms the voter's face.

A permit is issued by an accepted face check (a random token, of which only the hash is kept)
or by the chair after a desk check (no token: the voter's next ballot takes it). A ballot of
such a poll claims one in the transaction that writes the ballot, or the who-voted mark of a
secret poll, and is refused without one. The permit row is on the who-voted side only: it
shares no key and no time with a secret poll's choice.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from models import Poll
from models.base import as_utc, utcnow
from models.poll import PermitMethod, VotePermit
from voting.errors import FaceCheckRequiredError

# Long enough to see the ballot sent (and resent over HTTP after a lost socket answer).
FACE_TTL = timedelta(minutes=2)
# The chair allows; the delegate walks back to their tablet and votes.
DESK_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class IssuedPermit:
    """What the tablet gets: the token (face permits only) and until when it is valid."""

    permit: VotePermit
    token: str | None

    @property
    def expires_at(self) -> datetime:
        return as_utc(self.permit.expires_at)


def token_hash(token: str) -> str:
    return hashlib.sha256(f"hop/vote-permit|{token}".encode()).hexdigest()


def issue(
    *,
    session: Session,
    poll_id: int,
    voter_id: int,
    person_id: int,
    method: PermitMethod,
    now: datetime,
    distance: float | None = None,
    granted_by: int | None = None,
    reason: str = "",
) -> IssuedPermit:
    """A new permit (not committed); a new face check replaces the voter's unused one."""
    token = secrets.token_urlsafe(32) if method == PermitMethod.face else None
    if token is not None:
        _drop_unused_face_permits(session, poll_id, voter_id)
    ttl = FACE_TTL if method == PermitMethod.face else DESK_TTL
    permit = VotePermit(
        poll_id=poll_id,
        voter_id=voter_id,
        person_id=person_id,
        token_hash=token_hash(token) if token else None,
        method=method,
        distance=None if distance is None else round(distance, 3),
        granted_by=granted_by,
        reason=reason,
        issued_at=now,
        expires_at=now + ttl,
    )
    session.add(permit)
    return IssuedPermit(permit, token)


def _drop_unused_face_permits(session: Session, poll_id: int, voter_id: int) -> None:
    session.execute(
        delete(VotePermit).where(
            col(VotePermit.poll_id) == poll_id,
            col(VotePermit.voter_id) == voter_id,
            col(VotePermit.method) == PermitMethod.face,
            col(VotePermit.used_at).is_(None),
        )
    )


def required_permit(
    session: Session, poll: Poll, voter_id: int, token: str | None, now: datetime
) -> VotePermit | None:
    """The permit this cast claims (None when the poll does not confirm faces), or
    FaceCheckRequiredError. Reads only: claim() spends it once the cast is accepted."""
    if not poll.confirm_face:
        return None
    if token is None:
        permit = desk_permit(session=session, poll_id=poll.id or 0, voter_id=voter_id, now=now)
        if permit is None:
            raise FaceCheckRequiredError("Confirm your face before voting")
        return permit
    permit = session.exec(
        select(VotePermit).where(VotePermit.token_hash == token_hash(token))
    ).first()
    if permit is None or permit.poll_id != poll.id or permit.voter_id != voter_id:
        raise FaceCheckRequiredError("Confirm your face before voting")
    if not _usable(permit, now):
        raise FaceCheckRequiredError(
            "The face confirmation has expired or was already used: confirm your face again"
        )
    return permit


def desk_permit(
    *, session: Session, poll_id: int, voter_id: int, now: datetime | None = None
) -> VotePermit | None:
    """The chair's unused, unexpired permit for this voter, if any."""
    now = now or utcnow()
    query = select(VotePermit).where(
        VotePermit.poll_id == poll_id,
        VotePermit.voter_id == voter_id,
        VotePermit.method == PermitMethod.desk,
        col(VotePermit.used_at).is_(None),
    )
    return next((p for p in session.exec(query) if _usable(p, now)), None)


def _usable(permit: VotePermit, now: datetime) -> bool:
    return permit.used_at is None and as_utc(permit.expires_at) > now


def claim(session: Session, permit: VotePermit, now: datetime) -> None:
    """Spend the permit in the cast's transaction. The update is conditional, so that two
    writers (two server processes) racing with one permit cannot both spend it."""
    spent = session.execute(
        update(VotePermit)
        .where(col(VotePermit.id) == permit.id, col(VotePermit.used_at).is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise FaceCheckRequiredError(
            "The face confirmation has expired or was already used: confirm your face again"
        )
    # The same object may be asked for again in this batch: it is spent now.
    set_committed_value(permit, "used_at", now)
