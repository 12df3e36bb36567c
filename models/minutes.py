"""Minutes (biên bản) of a meeting: numbered versions, a draft being edited or a final one
locked by the sha256 of its content. A correction is a new version, never an edit."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import field_validator
from sqlalchemy import JSON, DateTime, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import as_utc_or_none, utcnow
from models.meeting import AGENDA_ITEMS_MAX, AGENDA_TITLE_MAX, MEETING_TITLE_MAX
from models.text import StorableText

# Long enough for the opinions of a whole council on one item, small enough to stay a page.
SECTION_TEXT_MAX = 50_000
# The heading lines hold the meeting's title (the subject) and short texts of the same length.
HEADER_MAX = MEETING_TITLE_MAX
# A section heading is an agenda item's title after its number ("200. ").
SECTION_TITLE_MAX = AGENDA_TITLE_MAX + len(f"{AGENDA_ITEMS_MAX}. ")
# The draft writes two sections per agenda item (its record, its conclusion), the time and
# place, the participants, the proceedings, two for what fell outside the agenda and the
# closing; the rest is room for sections the secretariat adds.
SECTIONS_MAX = 2 * AGENDA_ITEMS_MAX + 20


class MinutesStatus(StrEnum):
    draft = "draft"
    final = "final"


class MinutesSection(SQLModel):
    """A part of the minutes: a heading and its text, which the secretariat may rewrite."""

    key: str = Field(min_length=1, max_length=40)
    title: str = Field(default="", max_length=SECTION_TITLE_MAX)
    text: str = Field(default="", max_length=SECTION_TEXT_MAX)


class MinutesBody(SQLModel):
    """The whole document: the heading lines, the sections in order, who signs."""

    issuer: str = Field(default="", max_length=HEADER_MAX)
    place_date: str = Field(default="", max_length=HEADER_MAX)
    title: str = Field(default="BIÊN BẢN HỌP", max_length=HEADER_MAX)
    subject: str = Field(default="", max_length=HEADER_MAX)
    chair_name: str = Field(default="", max_length=200)
    secretary_name: str = Field(default="", max_length=200)
    sections: list[MinutesSection] = Field(default_factory=list, max_length=SECTIONS_MAX)


class Minutes(SQLModel, table=True):
    __tablename__ = "minutes"
    __table_args__ = (UniqueConstraint("meeting_id", "version", name="uq_minutes_version"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE", index=True)
    version: int = 1
    status: MinutesStatus = Field(default=MinutesStatus.draft, sa_type=String(16))
    # A MinutesBody as JSON; final versions never change it again.
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    created_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    finalised_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finalised_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")


class SectionEdit(StorableText):
    """New text (and optionally heading) for one section, found by its key."""

    key: str = Field(min_length=1, max_length=40)
    title: str | None = Field(default=None, max_length=SECTION_TITLE_MAX)
    text: str = Field(max_length=SECTION_TEXT_MAX)


class MinutesUpdate(StorableText):
    """Changes to the draft; what is not given stays."""

    issuer: str | None = Field(default=None, max_length=HEADER_MAX)
    place_date: str | None = Field(default=None, max_length=HEADER_MAX)
    title: str | None = Field(default=None, min_length=1, max_length=HEADER_MAX)
    subject: str | None = Field(default=None, max_length=HEADER_MAX)
    chair_name: str | None = Field(default=None, max_length=200)
    secretary_name: str | None = Field(default=None, max_length=200)
    sections: list[SectionEdit] = Field(default_factory=list, max_length=SECTIONS_MAX)


class MinutesRedraft(SQLModel):
    """Draft again from the meeting, replacing the text of the current draft."""

    replace: bool = False


class MinutesPublic(SQLModel):
    id: int
    meeting_id: int
    version: int
    status: MinutesStatus
    body: MinutesBody
    sha256: str | None
    created_at: datetime
    updated_at: datetime
    finalised_at: datetime | None
    finalised_by: int | None

    _utc_times = field_validator("created_at", "updated_at", "finalised_at")(as_utc_or_none)


class MinutesVersionPublic(SQLModel):
    """A line of the version history."""

    version: int
    status: MinutesStatus
    sha256: str | None
    created_at: datetime
    finalised_at: datetime | None
    finalised_by: int | None
    finalised_by_name: str = ""

    _utc_times = field_validator("created_at", "finalised_at")(as_utc_or_none)
