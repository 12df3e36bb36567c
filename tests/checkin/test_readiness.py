"""Ready for face check-in: at least two templates, whatever their kind (checkin.readiness),
counted for many people in one query."""

from sqlmodel import Session

from checkin.readiness import READY_TEMPLATES, face_readiness, person_readiness
from models import FaceEmbedding
from tests.factories import make_person


def add_templates(session: Session, person_id: int | None, count: int) -> None:
    assert person_id is not None
    for _ in range(count):
        session.add(FaceEmbedding(person_id=person_id, sealed_embedding=b"sealed"))
    session.commit()


def test_two_templates_of_any_kind_make_a_person_ready(session: Session) -> None:
    none, one, two, five = (make_person(session) for _ in range(4))
    add_templates(session, one.id, 1)
    add_templates(session, two.id, 2)
    add_templates(session, five.id, 5)
    ids = [p.id for p in (none, one, two, five) if p.id is not None]
    found = face_readiness(session=session, person_ids=[*ids, *ids])  # repeated ids: once
    assert {pid: (r.templates, r.ready, r.missing) for pid, r in found.items()} == {
        none.id: (0, False, 2),
        one.id: (1, False, 1),
        two.id: (2, True, 0),
        five.id: (5, True, 0),
    }
    assert READY_TEMPLATES == 2
    assert person_readiness(session=session, person_id=ids[1]).needed == READY_TEMPLATES


def test_no_people_no_query(session: Session) -> None:
    assert face_readiness(session=session, person_ids=[]) == {}
