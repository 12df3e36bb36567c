"""Who is ready for face check-in: the one rule the desk, the people list and the faces pages ask.

A person is ready once at least READY_TEMPLATES face templates are stored for them: with a
single template one unlucky photo (light, angle, glasses) decides every check-in, with two or
more the kiosk matches against the nearest. Every template counts, enrolled or learned.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import FaceEmbedding

READY_TEMPLATES = 2


@dataclass(frozen=True)
class Readiness:
    """How many templates a person has, and whether that is enough for face check-in."""

    templates: int

    @property
    def ready(self) -> bool:
        return self.templates >= READY_TEMPLATES

    @property
    def needed(self) -> int:
        return READY_TEMPLATES

    @property
    def missing(self) -> int:
        """Templates still needed (0 when ready)."""
        return max(READY_TEMPLATES - self.templates, 0)


def face_readiness(*, session: Session, person_ids: Iterable[int]) -> dict[int, Readiness]:
    """Each person's readiness (one grouped query; a person without a template has 0)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    query = (
        select(FaceEmbedding.person_id, func.count(col(FaceEmbedding.id)))
        .where(col(FaceEmbedding.person_id).in_(ids))
        .group_by(col(FaceEmbedding.person_id))
    )
    counts = {int(person_id): int(count) for person_id, count in session.exec(query)}
    return {person_id: Readiness(counts.get(person_id, 0)) for person_id in ids}


def person_readiness(*, session: Session, person_id: int) -> Readiness:
    """One person's readiness."""
    return face_readiness(session=session, person_ids=[person_id])[person_id]
