"""Templates that learn, safely: the rules of checkin.learning and gallery.learn_template.

No learning from a face-only acceptance; QR, desk and tap teach; a face seen too long before,
or with another face in front of the kiosk, teaches nothing; quality and identity gates;
bounded per person (the oldest learned go first, enrolled stay); consent and the meeting's
policy; audited; purged with every other face.
"""

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from checkin import gallery, learning, policy, retention
from checkin.crypto import FaceCipher
from checkin.engine import EMBEDDING_SIZE
from checkin.gallery import GalleryCache
from checkin.learning import (
    MAX_LEARNED,
    WINDOW_S,
    Confirmation,
    RecentFaces,
    Refusal,
    Sighting,
)
from models import CheckinPolicyUpdate, FaceEmbedding, Meeting, Person, Role
from models.audit import AuditEntry
from models.base import utcnow
from models.face import FaceKind
from tests.faces import EnrolledPhoto
from tests.factories import invite, make_meeting, make_person
from web.settings import Settings


@pytest.fixture
def cipher(settings: Settings) -> FaceCipher:
    return FaceCipher.from_secret(settings.secret_key)


@pytest.fixture
def photos(enrolled_photos: list[EnrolledPhoto]) -> dict[str, list[EnrolledPhoto]]:
    by_person: dict[str, list[EnrolledPhoto]] = {}
    for photo in enrolled_photos:
        by_person.setdefault(photo.person, []).append(photo)
    return by_person


def sighting(photo: EnrolledPhoto, *, at: float = 100.0, **changes: object) -> Sighting:
    face = photo.face
    fields: dict[str, object] = {
        "embedding": face.embedding,
        "face_px": face.box.size,
        "sharpness": face.sharpness,
        "at": at,
        "kiosk": "Cửa A",
    }
    return Sighting(**{**fields, **changes})  # type: ignore[arg-type]


def own_of(photo: EnrolledPhoto) -> np.ndarray:
    return photo.face.embedding.reshape(1, EMBEDDING_SIZE)


# -- the pure rules ----------------------------------------------------------------------------


def test_only_a_second_factor_teaches(photos: dict[str, list[EnrolledPhoto]]) -> None:
    seen = sighting(photos["obama"][1])
    own, others = own_of(photos["obama"][0]), own_of(photos["biden"][0])

    def verdict(confirmation: Confirmation) -> Refusal | None:
        return learning.refusal(
            confirmation=confirmation, sighting=seen, at=101.0, own=own, others=others
        )

    assert verdict(Confirmation.face) == Refusal.face_only  # no drift
    assert verdict(Confirmation.qr) is None
    assert verdict(Confirmation.desk) is None
    assert verdict(Confirmation.tap) is None
    assert not learning.may_teach(Confirmation.face)


@pytest.mark.parametrize(
    ("changes", "at", "expected"),
    [
        ({}, 100.0 + WINDOW_S + 0.1, Refusal.too_old),
        ({}, 99.0, Refusal.too_old),  # seen after the confirmation: another moment
        ({"faces": 2}, 101.0, Refusal.crowded),
        ({"face_px": 60}, 101.0, Refusal.too_small),
        ({"sharpness": 5.0}, 101.0, Refusal.too_blurry),
    ],
)
def test_time_window_single_face_and_quality(
    photos: dict[str, list[EnrolledPhoto]],
    changes: dict[str, object],
    at: float,
    expected: Refusal,
) -> None:
    seen = sighting(photos["obama"][1], **changes)
    refused = learning.refusal(
        confirmation=Confirmation.qr,
        sighting=seen,
        at=at,
        own=own_of(photos["obama"][0]),
        others=learning.no_templates(),
    )
    assert refused == expected


def test_a_face_must_be_plausibly_the_confirmed_persons(
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    def verdict(seen: Sighting, own: np.ndarray, others: np.ndarray) -> Refusal | None:
        return learning.refusal(
            confirmation=Confirmation.desk, sighting=seen, at=101.0, own=own, others=others
        )

    obama, biden = photos["obama"], photos["biden"]
    none = learning.no_templates()
    assert verdict(sighting(obama[1]), none, none) == Refusal.not_enrolled
    # Obama's QR code in front of Biden's face: someone else stands in frame.
    assert verdict(sighting(biden[0]), own_of(obama[0]), none) == Refusal.too_far
    # Near the person, but nearer still to another invitee.
    base = obama[0].face.embedding
    step = np.zeros(EMBEDDING_SIZE, dtype=np.float32)
    step[0] = 0.1
    probe = Sighting(base + 2 * step, 120, 100.0, at=100.0)
    own, other = base.reshape(1, -1), (base + 3 * step).reshape(1, -1)
    assert verdict(probe, own, other) == Refusal.nearer_someone_else
    assert verdict(probe, own, (base - 9 * step).reshape(1, -1)) is None


def test_the_bound_drops_the_oldest_learned_first() -> None:
    assert learning.learned_to_drop([], bound=3) == []
    assert learning.learned_to_drop([4, 9], bound=3) == []
    assert learning.learned_to_drop([4, 9, 12], bound=3) == [4]
    assert learning.learned_to_drop([4, 9, 12, 15], bound=3) == [4, 9]


def test_recent_faces_keep_one_face_per_kiosk_and_mark_crowds() -> None:
    recent = RecentFaces()
    recent.saw(meeting_id=1, kiosk="A", frame=b"one", faces=1, at=10.0)
    recent.saw(meeting_id=1, kiosk="A", frame=b"empty", faces=0, at=11.0)  # nobody: kept
    seen = recent.glimpse(meeting_id=1, at=12.0, kiosk="A")
    assert not isinstance(seen, Refusal)
    assert (seen.frame, seen.at, seen.kiosk) == (b"one", 10.0, "A")
    assert recent.glimpse(meeting_id=1, at=12.0) == seen  # the desk: the meeting's one kiosk
    assert recent.glimpse(meeting_id=2, at=12.0) == Refusal.no_sighting
    recent.saw(meeting_id=1, kiosk="B", frame=b"other", faces=1, at=12.0)
    assert recent.glimpse(meeting_id=1, at=13.0) == Refusal.several_kiosks
    assert not isinstance(recent.glimpse(meeting_id=1, at=13.0, kiosk="B"), Refusal)
    recent.saw(meeting_id=1, kiosk="A", frame=b"two", faces=2, at=13.0)
    assert recent.glimpse(meeting_id=1, at=14.0, kiosk="A") == Refusal.crowded
    recent.forget(meeting_id=1, kiosk="B")
    assert recent.glimpse(meeting_id=1, at=14.0) == Refusal.crowded
    recent.saw(meeting_id=1, kiosk="A", frame=b"one", faces=1, at=15.0)
    assert recent.glimpse(meeting_id=1, at=15.0 + WINDOW_S + 1) == Refusal.no_sighting
    assert recent._seen == {}  # nothing kept longer than it is useful


# -- stored templates ---------------------------------------------------------------------------


@pytest.fixture
def meeting(session: Session) -> Meeting:
    return make_meeting(session, creator=make_person(session, role=Role.secretariat))


def enrolled(
    session: Session,
    cipher: FaceCipher,
    meeting: Meeting,
    photo: EnrolledPhoto,
    *,
    consent: bool = True,
) -> Person:
    person = make_person(session, full_name=photo.person.replace("_", " ").title())
    assert person.id is not None
    invite(session, meeting, person)
    gallery.record_consent(session=session, person_id=person.id, recorded_by=None)
    gallery.enrol_face(session=session, cipher=cipher, person_id=person.id, face=photo.face)
    if not consent:
        gallery.withdraw_consent(session=session, person_id=person.id)
    return person


def learn(
    session: Session,
    cipher: FaceCipher,
    meeting: Meeting,
    person: Person,
    seen: Sighting | None,
    confirmation: Confirmation = Confirmation.qr,
    cache: GalleryCache | None = None,
) -> gallery.LearnResult:
    assert meeting.id is not None
    assert person.id is not None
    return gallery.learn_template(
        session=session,
        cipher=cipher,
        meeting_id=meeting.id,
        person_id=person.id,
        sighting=seen,
        confirmation=confirmation,
        at=101.0,
        cache=cache,
    )


def kinds(session: Session, person: Person) -> list[FaceKind]:
    return [face.kind for face in gallery.list_faces(session=session, person_id=person.id or 0)]


def test_a_confirmed_face_is_learned_audited_and_refreshes_the_gallery(
    session: Session,
    cipher: FaceCipher,
    meeting: Meeting,
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    obama = enrolled(session, cipher, meeting, photos["obama"][0])
    assert meeting.id is not None
    cache = GalleryCache(cipher)
    assert len(cache.get(session=session, meeting_id=meeting.id)) == 1
    result = learn(session, cipher, meeting, obama, sighting(photos["obama"][1]), cache=cache)
    assert result.refused is None
    assert result.face is not None
    assert result.face.kind == FaceKind.learned
    assert result.face.learned_meeting_id == meeting.id
    assert kinds(session, obama) == [FaceKind.enrolled, FaceKind.learned]
    assert meeting.id not in cache
    assert len(cache.get(session=session, meeting_id=meeting.id)) == 2
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "face.learned")).one()
    assert entry.target_id == obama.id
    assert entry.meeting_id == meeting.id
    assert entry.detail["confirmation"] == "qr"
    assert "embedding" not in str(entry.detail)


def test_face_only_no_sighting_no_consent_or_policy_off_learn_nothing(
    session: Session,
    cipher: FaceCipher,
    meeting: Meeting,
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    obama = enrolled(session, cipher, meeting, photos["obama"][0])
    seen = sighting(photos["obama"][1])
    assert learn(session, cipher, meeting, obama, seen, Confirmation.face).refused == (
        Refusal.face_only
    )
    assert learn(session, cipher, meeting, obama, None).refused == Refusal.no_sighting
    policy.update_policy(
        session=session, meeting=meeting, data=CheckinPolicyUpdate(learn_templates=False)
    )
    assert learn(session, cipher, meeting, obama, seen).refused == Refusal.policy_off
    policy.update_policy(
        session=session, meeting=meeting, data=CheckinPolicyUpdate(learn_templates=True)
    )
    assert obama.id is not None
    session.exec(  # type: ignore[call-overload]
        update(gallery.FaceConsent)
        .where(col(gallery.FaceConsent.person_id) == obama.id)
        .values(withdrawn_at=utcnow())
    )
    session.commit()
    assert learn(session, cipher, meeting, obama, seen).refused == Refusal.no_consent
    assert kinds(session, obama) == [FaceKind.enrolled]
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "face.learned")).all() == []


def test_learning_is_bounded_and_replaces_the_oldest_learned_only(
    session: Session,
    cipher: FaceCipher,
    meeting: Meeting,
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    obama = enrolled(session, cipher, meeting, photos["obama"][0])
    learned_ids = []
    for _ in range(MAX_LEARNED + 2):
        result = learn(session, cipher, meeting, obama, sighting(photos["obama"][1]))
        assert result.face is not None
        learned_ids.append(result.face.id)
    faces = gallery.list_faces(session=session, person_id=obama.id or 0)
    assert [face.kind for face in faces] == [FaceKind.enrolled] + [FaceKind.learned] * MAX_LEARNED
    assert [face.id for face in faces[1:]] == learned_ids[-MAX_LEARNED:]  # the newest stay
    assert result.replaced == 1


def test_learned_templates_are_purged_like_the_others(
    session: Session,
    cipher: FaceCipher,
    meeting: Meeting,
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    obama = enrolled(session, cipher, meeting, photos["obama"][0])
    biden = enrolled(session, cipher, meeting, photos["biden"][0])
    alex = enrolled(session, cipher, meeting, photos["alex_lacamoire"][0])
    for person, photo in ((obama, "obama"), (biden, "biden"), (alex, "alex_lacamoire")):
        assert learn(session, cipher, meeting, person, sighting(photos[photo][1])).face
    assert gallery.purge_person(session=session, person_id=obama.id or 0).faces == 2
    assert kinds(session, obama) == []
    assert gallery.withdraw_consent(session=session, person_id=biden.id or 0).faces == 2
    assert kinds(session, biden) == []
    # Retention: a learned face past its time goes as an enrolled one does.
    session.exec(  # type: ignore[call-overload]
        update(FaceEmbedding)
        .where(col(FaceEmbedding.person_id) == alex.id)
        .values(created_at=utcnow() - timedelta(days=400))
    )
    session.commit()
    assert retention.purge_expired(session=session, retention_days=365).faces == 2
    assert kinds(session, alex) == []
