"""What biometric data is stored about a person, since when, and who recorded the consent."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from checkin.gallery import _get_person, list_faces
from checkin.retention import purge_after
from models import FaceConsent, FaceEmbedding, Person
from models.base import as_utc


@dataclass(frozen=True)
class ConsentRecord:
    recorded_at: datetime
    recorded_by: str | None
    note: str
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class BiometricReport:
    """The person's consent history and enrolled faces: metadata, never the embeddings."""

    person_id: int
    full_name: str
    consent_active: bool
    consents: list[ConsentRecord] = field(default_factory=list)
    faces: list[FaceEmbedding] = field(default_factory=list)
    stored: str = "128-d face embeddings (float32), encrypted with AES-256-GCM"
    retention_days: int = 0  # 0: kept until purged by hand

    @property
    def purge_after(self) -> datetime | None:
        """When the oldest face is due to be purged (None: no retention set, or no face)."""
        if not self.faces:
            return None
        return purge_after(self.faces[0].created_at, self.retention_days)

    @property
    def since(self) -> datetime | None:
        return as_utc(self.faces[0].created_at) if self.faces else None

    @property
    def photos_kept(self) -> int:
        return sum(1 for face in self.faces if face.photo_path)


def biometric_report(
    *, session: Session, person_id: int, retention_days: int = 0
) -> BiometricReport:
    """The report shown to the secretariat (and to the person on request)."""
    person = _get_person(session, person_id)
    rows = session.exec(
        select(FaceConsent).where(FaceConsent.person_id == person_id).order_by(col(FaceConsent.id))
    ).all()
    names = _names(session, {row.recorded_by for row in rows if row.recorded_by})
    consents = [
        ConsentRecord(
            recorded_at=as_utc(row.recorded_at),
            recorded_by=names.get(row.recorded_by) if row.recorded_by else None,
            note=row.note,
            withdrawn_at=as_utc(row.withdrawn_at) if row.withdrawn_at else None,
        )
        for row in rows
    ]
    return BiometricReport(
        person_id=person_id,
        full_name=person.full_name,
        consent_active=any(c.withdrawn_at is None for c in consents),
        consents=consents,
        faces=list_faces(session=session, person_id=person_id),
        retention_days=retention_days,
    )


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(Person.id, Person.username).where(col(Person.id).in_(ids)))
    return {int(pid or 0): username for pid, username in rows}
