"""The per-meeting event log: every change a screen must see, written with the change."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import utcnow


class Audience(StrEnum):
    everyone = "everyone"  # everyone who may see the meeting
    managers = "managers"  # the secretariat and the chair


class Event(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("meeting_id", "seq", name="uq_event_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    seq: int
    type: str = Field(max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    audience: Audience = Field(default=Audience.everyone, sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class EventPublic(SQLModel):
    seq: int
    type: str
    data: dict[str, Any]
