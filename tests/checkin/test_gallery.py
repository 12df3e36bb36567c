"""Enrolment, encryption at rest, purge, and the per-meeting gallery with its cache."""

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from checkin import gallery
from checkin.crypto import FaceCipher
from checkin.errors import (
    ConsentRequiredError,
    EmbeddingDecryptionError,
    FaceNotFoundError,
    PersonNotFoundError,
)
from checkin.gallery import GalleryCache
from models import FaceEmbedding, Person, Role
from models.base import utcnow
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


@pytest.fixture
def secretary(session: Session) -> Person:
    return make_person(session, role=Role.secretariat)


def consenting(session: Session, secretary: Person, name: str) -> Person:
    person = make_person(session, full_name=name.replace("_", " ").title())
    assert person.id is not None
    gallery.record_consent(
        session=session, person_id=person.id, recorded_by=secretary.id, note="signed form"
    )
    return person


def enrol(
    session: Session, cipher: FaceCipher, person: Person, photo: EnrolledPhoto, **kwargs: object
) -> gallery.EnrolmentResult:
    assert person.id is not None
    return gallery.enrol_face(
        session=session,
        cipher=cipher,
        person_id=person.id,
        face=photo.face,
        source=f"test:{photo.path.name}",
        **kwargs,  # type: ignore[arg-type]
    )


def test_enrolment_needs_consent_first(
    session: Session, cipher: FaceCipher, photos: dict[str, list[EnrolledPhoto]]
) -> None:
    person = make_person(session)
    with pytest.raises(ConsentRequiredError, match="consent") as caught:
        enrol(session, cipher, person, photos["obama"][0])
    assert caught.value.status_code == 409
    assert gallery.list_faces(session=session, person_id=person.id or 0) == []


def test_enrolment_of_an_unknown_person_is_not_found(
    session: Session, cipher: FaceCipher, photos: dict[str, list[EnrolledPhoto]]
) -> None:
    with pytest.raises(PersonNotFoundError):
        gallery.enrol_face(
            session=session, cipher=cipher, person_id=9999, face=photos["obama"][0].face
        )


def test_consent_records_who_and_when(session: Session, secretary: Person) -> None:
    person = consenting(session, secretary, "obama")
    consent = gallery.require_consent(session=session, person_id=person.id or 0)
    assert consent.recorded_by == secretary.id
    assert consent.note == "signed form"
    assert consent.recorded_at is not None


def test_embeddings_are_encrypted_at_rest(
    session: Session,
    cipher: FaceCipher,
    secretary: Person,
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    person = consenting(session, secretary, "obama")
    photo = photos["obama"][0]
    enrol(session, cipher, person, photo)
    session.expire_all()
    [raw] = session.execute(text("SELECT sealed_embedding FROM face_embedding")).scalars()
    raw = bytes(raw)
    plain = photo.face.embedding.astype("<f4").tobytes()
    assert plain not in raw
    # Not even a fragment: no 8-byte run of the float32 bytes appears in the stored column.
    assert not any(plain[i : i + 8] in raw for i in range(0, len(plain) - 8, 4))
    decrypted = gallery.load_gallery(session=session, cipher=cipher).embeddings[0]
    np.testing.assert_array_equal(decrypted, photo.face.embedding)


def test_another_key_or_another_person_cannot_decrypt(
    session: Session,
    cipher: FaceCipher,
    secretary: Person,
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    person = consenting(session, secretary, "obama")
    row = enrol(session, cipher, person, photos["obama"][0]).face
    other_key = FaceCipher.from_secret("another-secret-key-that-is-long-enough-42")
    with pytest.raises(EmbeddingDecryptionError, match="secret key"):
        other_key.decrypt(row.sealed_embedding, person_id=person.id or 0)
    with pytest.raises(EmbeddingDecryptionError):
        cipher.decrypt(row.sealed_embedding, person_id=(person.id or 0) + 1)


def test_a_face_matching_another_person_is_stored_with_a_warning(
    session: Session,
    cipher: FaceCipher,
    secretary: Person,
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    obama = consenting(session, secretary, "obama")
    impostor = consenting(session, secretary, "someone_else")
    assert enrol(session, cipher, obama, photos["obama"][0]).warning is None
    result = enrol(session, cipher, impostor, photos["obama"][1])
    assert result.warning is not None
    assert "Obama" in result.warning
    assert result.similar_person_id == obama.id
    assert result.similar_distance is not None
    assert result.similar_distance < 0.5
    assert result.face.id is not None


def test_a_face_unlike_the_persons_other_photos_is_flagged(
    session: Session,
    cipher: FaceCipher,
    secretary: Person,
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    person = consenting(session, secretary, "obama")
    enrol(session, cipher, person, photos["obama"][0])
    assert enrol(session, cipher, person, photos["obama"][1]).warning is None
    result = enrol(session, cipher, person, photos["biden"][0])
    assert result.warning is not None
    assert "differs" in result.warning


def test_the_meeting_gallery_holds_only_the_invitees(
    session: Session,
    cipher: FaceCipher,
    secretary: Person,
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    meeting = make_meeting(session, creator=secretary)
    enrolled = {}
    for name in ("obama", "biden", "rose_leslie"):
        person = consenting(session, secretary, name)
        for photo in photos[name]:
            enrol(session, cipher, person, photo)
        enrolled[name] = person
    invite(session, meeting, enrolled["obama"])
    invite(session, meeting, enrolled["rose_leslie"])
    loaded = gallery.load_gallery(session=session, cipher=cipher, meeting_id=meeting.id)
    assert set(loaded.people.tolist()) == {enrolled["obama"].id, enrolled["rose_leslie"].id}
    assert len(loaded) == 4
    assert loaded.embeddings.dtype == np.float32
    assert loaded.embeddings.shape == (4, 128)


def test_the_gallery_cache_follows_enrolment_purge_and_invitations(
    session: Session,
    cipher: FaceCipher,
    secretary: Person,
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    cache = GalleryCache(cipher)
    meeting = make_meeting(session, creator=secretary)
    assert meeting.id is not None
    obama = consenting(session, secretary, "obama")
    invite(session, meeting, obama)
    empty = cache.get(session=session, meeting_id=meeting.id)
    assert len(empty) == 0
    enrol(session, cipher, obama, photos["obama"][0], cache=cache)
    assert meeting.id not in cache  # invalidated by the enrolment
    first = cache.get(session=session, meeting_id=meeting.id)
    assert len(first) == 1
    assert cache.get(session=session, meeting_id=meeting.id) is first  # cached
    # An invitation made elsewhere (another service, another process) changes the fingerprint.
    biden = consenting(session, secretary, "biden")
    enrol(session, cipher, biden, photos["biden"][0])
    cache.get(session=session, meeting_id=meeting.id)
    invite(session, meeting, biden)
    assert len(cache.get(session=session, meeting_id=meeting.id)) == 2
    gallery.purge_person(session=session, person_id=obama.id or 0, cache=cache)
    assert cache.get(session=session, meeting_id=meeting.id).people.tolist() == [biden.id]


def test_purge_by_person_deletes_faces_and_kept_photos(
    session: Session,
    cipher: FaceCipher,
    secretary: Person,
    photos: dict[str, list[EnrolledPhoto]],
    tmp_path: Path,
) -> None:
    person = consenting(session, secretary, "obama")
    photo = photos["obama"][0]
    kept = gallery.store_photo(
        photo_dir=tmp_path / "faces", person_id=person.id or 0, data=b"jpeg", suffix=".jpg"
    )
    enrol(session, cipher, person, photo, photo_path=kept)
    enrol(session, cipher, person, photos["obama"][1])
    assert Path(kept).exists()
    result = gallery.purge_person(session=session, person_id=person.id or 0)
    assert result.faces == 2
    assert result.photos == [kept]
    assert not Path(kept).exists()
    assert gallery.list_faces(session=session, person_id=person.id or 0) == []


def test_purge_older_than_days(
    session: Session,
    cipher: FaceCipher,
    secretary: Person,
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    person = consenting(session, secretary, "obama")
    old = enrol(session, cipher, person, photos["obama"][0]).face
    old.created_at = utcnow() - timedelta(days=400)
    session.add(old)
    session.commit()
    recent = enrol(session, cipher, person, photos["obama"][1]).face
    result = gallery.purge_older_than(session=session, days=365)
    assert result.faces == 1
    remaining = gallery.list_faces(session=session, person_id=person.id or 0)
    assert [face.id for face in remaining] == [recent.id]
    assert gallery.purge_older_than(session=session, days=0, now=utcnow() + timedelta(1)).faces == 1


def test_withdrawn_consent_deletes_the_faces_and_blocks_enrolment(
    session: Session,
    cipher: FaceCipher,
    secretary: Person,
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    person = consenting(session, secretary, "obama")
    enrol(session, cipher, person, photos["obama"][0])
    result = gallery.withdraw_consent(session=session, person_id=person.id or 0)
    assert result.faces == 1
    assert session.exec(select(FaceEmbedding)).all() == []
    with pytest.raises(ConsentRequiredError):
        enrol(session, cipher, person, photos["obama"][1])


def test_deleting_a_face_of_someone_else_is_not_found(
    session: Session,
    cipher: FaceCipher,
    secretary: Person,
    photos: dict[str, list[EnrolledPhoto]],
) -> None:
    person = consenting(session, secretary, "obama")
    face = enrol(session, cipher, person, photos["obama"][0]).face
    with pytest.raises(FaceNotFoundError):
        gallery.delete_face(session=session, person_id=secretary.id or 0, face_id=face.id or 0)
    gallery.delete_face(session=session, person_id=person.id or 0, face_id=face.id or 0)
    assert gallery.list_faces(session=session, person_id=person.id or 0) == []
