"""Electronic documents: versions of files stored once by content hash, and read receipts."""

from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import DateTime, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import as_utc_or_none, utcnow
from models.text import StorableText


class DocumentStatus(StrEnum):
    draft = "draft"
    published = "published"


class Blob(SQLModel, table=True):
    """A file's bytes, stored once under the data folder by sha256."""

    __tablename__ = "blob"
    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    media_type: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class DocumentBase(SQLModel):
    title: str = Field(min_length=1, max_length=300)
    agenda_item_id: int | None = Field(
        default=None, foreign_key="agenda_item.id", ondelete="SET NULL"
    )


class Document(DocumentBase, table=True):
    __tablename__ = "document"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    status: DocumentStatus = Field(default=DocumentStatus.draft, sa_type=String(16))
    current_version: int = 0
    published_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    created_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")


class DocumentVersion(SQLModel, table=True):
    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_document_version"),)
    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", index=True)
    number: int
    blob_sha256: str = Field(foreign_key="blob.sha256", max_length=64)
    filename: str = Field(max_length=255)
    size: int
    media_type: str = Field(max_length=120)
    uploaded_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ReadReceipt(SQLModel, table=True):
    __tablename__ = "read_receipt"
    __table_args__ = (UniqueConstraint("person_id", "version_id", name="uq_read_receipt"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    version_id: int = Field(foreign_key="document_version.id", ondelete="CASCADE")
    opened_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class DocumentUpdate(StorableText):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    agenda_item_id: int | None = None


class VersionPublic(SQLModel):
    number: int
    filename: str
    size: int
    media_type: str
    sha256: str
    uploaded_at: datetime

    _utc_times = field_validator("uploaded_at")(as_utc_or_none)

    @classmethod
    def of(cls, version: "DocumentVersion") -> "VersionPublic":
        return cls(
            number=version.number,
            filename=version.filename,
            size=version.size,
            media_type=version.media_type,
            sha256=version.blob_sha256,
            uploaded_at=version.uploaded_at,
        )


class DocumentPublic(DocumentBase):
    id: int
    meeting_id: int
    status: DocumentStatus
    published_at: datetime | None
    current_version: int
    version: VersionPublic | None = None
    # For the viewer: never opened ("new"), or opened only an older version ("updated").
    unread: bool = False
    updated: bool = False

    _utc_times = field_validator("published_at")(as_utc_or_none)
