"""PDF renderings of Office files, made once per version on the server for the reader."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, String
from sqlmodel import Field, SQLModel

from models.base import utcnow


class RenditionStatus(StrEnum):
    ready = "ready"  # blob_sha256 holds the PDF
    unavailable = "unavailable"  # no converter on this server (LibreOffice not installed)
    failed = "failed"  # the converter could not read the file


class DocumentRendition(SQLModel, table=True):
    __tablename__ = "document_rendition"
    version_id: int = Field(
        primary_key=True,
        foreign_key="document_version.id",
        ondelete="CASCADE",
        sa_column_kwargs={"autoincrement": False},
    )
    status: RenditionStatus = Field(sa_type=String(16))
    blob_sha256: str | None = Field(default=None, foreign_key="blob.sha256", max_length=64)
    error: str = Field(default="", max_length=500)
    made_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
