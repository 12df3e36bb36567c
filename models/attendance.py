"""The attendance ledger (append-only check-ins and check-outs) and per-meeting check-in policy."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Index, String
from sqlmodel import Field, SQLModel

from models.base import utcnow
from models.text import StorableText


class AttendanceKind(StrEnum):
    check_in = "check_in"
    check_out = "check_out"


class AttendanceMethod(StrEnum):
    face = "face"
    manual = "manual"
    qr = "qr"


class AttendanceEntry(SQLModel, table=True):
    """One arrival or departure. Rows are only ever appended; presence is the last row."""

    __tablename__ = "attendance_entry"
    __table_args__ = (Index("ix_attendance_meeting_person", "meeting_id", "person_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    kind: AttendanceKind = Field(sa_type=String(16))
    method: AttendanceMethod = Field(sa_type=String(16))
    distance: float | None = None
    kiosk: str | None = Field(default=None, max_length=120)
    operator_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    reason: str = Field(default="", max_length=500)
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class AttendanceEntryPublic(SQLModel):
    id: int
    meeting_id: int
    person_id: int
    kind: AttendanceKind
    method: AttendanceMethod
    distance: float | None
    kiosk: str | None
    operator_id: int | None
    reason: str
    at: datetime


class AttendanceCreate(StorableText):
    """A manual check-in or check-out at the desk."""

    person_id: int
    method: AttendanceMethod = AttendanceMethod.manual
    reason: str = Field(default="", max_length=500)


class CheckinPolicyBase(SQLModel):
    accept_threshold: float = Field(default=0.50, gt=0, le=1.0)
    margin: float = Field(default=0.10, ge=0, le=1.0)
    grey_threshold: float = Field(default=0.58, gt=0, le=1.0)
    require_liveness: bool = False
    # Add kiosk faces confirmed by QR, desk or a grey-zone tap to the person's templates
    # (checkin.learning); only ever for people with a standing consent.
    learn_templates: bool = True


class CheckinPolicy(CheckinPolicyBase, table=True):
    """A meeting's own face check-in settings; a meeting without a row uses the defaults."""

    __tablename__ = "checkin_policy"
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", primary_key=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class CheckinPolicyPublic(CheckinPolicyBase):
    meeting_id: int


class CheckinPolicyUpdate(SQLModel):
    accept_threshold: float | None = Field(default=None, gt=0, le=1.0)
    margin: float | None = Field(default=None, ge=0, le=1.0)
    grey_threshold: float | None = Field(default=None, gt=0, le=1.0)
    require_liveness: bool | None = None
    learn_templates: bool | None = None
