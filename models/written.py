"""The signed-off result of a written consultation (lấy ý kiến bằng văn bản): what was asked,
how the members answered each question and the verdict by the body's rule on all members,
fixed by its sha256 when the chair signs it off."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlmodel import Field, SQLModel

from models.base import utcnow


class WrittenResult(SQLModel, table=True):
    __tablename__ = "written_result"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", unique=True)
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    sha256: str = Field(max_length=64)
    signed_off_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    signed_off_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
