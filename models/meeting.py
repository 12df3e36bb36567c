"""Meetings, their ordered agenda and the invitations to them."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import DateTime, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import MAX_ID, as_utc, utcnow
from models.text import StorableText

# One length per kind of title, used wherever the title is copied (the minutes' headings).
MEETING_TITLE_MAX = 300
AGENDA_TITLE_MAX = 500
# The most items one agenda holds: a council's agenda runs to a few dozen, and every item
# becomes two sections of the minutes, which must hold the whole agenda (models.minutes).
AGENDA_ITEMS_MAX = 200


# The years a meeting may be held in. Outside them a date is a slip (9999 for 2025), and a
# time at the edge of Python's calendar cannot be shown in Vietnam's time on the pages.
YEAR_MIN, YEAR_MAX = 2000, 2999


def _in_utc(value: datetime | None) -> datetime | None:
    # SQLite drops the offset of an aware time, so store every time in UTC (naive means UTC).
    return None if value is None else as_utc(value).astimezone(UTC)


def _in_years(value: datetime | None) -> datetime | None:
    """The time in UTC, refused (naming the field) outside YEAR_MIN..YEAR_MAX."""
    value = _in_utc(value)
    if value is not None and not YEAR_MIN <= value.year <= YEAR_MAX:
        raise PydanticCustomError(
            "year_out_of_range",
            "must be in the years {low} to {high}",
            {"low": YEAR_MIN, "high": YEAR_MAX},
        )
    return value


def _after_start(end: datetime, info: ValidationInfo) -> datetime:
    start = info.data.get("start_at")
    if start is not None and end <= start:
        raise PydanticCustomError("end_before_start", "must be after start_at")
    return end


class MeetingStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    in_progress = "in_progress"
    closed = "closed"
    cancelled = "cancelled"


class MeetingKind(StrEnum):
    session = "session"  # members meet (in the hall or remotely)
    written = "written"  # lấy ý kiến bằng văn bản: questions answered by a deadline, no session


class MeetingBase(SQLModel):
    title: str = Field(min_length=1, max_length=MEETING_TITLE_MAX)
    description: str = Field(default="", max_length=10_000)
    start_at: datetime = Field(sa_type=DateTime(timezone=True))
    end_at: datetime = Field(sa_type=DateTime(timezone=True))
    location: str = Field(default="", max_length=300)
    chair_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    kind: MeetingKind = Field(default=MeetingKind.session, sa_type=String(16))

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
    # Downloads of this meeting's PDFs carry the reader's name and the time on every page.
    watermark_downloads: bool = False


class MeetingCreate(MeetingBase, StorableText):
    """A new meeting: within YEAR_MIN..YEAR_MAX, ending after it starts (errors name the field)."""

    _year_range = field_validator("start_at", "end_at")(_in_years)
    _ends_after_start = field_validator("end_at")(_after_start)


class MeetingUpdate(StorableText):
    title: str | None = Field(default=None, min_length=1, max_length=MEETING_TITLE_MAX)
    description: str | None = Field(default=None, max_length=10_000)
    start_at: datetime | None = None
    end_at: datetime | None = None
    location: str | None = Field(default=None, max_length=300)
    chair_id: int | None = None
    watermark_downloads: bool | None = None

    # The service checks the end against the start it keeps when only one is given.
    _utc_times = field_validator("start_at", "end_at")(_in_years)


class MeetingPublic(MeetingBase):
    id: int
    status: MeetingStatus
    watermark_downloads: bool = False


class MeetingStatusChange(SQLModel):
    status: MeetingStatus


class AgendaItemBase(SQLModel):
    title: str = Field(min_length=1, max_length=AGENDA_TITLE_MAX)
    presenter: str = Field(default="", max_length=200)
    planned_minutes: int = Field(default=10, ge=0, le=24 * 60)


class AgendaItem(AgendaItemBase, table=True):
    __tablename__ = "agenda_item"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    position: int = 0


class AgendaItemCreate(AgendaItemBase, StorableText):
    pass


class AgendaItemUpdate(StorableText):
    title: str | None = Field(default=None, min_length=1, max_length=AGENDA_TITLE_MAX)
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


class InvitationCreate(InvitationBase, StorableText):
    pass


class InvitationUpdate(StorableText):
    role: MeetingRole | None = None
    voting_right: bool | None = None
    seat_label: str | None = Field(default=None, max_length=40)


# The most people one request may name: a whole council with room to spare, and a bound on
# the work one form or API call can ask for.
INVITE_MANY_MAX = 1000


class InvitationBulk(StorableText):
    """Invite several people at once: those named, everyone in a unit, or both."""

    person_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=INVITE_MANY_MAX
    )
    unit_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    role: MeetingRole = MeetingRole.delegate
    voting_right: bool = True


class InvitationReply(StorableText):
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
