"""Biometric retention: faces are kept for a set time and never without a standing consent.

HOP_FACE_RETENTION_DAYS says how long an enrolled face is kept (0: until purged by hand);
`hop purge-faces --expired` (run daily from cron or a systemd timer) deletes faces older than
that, and any face whose owner has no standing consent (withdrawing deletes at once; this
catches rows left by an older version or restored from a backup). Learned templates
(checkin.learning) are rows of the same table: every purge here deletes them with the others,
and their time counts from when they were learned.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, not_, or_
from sqlmodel import Session, col

from checkin.gallery import GalleryCache, PurgeResult, _get_person, _purge, withdraw_consent
from models import FaceConsent, FaceEmbedding
from models.base import as_utc, utcnow


@dataclass(frozen=True)
class OptOut:
    """What an opt-out did: consent withdrawn, every face deleted."""

    person_id: int
    faces_deleted: int


def purge_after(created_at: datetime, retention_days: int) -> datetime | None:
    """When a face enrolled at `created_at` is due for purging (None: kept until purged)."""
    return as_utc(created_at) + timedelta(days=retention_days) if retention_days > 0 else None


def purge_expired(
    *,
    session: Session,
    retention_days: int,
    now: datetime | None = None,
    cache: GalleryCache | None = None,
) -> PurgeResult:
    """Delete faces past retention and faces whose owner has no standing consent."""
    if retention_days < 0:
        raise ValueError("retention_days cannot be negative")
    consented = exists().where(
        col(FaceConsent.person_id) == col(FaceEmbedding.person_id),
        col(FaceConsent.withdrawn_at).is_(None),
    )
    condition = not_(consented)
    if retention_days > 0:
        cutoff = (now or utcnow()) - timedelta(days=retention_days)
        condition = or_(condition, and_(col(FaceEmbedding.created_at) < cutoff))
    return _purge(session, condition, cache)


def opt_out(*, session: Session, person_id: int, cache: GalleryCache | None = None) -> OptOut:
    """The person leaves face check-in: consent withdrawn and faces deleted, in one commit.

    QR and manual check-in do not depend on biometrics, so they keep working.
    """
    _get_person(session, person_id)
    result = withdraw_consent(session=session, person_id=person_id, cache=cache)
    return OptOut(person_id=person_id, faces_deleted=result.faces)
