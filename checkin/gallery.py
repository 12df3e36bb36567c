"""Enrolled faces: consent, enrolment, learned templates, purge, and the per-meeting gallery
used for matching. Learned templates (checkin.learning) are rows like enrolled ones, so every
purge below deletes them too."""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, delete, func
from sqlmodel import Session, col, select

from checkin import learning
from checkin.crypto import FaceCipher
from checkin.engine import EMBEDDING_SIZE, Embeddings, EnrolmentFace
from checkin.errors import ConsentRequiredError, FaceNotFoundError, PersonNotFoundError
from checkin.learning import Confirmation, Refusal, Sighting
from checkin.matching import DEFAULT_ACCEPT, DEFAULT_GREY, Gallery, person_distances
from checkin.policy import get_policy
from core.audit import audit
from core.imagemeta import without_metadata
from models import FaceConsent, FaceEmbedding, Invitation, Person
from models.base import utcnow
from models.face import FaceKind

Fingerprint = tuple[int, int, int]


@dataclass(frozen=True)
class EnrolmentResult:
    """The stored face, and a warning for the operator when something looks wrong."""

    face: FaceEmbedding
    warning: str | None = None
    similar_person_id: int | None = None
    similar_distance: float | None = None


@dataclass(frozen=True)
class LearnResult:
    """The learned template stored, or why none was."""

    face: FaceEmbedding | None
    refused: Refusal | None = None
    replaced: int = 0  # older learned templates deleted to stay under the bound


@dataclass(frozen=True)
class PurgeResult:
    faces: int
    photos: list[str] = field(default_factory=list)


# -- consent ---------------------------------------------------------------------------------


def record_consent(
    *, session: Session, person_id: int, recorded_by: int | None, note: str = ""
) -> FaceConsent:
    """Record that the person consents to face check-in (who recorded it, when)."""
    _get_person(session, person_id)
    consent = FaceConsent(person_id=person_id, recorded_by=recorded_by, note=note.strip())
    session.add(consent)
    session.commit()
    return consent


def active_consent(*, session: Session, person_id: int) -> FaceConsent | None:
    """The person's latest consent that has not been withdrawn."""
    query = (
        select(FaceConsent)
        .where(FaceConsent.person_id == person_id, col(FaceConsent.withdrawn_at).is_(None))
        .order_by(col(FaceConsent.id).desc())
    )
    return session.exec(query).first()


def require_consent(*, session: Session, person_id: int) -> FaceConsent:
    """The active consent, or ConsentRequiredError."""
    consent = active_consent(session=session, person_id=person_id)
    if consent is None:
        raise ConsentRequiredError(
            "Record the person's consent to face check-in before enrolling a face"
        )
    return consent


def withdraw_consent(
    *, session: Session, person_id: int, cache: "GalleryCache | None" = None
) -> PurgeResult:
    """Withdraw consent and delete the person's biometric data in the same transaction."""
    now = utcnow()
    for consent in session.exec(select(FaceConsent).where(FaceConsent.person_id == person_id)):
        if consent.withdrawn_at is None:
            consent.withdrawn_at = now
            session.add(consent)
    condition = col(FaceEmbedding.person_id) == person_id
    detail = {"consent_withdrawn": True}
    return _purge(session, condition, cache, person_id=person_id, detail=detail)


# -- enrolment -------------------------------------------------------------------------------


def enrol_face(
    *,
    session: Session,
    cipher: FaceCipher,
    person_id: int,
    face: EnrolmentFace,
    source: str = "upload",
    created_by: int | None = None,
    photo_path: str | None = None,
    cache: "GalleryCache | None" = None,
) -> EnrolmentResult:
    """Store an analysed enrolment face (engine.analyse_enrolment_photo), encrypted."""
    _get_person(session, person_id)
    require_consent(session=session, person_id=person_id)
    result = _check_similarity(session, cipher, person_id, face)
    row = FaceEmbedding(
        person_id=person_id,
        sealed_embedding=cipher.encrypt(face.embedding, person_id=person_id),
        source=source[:200],
        face_px=face.box.size,
        sharpness=round(face.sharpness, 1),
        photo_path=photo_path,
        created_by=created_by,
    )
    session.add(row)
    audit(
        session,
        action="face.enrolled",
        actor=session.get(Person, created_by) if created_by else None,
        target_type="person",
        target_id=person_id,
        detail={"source": row.source},
    )
    session.commit()
    if cache is not None:
        cache.invalidate()
    return EnrolmentResult(row, *result)


def _check_similarity(
    session: Session, cipher: FaceCipher, person_id: int, face: EnrolmentFace
) -> tuple[str | None, int | None, float | None]:
    """A warning when the face matches someone else, or does not match the person's others."""
    everyone = load_gallery(session=session, cipher=cipher)
    if len(everyone) == 0:
        return None, None, None
    row = person_distances(everyone, face.embedding[None, :])[0]
    others = everyone.people != person_id
    if others.any():
        nearest = int(np.argmin(np.where(others, row, np.inf)))
        distance = float(row[nearest])
        if distance < DEFAULT_ACCEPT:
            other = session.get(Person, int(everyone.people[nearest]))
            name = other.full_name if other else f"#{everyone.people[nearest]}"
            warning = f"This face already matches {name} (distance {distance:.2f})"
            return warning, int(everyone.people[nearest]), distance
    own = everyone.people == person_id
    if own.any() and float(row[own].min()) > DEFAULT_GREY:
        distance = float(row[own].min())
        return f"This face differs from the person's other photos ({distance:.2f})", None, None
    return None, None, None


def list_faces(*, session: Session, person_id: int) -> list[FaceEmbedding]:
    """The person's faces (enrolled and learned), oldest first."""
    query = select(FaceEmbedding).where(FaceEmbedding.person_id == person_id)
    return list(session.exec(query.order_by(col(FaceEmbedding.id))))


def delete_face(
    *, session: Session, person_id: int, face_id: int, cache: "GalleryCache | None" = None
) -> PurgeResult:
    """Delete one enrolled face of the person."""
    face = session.get(FaceEmbedding, face_id)
    if face is None or face.person_id != person_id:
        raise FaceNotFoundError(f"Face {face_id} not found")
    condition = col(FaceEmbedding.id) == face_id
    return _purge(session, condition, cache, person_id=person_id, detail={"face_id": face_id})


# -- learned templates (the rules: checkin.learning) ------------------------------------------


def learning_refusal(*, session: Session, meeting_id: int, person_id: int) -> Refusal | None:
    """Why the meeting may not learn this person's face at all (checked before face work)."""
    if not get_policy(session=session, meeting_id=meeting_id).learn_templates:
        return Refusal.policy_off
    if active_consent(session=session, person_id=person_id) is None:
        return Refusal.no_consent
    return None


def learn_template(
    *,
    session: Session,
    cipher: FaceCipher,
    meeting_id: int,
    person_id: int,
    sighting: Sighting | None,
    confirmation: Confirmation,
    at: float,
    operator_id: int | None = None,
    cache: "GalleryCache | None" = None,
) -> LearnResult:
    """Add a kiosk face confirmed by a second factor to the person's templates, if the
    meeting, the person's consent and checkin.learning's rules allow it; audited."""
    own, others = _templates_around(session, cipher, meeting_id, person_id)
    refused = learning_refusal(
        session=session, meeting_id=meeting_id, person_id=person_id
    ) or learning.refusal(
        confirmation=confirmation, sighting=sighting, at=at, own=own, others=others
    )
    if refused is not None:
        return LearnResult(None, refused)
    assert sighting is not None
    dropped = learning.learned_to_drop(_learned_ids(session, person_id))
    if dropped:
        session.execute(delete(FaceEmbedding).where(col(FaceEmbedding.id).in_(dropped)))
    row = _learned_row(cipher, meeting_id, person_id, sighting, confirmation)
    session.add(row)
    audit(
        session,
        action="face.learned",
        actor=session.get(Person, operator_id) if operator_id else None,
        target_type="person",
        target_id=person_id,
        meeting_id=meeting_id,
        detail={"confirmation": str(confirmation), "kiosk": sighting.kiosk, "replaced": dropped},
    )
    session.commit()
    if cache is not None:
        cache.invalidate()
    return LearnResult(row, replaced=len(dropped))


def _learned_row(
    cipher: FaceCipher,
    meeting_id: int,
    person_id: int,
    sighting: Sighting,
    confirmation: Confirmation,
) -> FaceEmbedding:
    return FaceEmbedding(
        person_id=person_id,
        sealed_embedding=cipher.encrypt(sighting.embedding, person_id=person_id),
        source=f"learned: {confirmation} at {sighting.kiosk}"[:200],
        face_px=sighting.face_px,
        sharpness=round(sighting.sharpness, 1),
        kind=FaceKind.learned,
        learned_meeting_id=meeting_id,
    )


def _learned_ids(session: Session, person_id: int) -> list[int]:
    query = select(FaceEmbedding.id).where(
        FaceEmbedding.person_id == person_id, FaceEmbedding.kind == FaceKind.learned
    )
    rows = session.exec(query.order_by(col(FaceEmbedding.id)))
    return [face_id for face_id in rows if face_id is not None]


def _templates_around(
    session: Session, cipher: FaceCipher, meeting_id: int, person_id: int
) -> tuple[Embeddings, Embeddings]:
    """The person's templates, and those of the meeting's other invitees."""
    rows = session.exec(
        select(FaceEmbedding.sealed_embedding).where(FaceEmbedding.person_id == person_id)
    ).all()
    own = [cipher.decrypt(blob, person_id=person_id) for blob in rows]
    meeting = load_gallery(session=session, cipher=cipher, meeting_id=meeting_id)
    others = meeting.embeddings[meeting.person_ids != person_id]
    mine = np.stack(own).reshape(len(own), EMBEDDING_SIZE) if own else learning.no_templates()
    return mine, others


# -- purge -----------------------------------------------------------------------------------


def purge_person(
    *, session: Session, person_id: int, cache: "GalleryCache | None" = None
) -> PurgeResult:
    """Delete every enrolled face of the person (and kept photos)."""
    return _purge(session, col(FaceEmbedding.person_id) == person_id, cache, person_id=person_id)


def purge_older_than(
    *,
    session: Session,
    days: int,
    now: datetime | None = None,
    cache: "GalleryCache | None" = None,
) -> PurgeResult:
    """Delete every enrolled face created more than `days` days ago."""
    if days < 0:
        raise ValueError("days cannot be negative")
    cutoff = (now or utcnow()) - timedelta(days=days)
    detail = {"older_than_days": days}
    return _purge(session, col(FaceEmbedding.created_at) < cutoff, cache, detail=detail)


def _purge(
    session: Session,
    condition: ColumnElement[bool],
    cache: "GalleryCache | None",
    *,
    person_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> PurgeResult:
    rows = session.exec(select(FaceEmbedding.id, FaceEmbedding.photo_path).where(condition)).all()
    photos = [path for _, path in rows if path]
    session.execute(delete(FaceEmbedding).where(condition))
    audit(
        session,
        action="face.purged",
        target_type="person" if person_id is not None else "",
        target_id=person_id,
        detail={**(detail or {}), "faces": len(rows)},
    )
    session.commit()
    # Files go only after the rows are gone for good.
    for path in photos:
        Path(path).unlink(missing_ok=True)
    if cache is not None:
        cache.invalidate()
    return PurgeResult(faces=len(rows), photos=photos)


def store_photo(*, photo_dir: Path, person_id: int, data: bytes, suffix: str) -> str:
    """Keep an enrolment photo (only when an operator opted in); the path to store."""
    photo_dir.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = photo_dir / f"person{person_id}-{stamp}{suffix}"
    path.touch(mode=0o600)
    path.write_bytes(data)
    return str(path)


# -- galleries -------------------------------------------------------------------------------


def load_gallery(*, session: Session, cipher: FaceCipher, meeting_id: int | None = None) -> Gallery:
    """Decrypted embeddings: of a meeting's invitees, or of everyone enrolled."""
    query = select(FaceEmbedding.person_id, FaceEmbedding.sealed_embedding)
    if meeting_id is not None:
        query = query.join(
            Invitation, col(Invitation.person_id) == col(FaceEmbedding.person_id)
        ).where(Invitation.meeting_id == meeting_id)
    rows = session.exec(query).all()
    if not rows:
        return Gallery.empty()
    ids = [person_id for person_id, _ in rows]
    matrix = np.stack([cipher.decrypt(blob, person_id=pid) for pid, blob in rows])
    return Gallery.build(ids, matrix.reshape(len(rows), EMBEDDING_SIZE))


def gallery_fingerprint(*, session: Session, meeting_id: int) -> Fingerprint:
    """Changes whenever an invitee's face is added or removed, or an invitee with faces is."""
    query = (
        select(
            func.count(col(FaceEmbedding.id)),
            func.coalesce(func.max(col(FaceEmbedding.id)), 0),
            func.coalesce(func.sum(col(FaceEmbedding.id)), 0),
        )
        .select_from(FaceEmbedding)
        .join(Invitation, col(Invitation.person_id) == col(FaceEmbedding.person_id))
        .where(Invitation.meeting_id == meeting_id)
    )
    count, largest, total = session.exec(query).one()
    return int(count or 0), int(largest or 0), int(total or 0)


class GalleryCache:
    """Meeting galleries kept decrypted in memory, checked against a cheap fingerprint.

    enrol/purge invalidate it in this process; the fingerprint query (one indexed aggregate)
    catches changes made by other processes or by invitation changes elsewhere.
    """

    def __init__(self, cipher: FaceCipher, *, max_meetings: int = 32) -> None:
        self._cipher = cipher
        self._max = max_meetings
        self._entries: OrderedDict[int, tuple[Fingerprint, Gallery]] = OrderedDict()
        self._lock = threading.Lock()
        # What the kiosks saw a moment ago, for learning: the same process-wide face memory
        # the galleries are, reachable by every route, page and socket that has the cache.
        self.recent = learning.RecentFaces()

    def get(self, *, session: Session, meeting_id: int) -> Gallery:
        """The meeting's gallery, reloaded only when it changed."""
        fingerprint = gallery_fingerprint(session=session, meeting_id=meeting_id)
        with self._lock:
            entry = self._entries.get(meeting_id)
            if entry is not None and entry[0] == fingerprint:
                self._entries.move_to_end(meeting_id)
                return entry[1]
        gallery = load_gallery(session=session, cipher=self._cipher, meeting_id=meeting_id)
        with self._lock:
            self._entries[meeting_id] = (fingerprint, gallery)
            self._entries.move_to_end(meeting_id)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return gallery

    def invalidate(self, meeting_id: int | None = None) -> None:
        """Forget one meeting's gallery, or all of them."""
        with self._lock:
            if meeting_id is None:
                self._entries.clear()
            else:
                self._entries.pop(meeting_id, None)

    def __contains__(self, meeting_id: int) -> bool:
        with self._lock:
            return meeting_id in self._entries


def _get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise PersonNotFoundError(f"Person {person_id} not found")
    return person


def keep_photo(*, photo_dir: Path, person_id: int, data: bytes) -> str:
    """Store an enrolment photo without its metadata (operators opt in); the path to store."""
    clean = without_metadata(data)
    return store_photo(
        photo_dir=photo_dir, person_id=person_id, data=clean.data, suffix=clean.suffix
    )
