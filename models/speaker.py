"""The speaker queue: delegates who ask for the floor on an agenda item, in the chair's order."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Index, String
from sqlmodel import Field, SQLModel

from models.base import utcnow
from models.text import StorableText


class SpeechStatus(StrEnum):
    waiting = "waiting"
    speaking = "speaking"
    done = "done"
    withdrawn = "withdrawn"


class SpeechRequest(SQLModel, table=True):
    """One request for the floor; it moves waiting → speaking → done, or is withdrawn."""

    __tablename__ = "speech_request"
    __table_args__ = (Index("ix_speech_meeting_item", "meeting_id", "agenda_item_id", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE")
    agenda_item_id: int | None = Field(
        default=None, foreign_key="agenda_item.id", ondelete="SET NULL"
    )
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    status: SpeechStatus = Field(default=SpeechStatus.waiting, sa_type=String(16))
    # Order in the queue of its item; the chair reorders by rewriting these.
    position: int = 0
    note: str = Field(default="", max_length=300)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    ended_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # Planned length of the speech, for the projector's timer; None means no limit.
    limit_seconds: int | None = Field(default=None, ge=0, le=4 * 3600)


class SpeechCreate(StorableText):
    """Ask for the floor; the item defaults to the current one, the person to oneself."""

    agenda_item_id: int | None = None
    note: str = Field(default="", max_length=300)
    # The chair or secretariat may add a present delegate who raised a hand in the hall.
    person_id: int | None = None


class SpeechStart(SQLModel):
    limit_seconds: int | None = Field(default=None, ge=0, le=4 * 3600)


class SpeechReorder(SQLModel):
    """The waiting requests of one item, in their new order (every one of them, once)."""

    agenda_item_id: int | None = None
    speech_ids: list[int] = Field(max_length=1000)


class SpeechPublic(SQLModel):
    id: int
    meeting_id: int
    agenda_item_id: int | None
    person_id: int
    full_name: str
    status: SpeechStatus
    position: int
    note: str
    requested_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    limit_seconds: int | None


class SpeakerQueue(SQLModel):
    """An item's queue in speaking order (done, speaking, waiting) and the meeting's speaker."""

    agenda_item_id: int | None
    speaking: SpeechPublic | None
    queue: list[SpeechPublic]
