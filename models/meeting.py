"""Meetings, their ordered agenda and the invitations to them."""

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import field_validator, model_validator
from sqlalchemy import DateTime, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import as_utc, utcnow


def _in_utc(value: datetime | None) -> datetime | None:
    # SQLite drops the offset of an aware time, so store every time in UTC (naive means UTC).
    return None if value is None else as_utc(value).astimezone(UTC)


class MeetingStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    in_progress = "in_progress"
    closed = "closed"
    cancelled = "cancelled"


class MeetingBase(SQLModel):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=10_000)
    start_at: datetime = Field(sa_type=DateTime(timezone=True))
    end_at: datetime = Field(sa_type=DateTime(timezone=True))
    location: str = Field(default="", max_length=300)
    chair_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")

    _utc_times = field_validator("start_at", "end_at")(_in_utc)


class Meeting(MeetingBase, table=True):
    __tablename__ = "meeting"
    id: int | None = Field(default=None, primary_key=True)
    status: MeetingStatus = Field(default=MeetingStatus.draft, sa_type=String(16), index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    created_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    # The last sequence number given to an event of this meeting (see models.event).
    event_seq: int = 0
    current_item_id: int | None = None


class MeetingCreate(MeetingBase):
    @model_validator(mode="after")
    def _ends_after_start(self) -> "MeetingCreate":
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class MeetingUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10_000)
    start_at: datetime | None = None
    end_at: datetime | None = None
    location: str | None = Field(default=None, max_length=300)
    chair_id: int | None = None

    _utc_times = field_validator("start_at", "end_at")(_in_utc)


class MeetingPublic(MeetingBase):
    id: int
    status: MeetingStatus


class MeetingStatusChange(SQLModel):
    status: MeetingStatus


class AgendaItemBase(SQLModel):
    title: str = Field(min_length=1, max_length=500)
    presenter: str = Field(default="", max_length=200)
    planned_minutes: int = Field(default=10, ge=0, le=24 * 60)


class AgendaItem(AgendaItemBase, table=True):
    __tablename__ = "agenda_item"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    position: int = 0


class AgendaItemCreate(AgendaItemBase):
    pass


class AgendaItemUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=500)
    presenter: str | None = Field(default=None, max_length=200)
    planned_minutes: int | None = Field(default=None, ge=0, le=24 * 60)


class AgendaItemPublic(AgendaItemBase):
    id: int
    meeting_id: int
    position: int


class AgendaOrder(SQLModel):
    item_ids: list[int]


class MeetingRole(StrEnum):
    chair = "chair"
    delegate = "delegate"
    observer = "observer"


class Reply(StrEnum):
    invited = "invited"
    accepted = "accepted"
    declined = "declined"


class InvitationBase(SQLModel):
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    role: MeetingRole = Field(default=MeetingRole.delegate, sa_type=String(16))
    voting_right: bool = True
    seat_label: str = Field(default="", max_length=40)


class Invitation(InvitationBase, table=True):
    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id", name="uq_invitation_person"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    reply: Reply = Field(default=Reply.invited, sa_type=String(16))
    reply_reason: str = Field(default="", max_length=1000)
    replied_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # E-mail: when the invitation and the reminder went out, and why the last sending failed.
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    reminded_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    mail_error: str = Field(default="", max_length=300)


class InvitationCreate(InvitationBase):
    pass


class InvitationUpdate(SQLModel):
    role: MeetingRole | None = None
    voting_right: bool | None = None
    seat_label: str | None = Field(default=None, max_length=40)


class InvitationReply(SQLModel):
    reply: Reply
    reason: str = Field(default="", max_length=1000)


class InvitationPublic(InvitationBase):
    id: int
    meeting_id: int
    reply: Reply
    reply_reason: str
    replied_at: datetime | None
    sent_at: datetime | None = None
    reminded_at: datetime | None = None
    mail_error: str = ""
    full_name: str = ""

    _utc_times = field_validator("replied_at", "sent_at", "reminded_at")(_in_utc)
