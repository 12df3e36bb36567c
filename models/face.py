"""Enrolled faces (encrypted embeddings) and the consents that allow them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, LargeBinary, String
from sqlmodel import Field, SQLModel

from models.base import utcnow


class FaceConsent(SQLModel, table=True):
    """A person's consent to biometric check-in, as recorded by the secretariat."""

    __tablename__ = "face_consent"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    recorded_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    note: str = Field(default="", max_length=1000)
    withdrawn_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class FaceConsentCreate(SQLModel):
    note: str = Field(default="", max_length=1000)


class FaceConsentPublic(SQLModel):
    id: int
    person_id: int
    recorded_by: int | None
    recorded_at: datetime
    note: str
    withdrawn_at: datetime | None


class FaceKind(StrEnum):
    enrolled = "enrolled"  # from a photo the secretariat enrolled: never replaced by learning
    learned = "learned"  # from a kiosk frame confirmed by a second factor (checkin.learning)


class FaceEmbedding(SQLModel, table=True):
    """One enrolled face. The embedding is sealed (checkin.crypto); the key is not in here."""

    __tablename__ = "face_embedding"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    sealed_embedding: bytes = Field(sa_type=LargeBinary, repr=False)
    model: str = Field(default="dlib_resnet_v1", max_length=40)
    source: str = Field(default="", max_length=200)
    face_px: int = 0
    sharpness: float = 0.0
    # Kept only when an operator opts in; a path under the data folder.
    photo_path: str | None = Field(default=None, max_length=500)
    created_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), index=True
    )
    kind: FaceKind = Field(default=FaceKind.enrolled, sa_type=String(16))
    # The meeting whose kiosk saw a learned face (None for enrolled ones).
    learned_meeting_id: int | None = Field(
        default=None, foreign_key="meeting.id", ondelete="SET NULL"
    )


class FaceEmbeddingPublic(SQLModel):
    """What may be shown of an enrolled face: never the embedding."""

    id: int
    person_id: int
    source: str
    face_px: int
    created_at: datetime
    kind: FaceKind = FaceKind.enrolled
    photo_kept: bool = False
